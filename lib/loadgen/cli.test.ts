import { describe, expect, it } from 'vitest';
import { numberFlag, parseDuration, parseThinkTime, UsageError } from './cli.js';

describe('flag parsing', () => {
  it('reads durations with units; a bare number is seconds', () => {
    expect(parseDuration('duration', '90')).toBe(90_000);
    expect(parseDuration('duration', '30m')).toBe(1_800_000);
    expect(parseDuration('duration', '1h30m')).toBe(5_400_000);
    expect(parseDuration('duration', '250ms')).toBe(250);
    expect(() => parseDuration('duration', '10 minutes')).toThrow(/--duration: "10 minutes" is not a duration/);
    expect(() => parseDuration('duration', '0s')).toThrow(UsageError);
  });

  it('reads think time as a range, a fixed pause or none', () => {
    expect(parseThinkTime('500-1500')).toEqual({ min: 500, max: 1500 });
    expect(parseThinkTime('1000')).toEqual({ min: 1000, max: 1000 });
    expect(parseThinkTime('0')).toBeNull();
    expect(() => parseThinkTime('2-1')).toThrow(/backwards/);
    expect(() => parseThinkTime('fast')).toThrow(UsageError);
  });

  it('reads numbers and names the flag when one is wrong', () => {
    expect(numberFlag('rate', undefined, 5)).toBe(5);
    expect(numberFlag('rate', '12.5', 5)).toBe(12.5);
    expect(() => numberFlag('rate', 'abc', 5)).toThrow(/--rate: "abc"/);
    expect(() => numberFlag('rate', '-1', 5)).toThrow(UsageError);
    expect(() => numberFlag('concurrency', '2.5', 1, Number.isInteger)).toThrow(/--concurrency/);
  });
});
