import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrivalSchedule, scaleStages, totalDurationMs, validateStages, valueAt } from './stages.js';

describe('valueAt', () => {
  const stages = [
    { durationMs: 1000, target: 50 },
    { durationMs: 2000, target: 50 },
    { durationMs: 1000, target: 10 },
  ];

  it('ramps linearly from the start through each stage and holds the last target', () => {
    expect(valueAt(10, stages, 0)).toBe(10);
    expect(valueAt(10, stages, 500)).toBe(30);
    expect(valueAt(10, stages, 2000)).toBe(50);
    expect(valueAt(10, stages, 3500)).toBe(30);
    expect(valueAt(10, stages, 99_000)).toBe(10);
    expect(totalDurationMs(stages)).toBe(4000);
  });

  it('scales every stage proportionally', () => {
    expect(scaleStages(stages, 0.1)).toEqual([
      { durationMs: 100, target: 50 },
      { durationMs: 200, target: 50 },
      { durationMs: 100, target: 10 },
    ]);
    expect(() => scaleStages(stages, 0)).toThrow(/scale/);
  });

  it('rejects stages without a positive duration or with a negative target', () => {
    expect(() => validateStages(1, [], 'x')).toThrow(/at least one stage/);
    expect(() => validateStages(1, [{ durationMs: 0, target: 1 }], 'x')).toThrow(/duration/);
    expect(() => validateStages(1, [{ durationMs: 1, target: -1 }], 'x')).toThrow(/target/);
  });
});

describe('ArrivalSchedule', () => {
  it('spaces requests evenly at a constant rate', () => {
    const s = new ArrivalSchedule(100, [{ durationMs: 1000, target: 100 }]);
    expect(s.expectedCount).toBe(100);
    expect(s.timeOf(0)).toBe(0);
    expect(s.timeOf(1)).toBeCloseTo(10, 9);
    expect(s.timeOf(99)).toBeCloseTo(990, 9);
    expect(s.timeOf(100)).toBeNull();
  });

  it('schedules as many requests as the integral of a ramping rate', () => {
    // 0 → 100/s over 2 s: by t seconds, 25·t² requests are due (100 in all).
    const s = new ArrivalSchedule(0, [{ durationMs: 2000, target: 100 }]);
    expect(s.expectedCount).toBe(100);
    expect(s.timeOf(25)).toBeCloseTo(1000, 6);
    expect(s.timeOf(99)).toBeCloseTo(1989.97, 1);
    expect(s.rateAt(1000)).toBe(50);
  });

  it('gives non-decreasing times that stay inside the schedule', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.array(fc.record({ durationMs: fc.integer({ min: 1, max: 5000 }), target: fc.double({ min: 0, max: 200, noNaN: true }) }), { minLength: 1, maxLength: 4 }),
        (start, stages) => {
          const s = new ArrivalSchedule(start, stages);
          let previous = -1;
          let i = 0;
          for (let t = s.timeOf(i); t !== null; t = s.timeOf(++i)) {
            expect(t).toBeGreaterThanOrEqual(previous - 1e-6);
            expect(t).toBeLessThanOrEqual(s.durationMs + 1e-6);
            previous = t;
          }
          expect(Math.abs(i - s.expectedCount)).toBeLessThanOrEqual(stages.length + 1);
        },
      ),
    );
  });
});
