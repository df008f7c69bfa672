// KEPCO 일반용전력(을) (general service B: commercial, offices, data-centre-type service, contract ≥ 300 kW).
// Row layout as in kepco-industrial-b.ts: [basic 원/kW/month, S-L, S-M, S-P, SF-L, SF-M, SF-P, W-L, W-M, W-P].
//
// Prices in force 2026, identical to the 2024-10-24 기본공급약관 (주택·일반용 prices were frozen at the
// 2024-10-24 revision, and the 2026 revision moved the 일반용 hour bands on 2026-06-01 without changing its
// prices). Source: GitHub `bakjeucar-boop/kwise` `data/tariff_kr_20260601.json` (from KEPCO's 2026-06-01
// tariff xlsx, `"verified": false`); project reference notes "korea-energy-facts.md" § 1.4. The source has
// 고압A and 고압B only; 고압C is rejected with an error.

import type { RateTable } from './types.ts';

export const GENERAL_B_2024_10_24: RateTable = {
  high_a: {
    I: [7220, 92.8, 145.7, 227.8, 92.8, 115.3, 146.0, 99.8, 145.9, 203.4],
    II: [8320, 87.3, 140.2, 222.3, 87.3, 109.8, 140.5, 94.3, 140.4, 197.9],
    III: [9810, 86.4, 139.6, 209.9, 86.4, 108.5, 132.2, 93.7, 139.8, 186.7],
  },
  high_b: {
    I: [6630, 95.9, 148.2, 229.4, 95.9, 118.2, 148.5, 102.9, 148.2, 204.4],
    II: [7380, 92.1, 144.4, 225.6, 92.1, 114.4, 144.7, 99.1, 144.4, 200.6],
    III: [8190, 90.4, 142.7, 224.0, 90.4, 112.8, 143.1, 97.5, 142.7, 198.9],
  },
};
