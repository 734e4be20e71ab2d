import { describe, expect, it } from 'vitest';
import { retentionOf } from './retention-settings.js';

describe('retentionOf', () => {
  it('keeps 400 days of raw runs and 800 of rollups by default', () => {
    expect(retentionOf({})).toEqual({ runsDays: 400, rollupsDays: 800 });
    expect(retentionOf(null)).toEqual({ runsDays: 400, rollupsDays: 800 });
  });

  it('reads each setting on its own', () => {
    expect(retentionOf({ retention: { runsDays: 30 } })).toEqual({ runsDays: 30, rollupsDays: 800 });
    expect(retentionOf({ retention: { rollupsDays: 1000 } })).toEqual({ runsDays: 400, rollupsDays: 1000 });
  });

  it('never keeps rollups for less time than the raw runs', () => {
    expect(retentionOf({ retention: { runsDays: 900 } })).toEqual({ runsDays: 900, rollupsDays: 900 });
  });

  it('falls back to the defaults for values outside 7 to 3650 whole days', () => {
    expect(retentionOf({ retention: { runsDays: 6, rollupsDays: 3651 } })).toEqual({ runsDays: 400, rollupsDays: 800 });
    expect(retentionOf({ retention: { runsDays: 30.5, rollupsDays: '60' } })).toEqual({ runsDays: 400, rollupsDays: 800 });
  });
});
