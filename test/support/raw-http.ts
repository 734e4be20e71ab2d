/**
 * Node-only. HTTP/1.1 requests written byte for byte over a TCP socket, for
 * tests about framing that fetch and node:http would normalise away (fetch
 * adds `Content-Type: text/plain` to a string body, node:http adds
 * `Content-Length: 0` to an empty one; curl's bare `-X POST` sends neither).
 */
import { connect } from 'node:net';
import { ResponseParser, type ParsedResponse } from '../../lib/loadgen/index.js';

/** The answer as the load generator's parser reads it: the body is kept for error statuses only. */
export type RawResponse = ParsedResponse;

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method: string;
  /** Path and query, as written in the request line. */
  path: string;
  /** Header lines exactly as sent, without `Host` and `Connection` (added: the host of `baseUrl`, `close`). */
  headers?: readonly string[];
  /** Bytes written after the blank line, verbatim (framing such as chunks included). @default '' */
  body?: string;
}

/**
 * Sends one request to the server at `baseUrl` and reads its answer (the
 * request says `Connection: close`).
 * @example
 * await rawRequest(url, { method: 'POST', path: '/x', headers: ['Transfer-Encoding: chunked'], body: '0\r\n\r\n' });
 */
export function rawRequest(baseUrl: string, options: RawRequestOptions): Promise<RawResponse> {
  const { hostname, port, host } = new URL(baseUrl);
  const head = [`${options.method} ${options.path} HTTP/1.1`, `Host: ${host}`, ...(options.headers ?? []), 'Connection: close'];
  return new Promise((resolve, reject) => {
    const parser = new ResponseParser();
    parser.expect(options.method);
    let response: ParsedResponse | null = null;
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('connect', () => socket.end(`${head.join('\r\n')}\r\n\r\n${options.body ?? ''}`));
    socket.on('data', (chunk: Buffer) => {
      try {
        response ??= parser.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      response ??= parser.end();
      if (response) resolve(response);
      else reject(new Error(`${options.method} ${options.path}: the connection closed before a complete response`));
    });
  });
}
