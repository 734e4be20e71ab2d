import { displayPrefix, generateApiKey, sha256Hex } from '../auth/index.js';
import type { Db, Json, RunInput, Uuid } from '../db/index.js';

export interface SeedProjectOptions {
  /**
   * Project name.
   * @default 'test project'
   */
  name?: string;
  /**
   * Project settings.
   * @default {}
   */
  settings?: Json;
  /**
   * Plaintext API key to register; only its SHA-256 is stored.
   * @default a new random key from generateApiKey()
   */
  apiKey?: string;
  /**
   * Label of the key.
   * @default 'seed'
   */
  keyLabel?: string;
  /**
   * Runs to ingest into the project, in one batch.
   * @default []
   */
  runs?: RunInput[];
}

export interface SeededProject {
  projectId: Uuid;
  /** The plaintext key, for Authorization headers in tests. */
  apiKey: string;
  keyId: Uuid;
  keyHash: string;
}

/**
 * Creates a project with one API key (and optionally some runs) through the
 * RPCs, so it works on every Db adapter. For tests and local tooling.
 * @example
 * const { projectId, apiKey } = await seedProject(db, { runs: [run] });
 */
export async function seedProject(db: Db, options: SeedProjectOptions = {}): Promise<SeededProject> {
  const [project] = await db.rpc('create_project', { p_name: options.name ?? 'test project', p_settings: options.settings ?? {} });
  if (!project) throw new Error('seedProject: create_project returned no row');
  const apiKey = options.apiKey ?? generateApiKey();
  const keyHash = await sha256Hex(apiKey);
  const [key] = await db.rpc('create_api_key', {
    p_project_id: project.id,
    p_key_hash: keyHash,
    p_prefix: displayPrefix(apiKey),
    p_label: options.keyLabel ?? 'seed',
  });
  if (!key) throw new Error('seedProject: create_api_key returned no row');
  if (options.runs?.length) await db.rpc('ingest_runs', { p_project_id: project.id, p_runs: options.runs });
  return { projectId: project.id, apiKey, keyId: key.id, keyHash };
}
