/**
 * The `Idempotency-Key` request header, as draft-ietf-httpapi-idempotency-key-header
 * defines it: an Item Structured Header whose value is an sf-string (RFC 8941
 * §3.3.3), such as `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`.
 * Most clients (Stripe's among them) send the bare value without the quotes;
 * both forms are accepted and mean the same key.
 *
 * The draft asks servers to publish a fixed format and validate it before any
 * lookup (its Security Considerations): Iris accepts 8 to 255 characters of
 * letters, digits and `- _ . ~ : + / =` (UUIDs, ULIDs, base64 and base64url
 * values, `job:1234`-style prefixes). No quoting, escapes or spaces survive, so
 * a key can never be more than one token and never an injection.
 * https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */

/** The request header, as the draft names it. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The response header of a replayed answer (the name Stripe and most implementations use). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

export const MIN_IDEMPOTENCY_KEY_LENGTH = 8;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const KEY = /^[A-Za-z0-9\-_.~:+/=]{8,255}$/;

export type IdempotencyKeyParse =
  /** No header: the request is not idempotent. */
  | { kind: 'absent' }
  | { kind: 'valid'; key: string }
  /** A header that is not a key Iris accepts; `reason` is safe to show (it never echoes the value). */
  | { kind: 'invalid'; reason: string };

/**
 * Reads the header value (`Headers.get` joins repeated fields with ", ", which
 * the charset refuses, so a second field is an error as the draft requires).
 * @example
 * parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"') // { kind: 'valid', key: '8e03978e-…' }
 */
export function parseIdempotencyKey(header: string | null | undefined): IdempotencyKeyParse {
  if (header === null || header === undefined) return { kind: 'absent' };
  const trimmed = header.trim();
  const quoted = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"');
  const key = quoted ? trimmed.slice(1, -1) : trimmed;
  if (key.length < MIN_IDEMPOTENCY_KEY_LENGTH || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return { kind: 'invalid', reason: `must be ${MIN_IDEMPOTENCY_KEY_LENGTH} to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (a UUID is recommended)` };
  }
  if (!KEY.test(key)) {
    return { kind: 'invalid', reason: 'may hold only letters, digits and - _ . ~ : + / =, optionally in double quotes, once' };
  }
  return { kind: 'valid', key };
}
