import { describe, expect, it } from 'vitest';
import { anySignal } from './abort.js';

describe('anySignal without AbortSignal.any', () => {
  it('aborts with the reason of whichever signal aborts first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const signal = anySignal([a.signal, b.signal], undefined);
    expect(signal.aborted).toBe(false);
    b.abort(new Error('deadline'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('deadline');
    a.abort(new Error('later'));
    expect((signal.reason as Error).message).toBe('deadline');
  });

  it('is aborted at once when a signal already is', () => {
    const signal = anySignal([new AbortController().signal, AbortSignal.abort('gone')], undefined);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });
});
