import { describe, expect, it } from 'vitest';
import { latestPerAssetAndTarget } from '../../src/server/routes/data.ts';

// GET /api/forecasts?latest=true keeps the newest forecast of each asset and target.

describe('latest forecast per asset and target', () => {
  it('keeps the first (newest) of each asset and target, in order', () => {
    const newestFirst = [
      { id: 5, assetId: 'pv', target: 'pv_power_kw' },
      { id: 4, assetId: 'load', target: 'load_power_kw' },
      { id: 3, assetId: 'pv', target: 'pv_power_kw' },
      { id: 2, assetId: 'pv', target: 'pv_available_kw' },
      { id: 1, assetId: 'load', target: 'load_power_kw' },
    ];
    expect(latestPerAssetAndTarget(newestFirst).map((f) => f.id)).toEqual([5, 4, 2]);
  });

  it('does not confuse ids that run together', () => {
    const rows = [
      { id: 2, assetId: 'a', target: 'bc' },
      { id: 1, assetId: 'ab', target: 'c' },
    ];
    expect(latestPerAssetAndTarget(rows)).toHaveLength(2);
  });
});
