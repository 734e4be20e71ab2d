import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpParseError, ResponseParser, type ParsedResponse } from './response-parser.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** Feeds `raw` in the given pieces and returns the response (and whether it completed early). */
function parse(raw: string | Buffer, method = 'GET', cuts: number[] = []): ParsedResponse | null {
  const data = typeof raw === 'string' ? bytes(raw) : raw;
  const parser = new ResponseParser();
  parser.expect(method);
  const points = [...new Set(cuts.map((c) => Math.min(data.length, Math.max(0, c))))].sort((a, b) => a - b);
  let start = 0;
  let result: ParsedResponse | null = null;
  for (const end of [...points, data.length]) {
    if (end <= start) continue;
    expect(result).toBeNull();
    result = parser.push(data.subarray(start, end));
    start = end;
  }
  return result ?? parser.end();
}

describe('ResponseParser', () => {
  it('reads a Content-Length response with its headers lower-cased', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Cache: HIT-L1\r\nContent-Length: 11\r\n\r\n{"ok":true}');
    expect(r).toEqual({ status: 200, headers: { 'content-type': 'application/json', 'x-cache': 'HIT-L1', 'content-length': '11' }, bodyBytes: 11, body: null, keepAlive: true });
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const r = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n');
    expect(r?.bodyBytes).toBe(11);
    expect(r?.keepAlive).toBe(true);
  });

  it('keeps the start of an error body so failures can be grouped by code', () => {
    const body = JSON.stringify({ error: { code: 'service_unavailable', message: 'down' } });
    const r = parse(`HTTP/1.1 503 Service Unavailable\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(r?.status).toBe(503);
    expect(r?.body).toBe(body);
  });

  it('reads a body delimited by the connection closing', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    expect(r).toMatchObject({ status: 200, bodyBytes: 13, keepAlive: false });
  });

  it('expects no body for HEAD, 204 and 304, whatever Content-Length says', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'HEAD')?.bodyBytes).toBe(0);
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')?.status).toBe(204);
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')?.status).toBe(304);
  });

  it('skips interim 1xx responses', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}');
    expect(r?.status).toBe(201);
  });

  it('follows Connection semantics of HTTP/1.0 and 1.1', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')?.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')?.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')?.keepAlive).toBe(true);
  });

  it('joins repeated headers', () => {
    expect(parse('HTTP/1.1 200 OK\r\nVary: Origin\r\nVary: Authorization\r\nContent-Length: 0\r\n\r\n')?.headers.vary).toBe('Origin, Authorization');
  });

  it('returns null when the connection closes before the response is complete', () => {
    const parser = new ResponseParser();
    parser.expect('GET');
    expect(parser.push(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))).toBeNull();
    expect(parser.end()).toBeNull();
  });

  it('rejects malformed responses with HttpParseError', () => {
    for (const raw of ['HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 2000 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
      expect(() => parse(raw), raw).toThrow(HttpParseError);
    }
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcd')).toThrow(/after the end/);
  });

  it('parses the same response however the bytes are split across reads', () => {
    const raws = [
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Cache: MISS\r\n\r\n{"ok":true}',
      'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...raws), fc.array(fc.nat({ max: 200 }), { maxLength: 12 }), (raw, cuts) => {
        expect(parse(raw, 'GET', cuts)).toEqual(parse(raw));
      }),
    );
  });
});
