/**
 * RESP2, the Redis wire protocol: encoding commands and parsing replies.
 * Node-only (Buffer). https://redis.io/docs/latest/develop/reference/protocol-spec/
 */

/** An error reply (`-ERR ...`). A reply value, not thrown. */
export class RespError {
  constructor(readonly message: string) {}
}

/**
 * One reply: a simple string (`+OK`) as `string`, a bulk string as `Buffer`
 * (binary-safe), an integer as `number`, a null bulk string or null array as
 * `null`, an error as `RespError`, an array as an array of replies.
 */
export type RespReply = string | Buffer | number | null | RespError | RespReply[];

const CRLF = Buffer.from('\r\n');

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${data.length}\r\n`), data, CRLF);
  }
  return Buffer.concat(parts);
}

interface Parsed {
  value: RespReply;
  end: number;
}

/** Parses one reply starting at `start`, or returns undefined when `buf` does not hold all of it yet. */
export function parseReply(buf: Buffer, start: number): Parsed | undefined {
  const lineEnd = buf.indexOf(CRLF, start);
  if (lineEnd === -1) return undefined;
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buf[start]) {
    case 0x2b: // '+'
      return { value: line, end: next };
    case 0x2d: // '-'
      return { value: new RespError(line), end: next };
    case 0x3a: // ':'
      return { value: Number(line), end: next };
    case 0x24: {
      // '$'
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.subarray(next, next + length), end: next + length + 2 };
    }
    case 0x2a: {
      // '*'
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, position);
        if (item === undefined) return undefined;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte 0x${(buf[start] ?? 0).toString(16)}`);
  }
}

/** Incremental parser: feed socket chunks to `push`, receive whole replies in order. */
export class RespParser {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onReply: (reply: RespReply) => void) {}

  /** @throws Error on bytes that are not RESP2. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = offset < this.buffer.length ? parseReply(this.buffer, offset) : undefined;
      if (parsed === undefined) break;
      offset = parsed.end;
      this.onReply(parsed.value);
    }
    this.buffer = this.buffer.subarray(offset);
  }
}
