import { describe, expect, it } from 'vitest';
import { encodeCommand, parseReply, RespError, RespParser, type RespReply } from './resp.js';

describe('encodeCommand', () => {
  it('encodes arguments as bulk strings counted in UTF-8 bytes', () => {
    expect(encodeCommand(['SET', 'k', 'é']).toString('utf8')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  });

  it('encodes an empty argument', () => {
    expect(encodeCommand(['GET', '']).toString()).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
  });
});

describe('parseReply', () => {
  const parse = (text: string) => parseReply(Buffer.from(text, 'utf8'), 0)?.value;

  it('reads each RESP2 type', () => {
    expect(parse('+OK\r\n')).toBe('OK');
    expect(parse('-ERR wrong\r\n')).toEqual(new RespError('ERR wrong'));
    expect(parse(':-42\r\n')).toBe(-42);
    expect(parse('$5\r\nhello\r\n')).toEqual(Buffer.from('hello'));
    expect(parse('$-1\r\n')).toBeNull();
    expect(parse('*-1\r\n')).toBeNull();
    expect(parse('*0\r\n')).toEqual([]);
    expect(parse('*2\r\n:1\r\n*1\r\n$1\r\nx\r\n')).toEqual([1, [Buffer.from('x')]]);
  });

  it('keeps CRLF inside a bulk string', () => {
    expect(parse('$4\r\na\r\nb\r\n')).toEqual(Buffer.from('a\r\nb'));
  });

  it('reports an incomplete reply as undefined', () => {
    for (const text of ['', '+OK', '$5\r\nhel', '$5\r\nhello', '*2\r\n:1\r\n']) expect(parse(text)).toBeUndefined();
  });

  it('refuses bytes that are not RESP2', () => {
    expect(() => parse('?what\r\n')).toThrow(/protocol error/);
  });
});

describe('RespParser', () => {
  it('delivers every reply in order however the bytes are split', () => {
    const stream = Buffer.from('+OK\r\n$3\r\nabc\r\n*2\r\n:1\r\n$-1\r\n-ERR x\r\n$0\r\n\r\n');
    const expected: RespReply[] = ['OK', Buffer.from('abc'), [1, null], new RespError('ERR x'), Buffer.alloc(0)];
    for (let size = 1; size <= stream.length; size++) {
      const replies: RespReply[] = [];
      const parser = new RespParser((reply) => replies.push(reply));
      for (let i = 0; i < stream.length; i += size) parser.push(stream.subarray(i, i + size));
      expect(replies).toEqual(expected);
    }
  });
});
