// KEPCO 산업용전력(을) (industrial service B: mining/manufacturing, contract ≥ 300 kW) price tables.
//
// Row layout, exactly the column order of the source tables so a row can be checked against them by eye:
//   [basic 원/kW/month, S-L, S-M, S-P, SF-L, SF-M, SF-P, W-L, W-M, W-P]  (energy in 원/kWh, VAT excluded)
// S = summer (Jun–Aug), SF = spring/autumn (Mar–May, Sep–Oct), W = winter (Nov–Feb);
// L/M/P = 경부하 (light) / 중간부하 (mid) / 최대부하 (peak).
// Voltage: 고압A 3.3–66 kV, 고압B 154 kV, 고압C ≥ 345 kV. 선택Ⅰ/Ⅱ/Ⅲ trade basic against energy charge
// (Ⅰ < 200 h/month utilisation, Ⅱ 200–500 h, Ⅲ > 500 h).

import type { RateTable } from './types.ts';

/**
 * In force 2024-10-24 → 2026-04-15 (2024-10-24 increase: 산업용(을) +16.9 원/kWh on average).
 * Source: KEPCO 기본공급약관 (2024-10-24 판) 별표1 바. 산업용전력(을); text copy in the public GitHub repository
 * `bakjeucar-boop/kwise`, `data/source/기본공급약관.txt`. The PDF text is jumbled in columns, so the table was
 * rebuilt as the 2026 table minus the announced deltas and checked against the numbers in the 약관 text
 * (78 of 81 energy cells found verbatim, the other 3 displaced by the conversion). Project reference notes
 * "korea-energy-facts.md" § 1.3.
 */
export const INDUSTRIAL_B_2024_10_24: RateTable = {
  high_a: {
    I: [7220, 116.4, 169.3, 251.4, 116.4, 138.9, 169.6, 123.4, 169.5, 227.0],
    II: [8320, 110.9, 163.8, 245.9, 110.9, 133.4, 164.1, 117.9, 164.0, 221.5],
    III: [9810, 110.0, 163.2, 233.5, 110.0, 132.1, 155.8, 117.3, 163.4, 210.3],
  },
  high_b: {
    I: [6630, 126.3, 178.6, 259.8, 126.3, 148.6, 178.9, 133.3, 178.6, 234.8],
    II: [7380, 122.5, 174.8, 256.0, 122.5, 144.8, 175.1, 129.5, 174.8, 231.0],
    III: [8190, 120.8, 173.1, 254.4, 120.8, 143.2, 173.5, 127.9, 173.1, 229.3],
  },
  high_c: {
    I: [6590, 125.8, 178.7, 259.6, 125.8, 148.7, 179.1, 132.7, 178.3, 234.9],
    II: [7520, 121.1, 174.0, 254.9, 121.1, 144.0, 174.4, 128.0, 173.6, 230.2],
    III: [8090, 120.0, 172.9, 253.8, 120.0, 142.9, 173.3, 126.9, 172.5, 229.1],
  },
};

/**
 * In force from 2026-04-16 (계절·시간대별 요금 개편, announced 2026-03-13): light +5.1 원/kWh; peak −16.9
 * (summer, winter) / −13.2 (spring/autumn); mid and basic charges unchanged. It comes with new hour bands
 * (see kepco-tou-bands.ts) and a 50 % spring/autumn weekend/holiday 11–14 h energy discount.
 * Source: GitHub `bakjeucar-boop/kwise` `data/tariff_kr_20260601.json`, converted by that project from KEPCO's
 * "2026-06-01_KEPCO_Electricity_Tariff.xlsx" (flagged `"verified": false` there); every cell equals the
 * 2024-10-24 value plus the announced deltas (press: newspim.com 2026-03-13, segye.com 2026-03-13), which
 * test/tariff/data.test.ts checks. Primary: KEPCO 전기요금표 (cyber.kepco.co.kr CYEEHP00101).
 */
export const INDUSTRIAL_B_2026_04_16: RateTable = {
  high_a: {
    I: [7220, 121.5, 169.3, 234.5, 121.5, 138.9, 156.4, 128.5, 169.5, 210.1],
    II: [8320, 116.0, 163.8, 229.0, 116.0, 133.4, 150.9, 123.0, 164.0, 204.6],
    III: [9810, 115.1, 163.2, 216.6, 115.1, 132.1, 142.6, 122.4, 163.4, 193.4],
  },
  high_b: {
    I: [6630, 131.4, 178.6, 242.9, 131.4, 148.6, 165.7, 138.4, 178.6, 217.9],
    II: [7380, 127.6, 174.8, 239.1, 127.6, 144.8, 161.9, 134.6, 174.8, 214.1],
    III: [8190, 125.9, 173.1, 237.5, 125.9, 143.2, 160.3, 133.0, 173.1, 212.4],
  },
  high_c: {
    I: [6590, 130.9, 178.7, 242.7, 130.9, 148.7, 165.9, 137.8, 178.3, 218.0],
    II: [7520, 126.2, 174.0, 238.0, 126.2, 144.0, 161.2, 133.1, 173.6, 213.3],
    III: [8090, 125.1, 172.9, 236.9, 125.1, 142.9, 160.1, 132.0, 172.5, 212.2],
  },
};

/** The 2026-04-16 deltas as announced (원/kWh), for the consistency check of the two tables. */
export const INDUSTRIAL_B_2026_DELTAS_KRW_PER_KWH = {
  light: 5.1,
  mid: 0,
  peakSummerWinter: -16.9,
  peakSpringAutumn: -13.2,
} as const;
