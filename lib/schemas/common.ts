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

/**
 * Length of `text` in UTF-8 bytes, as it is sent and stored: 1 byte per code
 * point below U+0080, 2 below U+0800, 4 for a surrogate pair, 3 otherwise
 * (a lone surrogate too, as U+FFFD). `String.length` counts UTF-16 units, under
 * which 16 KiB of emoji was 32 KiB of bytes (issue 11).
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Object keys free-form JSON may not hold, at any depth: in JavaScript,
 * assigning `__proto__` sets an object's prototype instead of a property, so
 * zod (like most code that copies objects) dropped such a key without a word
 * and Iris answered 201 for data it did not store (issue 11); `constructor`
 * is the other half of the classic pollution path (`constructor.prototype`).
 * Refused with a 422 that names where the key is, rather than stored as data a
 * client reading it back might trip over.
 */
export const FORBIDDEN_JSON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/** The path to the first forbidden key in a parsed JSON value, or null. Own keys only, as JSON.parse makes them. */
function forbiddenKeyPath(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenKeyPath(value[i], [...path, i], depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_JSON_KEYS.has(key)) return [...path, key];
    const found = forbiddenKeyPath((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Free-form JSON checked before `schema` sees it: no forbidden key (which zod would silently drop), at most `maxBytes` of UTF-8 JSON, no NUL. */
function freeFormJson<S extends z.ZodType>(schema: S, maxBytes: number, what: string) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      const path = forbiddenKeyPath(value);
      if (path) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `the key "${String(path.at(-1))}" is not accepted in ${what}: __proto__ and constructor keys pollute prototypes in JavaScript; rename it`,
        });
      }
    })
    .pipe(schema)
    .refine(
      (v) => {
        const s = JSON.stringify(v);
        return utf8Length(s) <= maxBytes && !s.includes('\\u0000');
      },
      { message: `must be ${what} of at most ${maxBytes} bytes (UTF-8) of JSON without NUL characters` },
    );
}

/** Any JSON value whose serialised form fits in `maxBytes` of UTF-8, without `__proto__` or `constructor` keys. */
export const jsonValue = (maxBytes: number) => freeFormJson(z.json(), maxBytes, 'a JSON value');

/** A JSON object (not an array or scalar) that fits in `maxBytes` of UTF-8, without `__proto__` or `constructor` keys. */
export const jsonObject = (maxBytes: number) => freeFormJson(z.record(z.string().max(256), z.json()), maxBytes, 'a JSON object');

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
