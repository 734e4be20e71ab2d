import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { jsonDepth, readJsonBody, readOptionalJsonBody } from './body.js';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://x/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('readJsonBody', () => {
  it('parses a JSON document', async () => {
    await expect(readJsonBody(post('{"a":[1,2]}'))).resolves.toEqual({ a: [1, 2] });
  });

  it('accepts +json media types and charset parameters', async () => {
    await expect(readJsonBody(post('1', { 'content-type': 'application/vnd.iris+json; charset=utf-8' }))).resolves.toBe(1);
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    expect((await failure(readJsonBody(post('{}', { 'content-type': 'text/plain' })))).status).toBe(415);
    expect((await failure(readJsonBody(post('{}', {})))).status).toBe(415);
  });

  it('answers 413 from Content-Length before reading the body', async () => {
    const error = await failure(readJsonBody(post('{}', { 'content-type': 'application/json', 'content-length': '2000000' })));
    expect(error.status).toBe(413);
  });

  it('answers 413 when a streamed body grows past the limit', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(100).fill(32));
        controller.close();
      },
    });
    expect((await failure(readJsonBody(post(stream), { maxBytes: 1000 }))).status).toBe(413);
  });

  it('answers 400 for malformed JSON, empty bodies and invalid UTF-8', async () => {
    expect((await failure(readJsonBody(post('{"a":')))).code).toBe('malformed_json');
    expect((await failure(readJsonBody(post('')))).code).toBe('empty_body');
    expect((await failure(readJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d]))))).code).toBe('invalid_utf8');
  });

  it('answers 400 request_aborted, not a server error, when the body stream fails mid-way (an aborted upload)', async () => {
    for (const read of [readJsonBody, readOptionalJsonBody]) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"expertId":'));
          controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        },
      });
      const error = await failure(read(post(body)));
      expect([error.status, error.code]).toEqual([400, 'request_aborted']);
    }
  });

  it('answers 400 for nesting deeper than the limit without parsing it', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect((await failure(readJsonBody(post(deep)))).code).toBe('json_too_deep');
  });
});

describe('readOptionalJsonBody', () => {
  const stream = (...chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });

  it('reads an empty body as no body, whatever the headers say', async () => {
    await expect(readOptionalJsonBody(post(null, {}))).resolves.toBeUndefined();
    await expect(readOptionalJsonBody(post('', {}))).resolves.toBeUndefined();
    await expect(readOptionalJsonBody(post(stream(), {}))).resolves.toBeUndefined();
    await expect(readOptionalJsonBody(post(stream(new Uint8Array(0), new Uint8Array(0)), { 'content-type': 'text/plain' }))).resolves.toBeUndefined();
    await expect(readOptionalJsonBody(post('', { 'content-type': 'application/json', 'content-length': '0' }))).resolves.toBeUndefined();
  });

  it('parses a body with bytes in it as JSON', async () => {
    await expect(readOptionalJsonBody(post('{"a":1}'))).resolves.toEqual({ a: 1 });
    await expect(readOptionalJsonBody(post(stream(new TextEncoder().encode('{}'))))).resolves.toEqual({});
  });

  it('holds a body with bytes in it to every rule of a required one', async () => {
    expect((await failure(readOptionalJsonBody(post('{}', {})))).status).toBe(415);
    expect((await failure(readOptionalJsonBody(post('{}', { 'content-type': 'text/plain' })))).status).toBe(415);
    expect((await failure(readOptionalJsonBody(post('{"a":')))).code).toBe('malformed_json');
    expect((await failure(readOptionalJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d]))))).code).toBe('invalid_utf8');
    expect((await failure(readOptionalJsonBody(post('['.repeat(40) + ']'.repeat(40))))).code).toBe('json_too_deep');
    expect((await failure(readOptionalJsonBody(post(stream(new Uint8Array(2000).fill(32))), { maxBytes: 1000 }))).status).toBe(413);
  });

  it('refuses a declared length over the limit or malformed before reading', async () => {
    expect((await failure(readOptionalJsonBody(post('', { 'content-length': '2000000' })))).status).toBe(413);
    expect((await failure(readOptionalJsonBody(post('', { 'content-length': 'ten' })))).code).toBe('invalid_content_length');
  });
});

describe('jsonDepth', () => {
  it('counts nesting and ignores brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[{"b":"[[[[{"}]}')).toBe(3);
    expect(jsonDepth('["\\"[["]')).toBe(1);
  });
});
