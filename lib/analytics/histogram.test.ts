import { describe, expect, it } from 'vitest';
import { GAMMA, laneBounds, laneOf, laneValue, MAX_LANE, nearestRank, RELATIVE_ERROR } from './histogram.js';

describe('the latency histogram layout', () => {
  it.each([
    [0, 0],
    [0.0009, 0],
    [0.001, 1],
    [1, 368],
    [1.019, 369],
    [1000, 368 + Math.ceil(Math.log(1000) / Math.log(GAMMA))],
    [86_400_000, MAX_LANE],
    [1e12, MAX_LANE],
    [Number.NaN, 0],
  ])('puts %s ms in lane %s', (latency, lane) => {
    expect(laneOf(latency)).toBe(lane);
  });

  it('reports an estimate within 0.941% of every latency of its lane', () => {
    expect(RELATIVE_ERROR).toBeCloseTo(0.019 / 2.019, 12);
    for (let lane = 1; lane <= MAX_LANE; lane += 7) {
      const { lowerMs, upperMs } = laneBounds(lane);
      const estimate = laneValue(lane);
      // The worst cases are the two ends of the lane.
      expect(Math.abs(estimate - lowerMs) / lowerMs).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
      expect(Math.abs(estimate - upperMs) / upperMs).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
      expect(laneOf(upperMs * (1 - 1e-9))).toBe(lane);
      expect(laneOf(upperMs * (1 + 1e-9))).toBe(lane + 1 > MAX_LANE ? MAX_LANE : lane + 1);
    }
  });

  it('covers 1 µs to 1 day with contiguous lanes', () => {
    expect(laneBounds(1).lowerMs).toBeLessThan(0.001);
    expect(laneBounds(MAX_LANE).upperMs).toBeGreaterThanOrEqual(86_400_000);
    for (let lane = 2; lane <= MAX_LANE; lane++) expect(laneBounds(lane).lowerMs).toBeCloseTo(laneBounds(lane - 1).upperMs, 9);
  });

  it.each([
    [[], 0.5, null],
    [[7], 0.99, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4], 0.51, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1],
  ])('takes the nearest rank of %j at q=%s as %s', (sorted, q, expected) => {
    expect(nearestRank(sorted, q)).toBe(expected);
  });
});
