// Writes the synthetic series of the EMHASS-shaped week beside this file (README.md says what they
// are): `npx tsx scenarios/emhass-week/generate.ts`. Deterministic: the same seed gives the same files.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { createRandom } from '../../src/weather/index.ts';

const ZONE = 'Asia/Seoul';
const START = '2026-06-01'; // a Monday
/** Seven planned days and one more: `bitgrid optimize` prepares the day after the horizon too. */
const DAYS = 8;
const STEP_MINUTES = 15;
const SEED = 2026;

// Load: a small office and workshop building.
/** Always-on consumption (servers, refrigeration, standby), kW. */
const LOAD_BASE_KW = 25;
/** Extra at the middle of a working day (lighting, cooling, machines), kW. */
const LOAD_WORK_KW = 65;
/** Working hours, local [start, end). */
const WORK_HOURS: [number, number] = [8, 19];
/** Share of the working-day extra on Saturdays and Sundays (a skeleton crew). */
const WEEKEND_SHARE = 0.3;
/** Relative standard deviation of the quarter-hour noise, and its persistence (AR(1) coefficient). */
const LOAD_NOISE = 0.04;
const LOAD_NOISE_PERSISTENCE = 0.8;

// PV: 120 kWp on the roof, early June at 35 °N.
const PV_KWP = 120;
/** Sunrise and sunset, local hours, in Gwangju in early June (KASI almanac: about 05:15 and 19:45). */
const SUNRISE_H = 5.25;
const SUNSET_H = 19.75;
/** Clear-sky AC output at solar noon per kWp after temperature, inverter and wiring losses. */
const PV_CLEAR_NOON_PER_KWP = 0.78;
/** Daily cloudiness (1 = clear): two clear days, two broken-cloud days, one overcast, as a June week. */
const DAY_CLEARNESS = [1.0, 0.92, 0.45, 0.7, 0.98, 0.88, 0.55, 0.9];
/** Quarter-hour cloud flicker on a day of clearness c: relative standard deviation (1 − c) × this. */
const CLOUD_FLICKER = 0.6;

// Time-of-use import price, 원/kWh before VAT and fund: three bands in the shape of KEPCO's summer
// 산업용(을) 고압A 선택II (light 22–08, peak 11–12 and 13–18, mid otherwise; weekends light), the levels
// rounded from its 2024 schedule plus the climate and fuel adders.
const PRICE_LIGHT = 110;
const PRICE_MID = 165;
const PRICE_PEAK = 245;
// Export price: an SMP-like day, lower at midday when solar floods the market, 원/kWh.
const EXPORT_BASE = 115;
const EXPORT_MIDDAY_DIP = 35;

const here = dirname(fileURLToPath(import.meta.url));
const rng = createRandom(SEED);
const rows = { load: ['time,value'], pv: ['time,value'], imp: ['time,value'], exp: ['time,value'] };
const round = (x: number) => (Math.round(x * 1000) / 1000).toString();
let noise = 0;
const t0 = DateTime.fromISO(START, { zone: ZONE });
for (let day = 0; day < DAYS; day++) {
  const date = t0.plus({ days: day });
  const weekend = date.weekday >= 6;
  const clearness = DAY_CLEARNESS[day];
  for (let q = 0; q < (24 * 60) / STEP_MINUTES; q++) {
    const t = date.plus({ minutes: q * STEP_MINUTES });
    const h = t.hour + t.minute / 60;
    const time = t.toFormat("yyyy-MM-dd'T'HH:mm");
    // Load: base plus a smooth working-day hump.
    const inWork = h >= WORK_HOURS[0] && h < WORK_HOURS[1];
    const hump = inWork ? Math.sin((Math.PI * (h - WORK_HOURS[0])) / (WORK_HOURS[1] - WORK_HOURS[0])) : 0;
    noise = LOAD_NOISE_PERSISTENCE * noise + Math.sqrt(1 - LOAD_NOISE_PERSISTENCE ** 2) * rng.normal();
    const loadKw =
      (LOAD_BASE_KW + LOAD_WORK_KW * (weekend ? WEEKEND_SHARE : 1) * hump) * (1 + LOAD_NOISE * noise);
    rows.load.push(`${time},${round(Math.max(0, loadKw))}`);
    // PV: a sine-shaped clear day (mid-interval), scaled by the day's clearness with some flicker.
    const hm = h + STEP_MINUTES / 120;
    const sun =
      hm > SUNRISE_H && hm < SUNSET_H ? Math.sin((Math.PI * (hm - SUNRISE_H)) / (SUNSET_H - SUNRISE_H)) : 0;
    const flicker = 1 + (1 - clearness) * CLOUD_FLICKER * rng.normal();
    const pvKw = PV_KWP * PV_CLEAR_NOON_PER_KWP * sun ** 1.2 * clearness * Math.max(0, flicker);
    rows.pv.push(`${time},${round(Math.min(PV_KWP, pvKw))}`);
    // Prices change on the hour.
    if (t.minute === 0) {
      const hr = t.hour;
      const peak = (hr >= 11 && hr < 12) || (hr >= 13 && hr < 18);
      const light = hr >= 22 || hr < 8;
      const price = weekend || light ? PRICE_LIGHT : peak ? PRICE_PEAK : PRICE_MID;
      rows.imp.push(`${time},${price}`);
      const dip = hr >= 10 && hr < 16 ? EXPORT_MIDDAY_DIP : 0;
      rows.exp.push(`${time},${EXPORT_BASE - dip}`);
    }
  }
}
writeFileSync(join(here, 'load-kw.csv'), rows.load.join('\n') + '\n');
writeFileSync(join(here, 'pv-kw.csv'), rows.pv.join('\n') + '\n');
writeFileSync(join(here, 'import-price.csv'), rows.imp.join('\n') + '\n');
writeFileSync(join(here, 'export-price.csv'), rows.exp.join('\n') + '\n');
