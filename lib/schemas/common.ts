import { z } from 'zod';
import { pgTimestampMs, TIMESTAMP_RULE } from './timestamp.js';

/** Text Postgres can store: no NUL characters (Postgres text and jsonb reject U+0000). */
export const text = (max: number, min = 0) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((v) => !v.includes('\u0000'), { message: 'must not contain NUL characters' });

/** Ids of experts, agents and models: `gpt-4o-2024-08-06`, `anthropic/claude-3.5@v2`, `planner.v3`. */
export const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, 'must be 1-128 characters of letters, digits and . _ : / @ + -');

export const uuid = z.uuid();

/**
 * A timestamp with an explicit offset or Z, such as 2026-11-24T07:00:00Z, that
 * Postgres reads as the same instant (see timestamp.ts).
 */
export const timestamp = z.iso.datetime({ offset: true }).refine((v) => pgTimestampMs(v) !== null, { message: TIMESTAMP_RULE });

/** Any JSON value whose serialised form fits in `maxBytes`. */
export const jsonValue = (maxBytes: number) =>
  z.json().refine((v) => {
    const s = JSON.stringify(v);
    return s.length <= maxBytes && !s.includes('\\u0000');
  }, { message: `must serialise to at most ${maxBytes} bytes of JSON without NUL characters` });

/** A JSON object (not an array or scalar) that fits in `maxBytes`. */
export const jsonObject = (maxBytes: number) =>
  z.record(z.string().max(256), z.json()).refine((v) => {
    const s = JSON.stringify(v);
    return s.length <= maxBytes && !s.includes('\\u0000');
  }, { message: `must be a JSON object of at most ${maxBytes} bytes without NUL characters` });

/** `limit` query parameter for list endpoints. */
export const limit = (max = 100, fallback = 50) => z.coerce.number().int().min(1).max(max).default(fallback);

/** `true`/`false` query flags. */
export const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** An optional projectId assertion (checked against the key's project). */
export const projectIdAssertion = { projectId: uuid.optional() };

/** Opaque keyset cursor: base64url of `<created_at>|<id>`. */
export interface Cursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: Cursor): string {
  return btoa(`${cursor.createdAt}|${cursor.id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes a cursor, or returns null when it is not one Iris issued. */
export function decodeCursor(value: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) return null;
  let decoded: string;
  try {
    decoded = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const [createdAt, id, extra] = decoded.split('|');
  // The position is sent to Postgres as it is: it must be a timestamp Postgres reads (timestamp.ts).
  if (extra !== undefined || !createdAt || !id || pgTimestampMs(createdAt) === null || !UUID.test(id)) return null;
  return { createdAt, id };
}

/** `cursor` query parameter: validated and decoded in the schema so a bad cursor is a 422 like any other field. */
export const cursor = z
  .string()
  .transform((value, ctx) => {
    const decoded = decodeCursor(value);
    if (!decoded) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
      return z.NEVER;
    }
    return decoded;
  });

/** Pagination query shared by list endpoints. */
export const pageQuery = {
  limit: limit(),
  cursor: cursor.optional(),
};
