import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, formatBound, formatLabelPairs, formatNumber } from './format.js';

describe('escapeLabelValue', () => {
  it('escapes backslash, double quote and line feed, and nothing else', () => {
    expect(escapeLabelValue('plain /api/runs?x=1')).toBe('plain /api/runs?x=1');
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('tab\there é')).toBe('tab\there é');
  });
});

describe('escapeHelp', () => {
  it('escapes backslash and line feed but leaves quotes (0.0.4 has no \\" in HELP)', () => {
    expect(escapeHelp('say "hi"\\\nbye')).toBe('say "hi"\\\\\\nbye');
  });
});

describe('formatNumber', () => {
  it('spells non-finite values as the exposition formats do', () => {
    expect(formatNumber(Infinity)).toBe('+Inf');
    expect(formatNumber(-Infinity)).toBe('-Inf');
    expect(formatNumber(NaN)).toBe('NaN');
  });

  it('writes finite numbers in shortest round-trip form', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
  });
});

describe('formatBound', () => {
  it('gives integral bounds a .0 so both formats carry the canonical le value', () => {
    expect(formatBound(1)).toBe('1.0');
    expect(formatBound(0.25)).toBe('0.25');
    expect(formatBound(1e22)).toBe('1e+22');
  });
});

describe('formatLabelPairs', () => {
  it('renders escaped pairs in declaration order without braces', () => {
    expect(formatLabelPairs([], [])).toBe('');
    expect(formatLabelPairs(['a', 'b'], ['x', 'y"'])).toBe('a="x",b="y\\""');
  });
});
