import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('createLogger', () => {
  it("adds the context's fields (such as the active trace) to every line, before the line's own fields and their redaction", () => {
    const lines: string[] = [];
    let context: Record<string, unknown> | undefined = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    const log = createLogger({ write: (line) => lines.push(line), context: () => context });
    log.info('one', { requestId: 'r1', token: 'x' });
    context = undefined;
    log.warn('two');
    const [one, two] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(one).toMatchObject({ message: 'one', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), requestId: 'r1', token: '[redacted]' });
    expect(two).not.toHaveProperty('traceId');
  });
});
