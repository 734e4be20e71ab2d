/**
 * `If-None-Match` (RFC 9110 §13.1.2) as pure functions.
 *
 * Grammar (RFC 9110 §8.8.3): `If-None-Match = "*" / #entity-tag`,
 * `entity-tag = [ "W/" ] opaque-tag`, `opaque-tag = DQUOTE *etagc DQUOTE`,
 * `etagc = %x21 / %x23-7E / obs-text`. A comma may appear inside a quoted tag,
 * so the list is scanned, not split on commas.
 */

/** One entity tag of an `If-None-Match` list. */
export interface EntityTag {
  /** The opaque tag with its quotes, for example `"abc"`. */
  opaque: string;
  /** Whether it carried the `W/` prefix. */
  weak: boolean;
}

/** A parsed `If-None-Match`: `*`, or the well-formed tags of the list (possibly none). */
export type IfNoneMatch = '*' | EntityTag[];

/** Longest header scanned; a longer one is treated as absent (no client needs it). */
export const MAX_IF_NONE_MATCH_LENGTH = 8192;

const isEtagc = (code: number) => code === 0x21 || (code >= 0x23 && code <= 0x7e) || code >= 0x80;
const isListSpace = (ch: string | undefined) => ch === ' ' || ch === '\t' || ch === ',';

/**
 * Parses an `If-None-Match` value. Malformed members (unquoted, unterminated,
 * stray characters) are skipped up to the next comma and the well-formed ones
 * kept, so one bad tag never makes a good one unmatchable. Returns `null` when
 * the header is absent, empty, over `MAX_IF_NONE_MATCH_LENGTH`, or holds no
 * usable member: the precondition is then ignored.
 */
export function parseIfNoneMatch(header: string | null | undefined): IfNoneMatch | null {
  if (!header || header.length > MAX_IF_NONE_MATCH_LENGTH) return null;
  const trimmed = header.trim();
  if (trimmed === '*') return '*';

  const tags: EntityTag[] = [];
  let i = 0;
  const n = trimmed.length;
  while (i < n) {
    while (i < n && isListSpace(trimmed[i])) i++;
    if (i >= n) break;
    const start = i;
    let weak = false;
    if (trimmed.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    let ok = trimmed[i] === '"';
    if (ok) {
      let j = i + 1;
      while (j < n && trimmed[j] !== '"' && isEtagc(trimmed.charCodeAt(j))) j++;
      ok = trimmed[j] === '"';
      if (ok) {
        const end = j + 1;
        // A tag must be followed by optional whitespace and then a comma or the end.
        let k = end;
        while (k < n && (trimmed[k] === ' ' || trimmed[k] === '\t')) k++;
        ok = k >= n || trimmed[k] === ',';
        if (ok) {
          tags.push({ opaque: trimmed.slice(i, end), weak });
          i = k;
          continue;
        }
      }
    }
    // Malformed member: skip to the next comma (a quoted comma here is part of the garbage).
    const comma = trimmed.indexOf(',', start + 1);
    i = comma === -1 ? n : comma;
  }
  return tags.length > 0 ? tags : null;
}

/** The opaque part of `etag` (its `W/` prefix removed), or null when it is not a quoted tag. */
function opaqueOf(etag: string): string | null {
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return opaque.length >= 2 && opaque.startsWith('"') && opaque.endsWith('"') ? opaque : null;
}

/**
 * Whether `If-None-Match` matches the current representation's `etag`, using
 * the weak comparison RFC 9110 §13.1.2 requires (`W/"a"` matches `"a"`).
 * `*` matches any current representation. For GET and HEAD a match means the
 * answer is `304 Not Modified` with the ETag (and no body); an absent or
 * unusable header never matches.
 * @example
 * matchesIfNoneMatch('W/"x", "abc"', '"abc"') // true
 */
export function matchesIfNoneMatch(header: string | null | undefined, etag: string): boolean {
  // The usual revalidation echoes the ETag as sent: a match without parsing a list.
  if (header === etag && opaqueOf(etag) !== null) return true;
  const parsed = parseIfNoneMatch(header);
  if (parsed === null) return false;
  if (parsed === '*') return true;
  const current = opaqueOf(etag);
  if (current === null) return false;
  return parsed.some((tag) => tag.opaque === current);
}
