import type { Db, Json, Uuid } from '../db/types.js';
import { timingSafeEqualString } from './constant-time.js';

/** The tenant an API key belongs to: the only source of a request's project. */
export interface ProjectContext {
  id: Uuid;
  name: string;
  settings: Json;
  keyId: Uuid;
}

export interface KeyVerifierOptions {
  db: Db;
}

export interface KeyVerifier {
  /** The project of the key whose SHA-256 hex digest is `keyHash`, or null for unknown and revoked keys. */
  verify(keyHash: string): Promise<ProjectContext | null>;
}

export function createKeyVerifier(options: KeyVerifierOptions): KeyVerifier {
  const { db } = options;
  return {
    async verify(keyHash) {
      const [row] = await db.rpc('verify_api_key', { p_key_hash: keyHash });
      // The lookup is by hash equality in an index; compare the stored digest
      // again in constant time so no code path branches on partial matches.
      if (!row || !timingSafeEqualString(row.key_hash, keyHash)) return null;
      return { id: row.project_id, name: row.project_name, settings: row.settings, keyId: row.key_id };
    },
  };
}
