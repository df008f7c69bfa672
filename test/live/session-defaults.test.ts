import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { MIN_LEARNED_SESSIONS, SessionDefaults } from '../../src/live/session-defaults.ts';

// What the planner assumes of a session whose charger tells neither departure nor energy: the
// district file's profile at first, the site's own finished sessions once there are enough.

const { scenario } = loadScenarioFile();
const H = 3_600_000;
const at = (iso: string) => Date.parse(`${iso}+09:00`);

describe('session defaults', () => {
  it("starts from the district file's profile: the next mean departure hour and the mean energy", () => {
    const d = new SessionDefaults(scenario);
    const g = d.guess('campus-ev', at('2026-08-04T08:40:00'), 0);
    expect(g.source).toBe('district_file');
    // campus-ev: departure_hour_mean 18.5, energy 10–40 kWh.
    expect(g.departureMs).toBe(at('2026-08-04T18:30:00'));
    expect(g.energyKwh).toBe(25);
    // Arriving after the mean departure hour: tomorrow's.
    expect(d.guess('campus-ev', at('2026-08-04T23:00:00'), 0).departureMs).toBe(at('2026-08-05T18:30:00'));
  });

  it("learns dwell and energy from the site's finished sessions near the same hour", () => {
    const d = new SessionDefaults(scenario);
    for (let k = 0; k < MIN_LEARNED_SESSIONS; k++) {
      const start = at('2026-08-03T22:00:00') - k * 24 * H;
      d.learn('campus-ev', start, start + 9 * H, 30 + k); // night chargers stay 9 h
    }
    const g = d.guess('campus-ev', at('2026-08-04T23:00:00'), 5);
    expect(g.source).toBe('site_history');
    expect(g.departureMs).toBe(at('2026-08-05T08:00:00'));
    expect(g.energyKwh).toBe(34.5);
  });

  it('never plans less energy than the session has already taken', () => {
    const d = new SessionDefaults(scenario);
    expect(d.guess('campus-ev', at('2026-08-04T08:00:00'), 55).energyKwh).toBe(55);
  });
});
