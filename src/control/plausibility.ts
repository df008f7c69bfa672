import type { Scenario } from '../model/schema.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';
import type { Measurement } from '../drivers/types.ts';
import type { MeasurementName } from '../model/measurements.ts';

// The last check on telemetry before the loop stores and uses it, whatever protocol it came by: the
// asset must exist, the value must be one the asset could have produced (its rating with a margin, a
// fraction within 0–1), and the time must be one the device could have measured at. A value that
// fails is refused and counted by reason; a time from the future is replaced by the server's.

/**
 * Headroom over a rating before a reading counts as impossible: meters and inverters briefly read
 * above nameplate (overload capability, measurement tolerance), but not by half again.
 */
export const RATING_MARGIN = 1.5;
/** A device clock this far ahead of the server's is wrong; its readings take the server time. */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/**
 * A reading older than this when read is not current telemetry (a replayed or mis-stamped value):
 * longer than any stale limit an operator would set.
 */
export const MAX_READING_AGE_MS = 24 * 3_600_000;

export type RejectReason = 'unknown_asset' | 'not_finite' | 'out_of_range' | 'too_old';

/** Limits per asset and measurement: [min, max] in the measurement's unit. */
type Range = readonly [number, number];
/** What a range applies to: a measurement, or `name@` for that measurement on any channel. */
type RangeKey = MeasurementName | `${MeasurementName}@`;

export class PlausibilityCheck {
  private readonly ranges = new Map<string, Map<RangeKey, Range>>();
  private readonly known = new Set<string>();
  readonly rejected: Record<string, number> = {};
  accepted = 0;
  /** Readings whose time was replaced by the server's (clock ahead). */
  retimed = 0;

  constructor(scenario: Scenario) {
    const m = RATING_MARGIN;
    const set = (asset: string, measurement: RangeKey, r: Range) => {
      let per = this.ranges.get(asset);
      if (!per) this.ranges.set(asset, (per = new Map()));
      per.set(measurement, r);
    };
    const g = scenario.grid;
    this.known.add(GRID_ASSET_ID);
    set(GRID_ASSET_ID, 'power_kw', [-g.export_limit_kw * m - g.import_limit_kw * 0.1, g.import_limit_kw * m]);
    for (const site of scenario.sites)
      for (const a of site.assets) {
        this.known.add(a.id);
        switch (a.type) {
          case 'pv': {
            const ratingKw = a.inverter_kw ?? a.capacity_kwp;
            set(a.id, 'power_kw', [-0.05 * ratingKw, ratingKw * m]);
            break;
          }
          case 'battery':
            set(a.id, 'power_kw', [-a.max_charge_kw * m, a.max_discharge_kw * m]);
            set(a.id, 'soc_fraction', [0, 1]);
            set(a.id, 'max_charge_kw', [0, a.max_charge_kw * m]);
            set(a.id, 'max_discharge_kw', [0, a.max_discharge_kw * m]);
            break;
          case 'load':
            set(a.id, 'power_kw', [-0.1 * a.peak_kw, a.peak_kw * m]);
            break;
          case 'datacenter': {
            const facilityKw = a.nodes * a.node_full_kw * Math.max(a.pue_cold, a.pue_hot);
            set(a.id, 'power_kw', [0, facilityKw * m]);
            break;
          }
          case 'ev_chargers': {
            const maxKw = Math.max(...a.chargers.map((c) => c.max_power_kw));
            const v2gKw = Math.max(0, ...a.chargers.filter((c) => c.v2g).map((c) => c.max_power_kw));
            // Per connector (a channel) and for the asset as a whole.
            set(a.id, 'power_kw@', [-v2gKw * m, maxKw * m]);
            const totalKw = a.chargers.reduce((x, c) => x + c.count * c.max_power_kw, 0);
            set(a.id, 'power_kw', [-totalKw * m, totalKw * m]);
            set(a.id, 'soc_fraction', [0, 1]);
            break;
          }
          case 'bus_depot':
            set(a.id, 'power_kw@', [a.v2g_chargers > 0 ? -a.charger_kw * m : -1, a.charger_kw * m]);
            set(a.id, 'power_kw', [-a.charger_kw * a.chargers * m, a.charger_kw * a.chargers * m]);
            set(a.id, 'soc_fraction', [0, 1]);
            break;
        }
      }
  }

  /**
   * The measurement as the loop may use it, or the reason it is refused. A reading stamped ahead of
   * the server clock by more than MAX_CLOCK_AHEAD_MS is kept at the server's time.
   */
  check(m: Measurement, nowMs: number): Measurement | RejectReason {
    const r = this.verdict(m, nowMs);
    if (typeof r === 'string') this.rejected[r] = (this.rejected[r] ?? 0) + 1;
    else this.accepted++;
    return r;
  }

  private verdict(m: Measurement, nowMs: number): Measurement | RejectReason {
    if (!this.known.has(m.assetId)) return 'unknown_asset';
    if (!Number.isFinite(m.value) || !Number.isFinite(m.timeMs)) return 'not_finite';
    if (m.timeMs < nowMs - MAX_READING_AGE_MS) return 'too_old';
    const per = this.ranges.get(m.assetId);
    const range =
      (m.channel !== undefined ? per?.get(`${m.measurement}@`) : undefined) ??
      per?.get(m.measurement) ??
      (m.measurement.endsWith('_fraction') ? ([0, 1] as const) : undefined);
    if (range && (m.value < range[0] || m.value > range[1])) return 'out_of_range';
    if (m.timeMs > nowMs + MAX_CLOCK_AHEAD_MS) {
      this.retimed++;
      return { ...m, timeMs: nowMs };
    }
    return m;
  }
}
