/**
 * Strong entity tags (RFC 9110 §8.8.3) from the bytes of a serialised body.
 *
 * The digest is SHA-256 through `crypto.subtle` (native on Node and Edge),
 * truncated to 128 bits and written base64url, so a tag is 24 characters with
 * its quotes. It is computed once, when a value is cached, and stored beside it:
 * a cache hit does no hashing.
 */

const encoder = new TextEncoder();

/** Bytes of the tag kept from the SHA-256 digest: 128 bits. */
const TAG_BYTES = 16;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The strong, quoted ETag of `body` within `namespace`.
 *
 * The namespace (the cache key, or at least the project id) is hashed with the
 * body, length-prefixed so no namespace/body split is ambiguous: identical
 * bodies in two projects never share an ETag, so a tag seen in one project
 * says nothing about another.
 * @example
 * await etagFor('{"runs":3}', 'iris:v1:p1:overview:0a1b') // '"q3Zx…"'
 */
export async function etagFor(body: string | Uint8Array, namespace = ''): Promise<string> {
  const head = encoder.encode(`${namespace.length}:${namespace}\n`);
  const tail = typeof body === 'string' ? encoder.encode(body) : body;
  const input = new Uint8Array(head.length + tail.length);
  input.set(head, 0);
  input.set(tail, head.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  return `"${toBase64Url(digest.subarray(0, TAG_BYTES))}"`;
}
