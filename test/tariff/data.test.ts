import { describe, expect, it } from 'vitest';
import { GENERAL_B_2024_10_24 } from '../../src/tariff/data/kepco-general-b.ts';
import {
  INDUSTRIAL_B_2024_10_24,
  INDUSTRIAL_B_2026_04_16,
  INDUSTRIAL_B_2026_DELTAS_KRW_PER_KWH as D,
} from '../../src/tariff/data/kepco-industrial-b.ts';
import { BANDS_2023, BANDS_2026 } from '../../src/tariff/data/kepco-tou-bands.ts';
import type { RateOption, Voltage } from '../../src/tariff/data/types.ts';

const voltages: Voltage[] = ['high_a', 'high_b', 'high_c'];
const options: RateOption[] = ['I', 'II', 'III'];

describe('KEPCO tables', () => {
  it('the 2026-04-16 산업용(을) table is the 2024-10-24 table plus the announced deltas, cell by cell', () => {
    // Columns: basic, S-L, S-M, S-P, SF-L, SF-M, SF-P, W-L, W-M, W-P.
    const delta = [
      0,
      D.light,
      D.mid,
      D.peakSummerWinter,
      D.light,
      D.mid,
      D.peakSpringAutumn,
      D.light,
      D.mid,
      D.peakSummerWinter,
    ];
    let cells = 0;
    for (const v of voltages)
      for (const o of options) {
        const old = INDUSTRIAL_B_2024_10_24[v]![o]!;
        const now = INDUSTRIAL_B_2026_04_16[v]![o]!;
        for (let c = 0; c < 10; c++) {
          expect(now[c], `${v} ${o} column ${c}`).toBeCloseTo(old[c] + delta[c], 6);
          cells++;
        }
      }
    expect(cells).toBe(90);
  });

  it('prices rise from light to mid to peak in every row', () => {
    for (const table of [INDUSTRIAL_B_2024_10_24, INDUSTRIAL_B_2026_04_16, GENERAL_B_2024_10_24])
      for (const byOption of Object.values(table))
        for (const row of Object.values(byOption!)) {
          for (const c of [1, 4, 7]) {
            expect(row![c]).toBeLessThan(row![c + 1]);
            expect(row![c + 1]).toBeLessThan(row![c + 2]);
          }
        }
  });

  it('both band sets are light 22–08 and mid/peak 08–22 in every season (the demand window)', () => {
    for (const bands of [BANDS_2023, BANDS_2026])
      for (const season of ['summer', 'spring_autumn', 'winter'] as const)
        for (let h = 0; h < 24; h++)
          expect(bands[season][h] === 'light', `${season} ${h}h`).toBe(h < 8 || h >= 22);
  });
});
