import { describe, expect, it } from 'vitest';
import { replyToJson, toOutcome } from './encoding.js';
import { RespError } from './resp.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('replyToJson', () => {
  it('base64-encodes every string except the status reply OK', () => {
    expect(replyToJson('OK', true)).toBe('OK');
    expect(replyToJson('PONG', true)).toBe(b64('PONG'));
    expect(replyToJson(Buffer.from('OK'), true)).toBe(b64('OK'));
    expect(replyToJson(Buffer.from([0xff, 0x00]), true)).toBe('/wA=');
  });

  it('keeps numbers, null and array shape, encoding strings inside arrays', () => {
    expect(replyToJson([1, null, Buffer.from('é'), [Buffer.from('x')]], true)).toEqual([1, null, b64('é'), [b64('x')]]);
  });

  it('decodes strings as UTF-8 without the base64 header', () => {
    expect(replyToJson([Buffer.from('日本'), 'OK', 3], false)).toEqual(['日本', 'OK', 3]);
  });
});

describe('toOutcome', () => {
  it('turns an error reply into an error entry, never encoded', () => {
    expect(toOutcome(new RespError('ERR nope'), true)).toEqual({ error: 'ERR nope' });
    expect(toOutcome(Buffer.from('v'), true)).toEqual({ result: b64('v') });
  });
});
