import { describe, expect, it } from 'vitest';
import { chiSquareCdf, chiSquareSf } from './chi-square.js';
import { normalSf } from './normal.js';

const expectRelative = (actual: number, expected: number, tolerance = 1e-13) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

describe('chi-square distribution', () => {
  it('has the closed forms of df = 1 (2·(1 - Φ(√x))), 2 (e^(-x/2)) and 4 (e^(-x/2)(1 + x/2))', () => {
    for (const x of [0.01, 1, 3.84, 20, 200, 1400]) {
      expectRelative(chiSquareSf(x, 1), 2 * normalSf(Math.sqrt(x)), 1e-12);
      expectRelative(chiSquareSf(x, 2), Math.exp(-x / 2), 1e-12);
      expectRelative(chiSquareSf(x, 4), Math.exp(-x / 2) * (1 + x / 2), 1e-12);
    }
  });

  it.each([
    // Critical values of the tables: P(χ²_k > c) = 0.05.
    [3.841458820694124, 1],
    [5.991464547107979, 2],
    [11.070497693516351, 5],
  ])('puts 5%% above the critical value %s at df = %s', (x, k) => {
    expectRelative(chiSquareSf(x, k), 0.05, 1e-12);
    expectRelative(chiSquareCdf(x, k), 0.95, 1e-13);
  });

  it('is 0 below zero and rejects df <= 0', () => {
    expect(chiSquareCdf(0, 3)).toBe(0);
    expect(chiSquareSf(-1, 3)).toBe(1);
    expect(chiSquareSf(1, 0)).toBeNaN();
    expect(chiSquareCdf(Number.NaN, 2)).toBeNaN();
  });
});
