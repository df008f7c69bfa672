import { DateTime } from 'luxon';
import type { Scenario, AssetOf } from '../model/schema.ts';
import { MS_PER_HOUR } from '../model/time.ts';

// What to assume about a charging session whose charger tells neither departure nor energy (OCPP
// 1.6J, or 2.0.1 without NotifyEVChargingNeeds) and for which nobody used the API: learned from the
// site's own finished sessions once there are enough, the district file's session profile before.

/** Finished sessions needed before the site's own history replaces the district file's profile. */
export const MIN_LEARNED_SESSIONS = 10;
/** Most finished sessions remembered per asset (a few weeks of a campus's sessions). */
const MAX_REMEMBERED_SESSIONS = 500;

export interface SessionGuess {
  departureMs: number;
  energyKwh: number;
  source: 'district_file' | 'site_history';
}

interface Finished {
  arrivalHour: number;
  dwellHours: number;
  energyKwh: number;
}

export class SessionDefaults {
  private readonly finished = new Map<string, Finished[]>();
  private readonly profiles = new Map<string, AssetOf<'ev_chargers'>['sessions']>();

  constructor(
    scenario: Scenario,
    private readonly zone = scenario.timezone,
  ) {
    for (const site of scenario.sites)
      for (const a of site.assets) if (a.type === 'ev_chargers') this.profiles.set(a.id, a.sessions);
  }

  /** Records a session that ended, for the learned defaults. */
  learn(assetId: string, startMs: number, endMs: number, energyKwh: number): void {
    if (!(endMs > startMs) || !Number.isFinite(energyKwh) || energyKwh <= 0) return;
    const list = this.finished.get(assetId) ?? [];
    list.push({
      arrivalHour: DateTime.fromMillis(startMs, { zone: this.zone }).hour,
      dwellHours: (endMs - startMs) / MS_PER_HOUR,
      energyKwh,
    });
    if (list.length > MAX_REMEMBERED_SESSIONS) list.splice(0, list.length - MAX_REMEMBERED_SESSIONS);
    this.finished.set(assetId, list);
  }

  /** Departure and energy to plan a session with, given when it started and what it has taken. */
  guess(assetId: string, startMs: number, deliveredKwh: number): SessionGuess {
    const list = this.finished.get(assetId) ?? [];
    const start = DateTime.fromMillis(startMs, { zone: this.zone });
    if (list.length >= MIN_LEARNED_SESSIONS) {
      // Sessions that began within two hours of this one's hour of day, else all of them.
      const near = list.filter(
        (f) => Math.min(Math.abs(f.arrivalHour - start.hour), 24 - Math.abs(f.arrivalHour - start.hour)) <= 2,
      );
      const pool = near.length >= MIN_LEARNED_SESSIONS / 2 ? near : list;
      return {
        departureMs: startMs + median(pool.map((f) => f.dwellHours)) * MS_PER_HOUR,
        energyKwh: Math.max(deliveredKwh, median(pool.map((f) => f.energyKwh))),
        source: 'site_history',
      };
    }
    const p = this.profiles.get(assetId);
    if (!p)
      return {
        departureMs: startMs + DEFAULT_DWELL_HOURS * MS_PER_HOUR,
        energyKwh: deliveredKwh,
        source: 'district_file',
      };
    // The profile's mean departure hour, the next one after arrival.
    let dep = start.startOf('day').plus({ hours: p.departure_hour_mean });
    if (dep.toMillis() <= startMs) dep = dep.plus({ days: 1 });
    return {
      departureMs: dep.toMillis(),
      energyKwh: Math.max(deliveredKwh, (p.energy_kwh_min + p.energy_kwh_max) / 2),
      source: 'district_file',
    };
  }
}

/** Stay assumed at a charger of an asset without a session profile (a depot charger used by a car). */
const DEFAULT_DWELL_HOURS = 8;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
