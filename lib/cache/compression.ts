/**
 * gzip and base64 with Web-standard APIs only (CompressionStream,
 * Response, btoa/atob), so they run on Node 20 and on the Edge runtime alike.
 * The KV stores strings, so compressed bytes travel as base64.
 */

const encoder = new TextEncoder();

/**
 * Pushes `bytes` through a (de)compression stream and collects the output.
 * Writing into the stream directly is about three times faster on Node than
 * piping a Blob's stream. The writer's own promises reject too when the input
 * is corrupt; that failure is reported once, through the readable side.
 */
function transform(stream: CompressionStream | DecompressionStream, bytes: Uint8Array<ArrayBuffer>): Response {
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  return new Response(stream.readable);
}

/** Compresses the UTF-8 bytes of `text` with gzip. */
export async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await transform(new CompressionStream('gzip'), encoder.encode(text)).arrayBuffer());
}

/**
 * Decompresses gzip bytes back to text.
 * @throws TypeError when the bytes are not a valid gzip stream (the CRC is checked).
 */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return transform(new DecompressionStream('gzip'), bytes).text();
}

/** btoa takes a "binary string"; build it in chunks so large inputs do not overflow the argument list. */
const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** @throws DOMException when `text` is not valid base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
