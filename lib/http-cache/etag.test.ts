import { describe, expect, it } from 'vitest';
import { etagFor } from './etag.js';

describe('etagFor', () => {
  it('returns a quoted strong tag of base64url characters', async () => {
    const tag = await etagFor('{"a":1}', 'p1');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
  });

  it('gives the same body the same tag every time', async () => {
    expect(await etagFor('{"a":1}', 'p1')).toBe(await etagFor('{"a":1}', 'p1'));
  });

  it('gives different bodies different tags', async () => {
    expect(await etagFor('{"a":1}', 'p1')).not.toBe(await etagFor('{"a":2}', 'p1'));
  });

  it('never gives identical bodies in two projects the same tag', async () => {
    expect(await etagFor('{"a":1}', 'project-a')).not.toBe(await etagFor('{"a":1}', 'project-b'));
  });

  it('does not let a namespace/body split collide with another split', async () => {
    expect(await etagFor('b{"a":1}', 'a')).not.toBe(await etagFor('{"a":1}', 'ab'));
  });

  it('hashes the UTF-8 bytes, so a string and its encoded bytes share a tag', async () => {
    const body = '{"name":"Zoë ☃"}';
    expect(await etagFor(new TextEncoder().encode(body), 'p')).toBe(await etagFor(body, 'p'));
  });
});
