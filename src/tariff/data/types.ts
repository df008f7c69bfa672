export type Voltage = 'high_a' | 'high_b' | 'high_c';
export type RateOption = 'I' | 'II' | 'III';
export type Season = 'summer' | 'spring_autumn' | 'winter';
export type Band = 'light' | 'mid' | 'peak';

/** [basic 원/kW/month, S-L, S-M, S-P, SF-L, SF-M, SF-P, W-L, W-M, W-P], energy in 원/kWh before VAT. */
export type RateRow = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

export type RateTable = Partial<Record<Voltage, Partial<Record<RateOption, RateRow>>>>;

/** Band of each local hour 0–23 (the hour starting at h:00), per season. */
export type HourBands = Record<Season, readonly Band[]>;
