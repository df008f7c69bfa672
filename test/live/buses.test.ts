import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { BusTracker, busIdToken } from '../../src/live/site-state.ts';
import type { ChargingSessionInfo } from '../../src/drivers/types.ts';
import { liveViewAt } from './helpers.ts';

// Buses live: the timetable says when each leaves; a bus is on a charger when its fleet token holds a
// transaction there; its SoC is what the charger reports, else tracked from the energy charged.

const loaded = loadScenarioFile();
const { scenario } = loaded;
const NOW = Date.parse('2026-08-04T01:00:00+09:00');
const depot = scenario.sites.flatMap((s) => s.assets).find((a) => a.type === 'bus_depot')!;
const batteryKwh = (depot as { battery_kwh: number }).battery_kwh;

function session(over: Partial<ChargingSessionInfo>): ChargingSessionInfo {
  return {
    assetId: depot.id,
    channel: `${depot.id}-001/1`,
    chargerId: `${depot.id}-001`,
    connectorId: 1,
    transactionId: 'tx-1',
    startMs: NOW - 3_600_000,
    energyKwh: 0,
    maxPowerKw: 200,
    maxDischargeKw: 200,
    idToken: busIdToken(depot.id, 3),
    updatedMs: NOW,
    ...over,
  };
}

function build(tracker: BusTracker, sessions: ChargingSessionInfo[], nowMs = NOW) {
  return liveViewAt(loaded, nowMs, { horizonMs: 86_400_000, sessions, buses: tracker });
}

describe('buses in the live view', () => {
  it('puts a bus on its charger by its token, with the SoC the charger reports', () => {
    const lv = build(new BusTracker(), [session({ socFraction: 0.42 })]);
    const bus = lv.buses[3];
    expect(bus.atDepot).toBe(true);
    expect(bus.session?.channel).toBe(`${depot.id}-001/1`);
    expect(bus.socKwh).toBeCloseTo(0.42 * batteryKwh, 6);
    expect(bus.nextBlock).toBeDefined();
    expect(bus.requiredSocKwh).toBeGreaterThan(0);
    // Not an EV session as well.
    expect(lv.view.ev).toEqual([]);
    // Other buses are not plugged in.
    expect(lv.buses.filter((b) => b.atDepot).length).toBe(1);
  });

  it('tracks the SoC from the energy charged when the charger reports none', () => {
    const tracker = new BusTracker();
    const first = build(tracker, [session({ energyKwh: 0 })]).buses[3].socKwh;
    const later = build(tracker, [session({ energyKwh: 50 })], NOW + 900_000).buses[3].socKwh;
    const eta = (depot as { charging_efficiency: number }).charging_efficiency;
    expect(later - first).toBeCloseTo(50 * eta, 6);
  });

  it('a transaction with another token on a depot charger is planned as an EV session', () => {
    const lv = build(new BusTracker(), [session({ idToken: 'VISITOR', transactionId: 'tx-9' })]);
    expect(lv.view.ev.length).toBe(1);
    expect(lv.buses.every((b) => !b.atDepot)).toBe(true);
  });
});
