import { encodeCursor } from '../schemas/index.js';

const CAMEL = /_([a-z0-9])/g;
const cache = new Map<string, string>();

/** snake_case column name to camelCase JSON field, memoised (column names are a small fixed set). */
export function camel(key: string): string {
  let out = cache.get(key);
  if (out === undefined) {
    out = key.replace(CAMEL, (_, ch: string) => ch.toUpperCase());
    if (cache.size < 512) cache.set(key, out);
  }
  return out;
}

/**
 * Renames a row's top-level columns to camelCase. Nested JSON (metadata,
 * settings, data) is the client's own and is returned as stored.
 */
export function present<T extends object>(row: T, omit: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (!omit.includes(key)) out[camel(key)] = value;
  }
  return out;
}

/** The keyset arguments of a list RPC for a page query: one row more than the page, to know whether another follows. */
export function pageArgs(query: { limit: number; cursor?: { createdAt: string; id: string } | undefined }) {
  return { p_limit: query.limit + 1, p_before_created_at: query.cursor?.createdAt ?? null, p_before_id: query.cursor?.id ?? null };
}

/** A page of a keyset-paginated list: the caller asked the database for `limit + 1` rows. */
export function page<T extends { created_at: string; id: string }>(
  rows: T[],
  limit: number,
): { data: Record<string, unknown>[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const visible = more ? rows.slice(0, limit) : rows;
  const last = visible[visible.length - 1];
  return {
    data: visible.map((r) => present(r)),
    nextCursor: more && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}
