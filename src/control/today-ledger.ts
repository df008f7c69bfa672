import { buildLedger, ledgerGrid, ledgerParamsOf, type Ledger } from '../ledger/index.ts';
import type { Scenario } from '../model/schema.ts';
import { localTime, MS_PER_MINUTE } from '../model/time.ts';
import { DateTime } from 'luxon';

// Today's hourly RE100 matching for the live state, by the ledger's one definition (src/ledger,
// docs/ledger.md) and from the same signals GET /api/ledger reads from the store: per district
// interval the mean of the grid meter, the PV arrays, the batteries and the PPA meter, the
// batteries' stored energy at the interval's end. So the dashboard's figure for today and the
// ledger's for the same day agree.

interface Bucket {
  gridKw: number;
  gridN: number;
  pvKw: number;
  pvN: number;
  batteryKw: number;
  batteryN: number;
  ppaKw: number;
  ppaN: number;
  socKwh?: number;
}

export interface TodaySample {
  /** Grid meter, import +, kW; undefined without a reading. */
  gridKw?: number;
  /** Every PV array's output, summed, kW; undefined without readings. */
  pvKw?: number;
  /** Every battery, discharge +, kW; undefined without readings. */
  batteryKw?: number;
  /** Energy stored in all batteries, kWh; undefined without SoC readings. */
  socKwh?: number;
  /** PPA delivery meter, kW. */
  ppaKw?: number;
}

export class TodayLedger {
  private dayKey = '';
  private dayStartMs = 0;
  private readonly buckets = new Map<number, Bucket>();
  private initialSocKwh?: number;
  private lastSocKwh?: number;
  private lastMs = 0;

  constructor(private readonly scenario: Scenario) {}

  observe(nowMs: number, s: TodaySample): void {
    const zone = this.scenario.timezone;
    const key = localTime(nowMs, zone).date;
    if (key !== this.dayKey) {
      this.dayKey = key;
      this.dayStartMs = DateTime.fromMillis(nowMs, { zone }).startOf('day').toMillis();
      this.buckets.clear();
      // The day starts from the energy stored at its first reading or the last one before it.
      this.initialSocKwh = this.lastSocKwh ?? s.socKwh;
    }
    this.lastMs = nowMs;
    const stepMs = this.scenario.interval_minutes * MS_PER_MINUTE;
    const i = Math.floor((nowMs - this.dayStartMs) / stepMs);
    let b = this.buckets.get(i);
    if (!b) {
      b = { gridKw: 0, gridN: 0, pvKw: 0, pvN: 0, batteryKw: 0, batteryN: 0, ppaKw: 0, ppaN: 0 };
      this.buckets.set(i, b);
    }
    if (s.gridKw !== undefined) {
      b.gridKw += s.gridKw;
      b.gridN++;
    }
    if (s.pvKw !== undefined) {
      b.pvKw += s.pvKw;
      b.pvN++;
    }
    if (s.batteryKw !== undefined) {
      b.batteryKw += s.batteryKw;
      b.batteryN++;
    }
    if (s.ppaKw !== undefined) {
      b.ppaKw += s.ppaKw;
      b.ppaN++;
    }
    if (s.socKwh !== undefined) {
      b.socKwh = s.socKwh;
      this.lastSocKwh = s.socKwh;
      this.initialSocKwh ??= s.socKwh;
    }
  }

  /** Hourly (24/7) matching share of today so far, 0–1; 0 before any consumption. */
  matchingShare(): number {
    return this.ledger()?.totals.hourlyMatchingShare ?? 0;
  }

  /** Today's ledger so far (undefined before the first reading). */
  ledger(): Ledger | undefined {
    if (this.buckets.size === 0) return undefined;
    const grid = ledgerGrid(this.scenario, this.dayStartMs, this.lastMs + 1);
    const n = grid.count;
    const mean = (sum: number, count: number) => (count > 0 ? sum / count : 0);
    const f = {
      grid,
      consumptionKw: new Float64Array(n),
      pvKw: new Float64Array(n),
      importKw: new Float64Array(n),
      exportKw: new Float64Array(n),
      batteryKw: new Float64Array(n),
      batterySocKwh: new Float64Array(n),
      batteryInitialSocKwh: this.initialSocKwh ?? 0,
      ppaKw: new Float64Array(n),
    };
    let soc = this.initialSocKwh ?? 0;
    for (let i = 0; i < n; i++) {
      const b = this.buckets.get(i);
      const gridKw = b ? mean(b.gridKw, b.gridN) : 0;
      const pvKw = b ? Math.max(0, mean(b.pvKw, b.pvN)) : 0;
      const batteryKw = b ? mean(b.batteryKw, b.batteryN) : 0;
      if (b?.socKwh !== undefined) soc = b.socKwh;
      f.importKw[i] = Math.max(0, gridKw);
      f.exportKw[i] = Math.max(0, -gridKw);
      f.pvKw[i] = pvKw;
      f.batteryKw[i] = batteryKw;
      f.batterySocKwh[i] = soc;
      f.ppaKw[i] = b ? Math.max(0, mean(b.ppaKw, b.ppaN)) : 0;
      f.consumptionKw[i] = Math.max(0, gridKw + pvKw + batteryKw);
    }
    return buildLedger(f, ledgerParamsOf(this.scenario));
  }
}
