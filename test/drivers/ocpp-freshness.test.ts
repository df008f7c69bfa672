import { afterEach, describe, expect, it } from 'vitest';
import { OFFLINE_SESSION_GRACE_MS } from '../../src/drivers/ocpp/index.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import { ManualClock, TwinChargePoint } from '../../src/twin/ocpp/index.ts';
import { callsOf, startCsms, waitFor } from './ocpp-helpers.ts';

// Freshness of charger telemetry over real sockets: every measurement carries the time the charger
// measured it (or the CSMS last heard from it), a charger that is cut off reports 0 kW once at the
// disconnect and then nothing newer, and its sessions leave sessions() after the grace.

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;
const PASSWORD = 'correct-horse-1';
/** Reconnect backoff of the twins (its maximum is 10 s): a cut twin is also stopped, to stay away. */
const RECONNECT_MS = 5_000;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const newest = (ms: readonly Measurement[], assetId: string) =>
  Math.max(...ms.filter((m) => m.assetId === assetId).map((m) => m.timeMs));

async function district(protocol: 'ocpp1.6' | 'ocpp2.0.1') {
  const clock = new ManualClock(T0);
  // Two chargers of one asset, both charging, as the campus chargers are configured.
  const ids = ['CP-A', 'CP-B'];
  const csms = await startCsms(
    {
      charge_points: ids.map((id) => ({
        id,
        asset: 'campus-ev',
        protocol,
        password: PASSWORD,
        max_power_kw: 11,
      })),
      accepted_id_tokens: ['TAG-OK'],
    },
    clock,
  );
  cleanup.push(() => csms.driver.stop());
  const cps = ids.map(
    (id) =>
      new TwinChargePoint({
        id,
        endpoint: csms.url,
        protocol,
        password: PASSWORD,
        maxPowerKw: 11,
        meterIntervalS: 60,
        clock,
        reconnectDelayMs: RECONNECT_MS,
        sessions: [
          {
            arrivalMs: T0,
            departureMs: T0 + 600 * MIN,
            energyNeededKwh: 80,
            maxPowerKw: 11,
            idTag: 'TAG-OK',
            batteryKwh: 100,
          },
        ],
      }),
  );
  for (const cp of cps) {
    cleanup.push(() => cp.stop());
    await cp.start();
  }
  for (const cp of cps) await cp.tick(); // EV plugs in, transaction starts
  clock.advance(MIN);
  for (const cp of cps) await cp.tick(); // meter values at full power
  await waitFor(() => csms.driver.sessions().length === 2, 5000, 'two sessions');
  return { clock, cps, ...csms };
}

describe.each(['ocpp1.6', 'ocpp2.0.1'] as const)('%s: chargers cut off', (protocol) => {
  it('stamp online with the last frame, report 0 kW once at the disconnect, nothing newer, sessions gone after the grace', async () => {
    const { clock, cps, driver } = await district(protocol);
    const lastMeterMs = clock.now();
    let ms = await driver.read();
    expect(ms.filter((m) => m.measurement === 'power_kw').map((m) => m.value)).toEqual([11, 11]);
    // `online` is the time of the last frame received, not the time of the read.
    clock.advance(2 * MIN);
    ms = await driver.read();
    for (const m of ms.filter((x) => x.measurement === 'online')) {
      expect(m.value).toBe(1);
      expect(m.timeMs).toBe(lastMeterMs);
    }
    expect(newest(ms, 'campus-ev')).toBe(lastMeterMs);

    // Both cut without a close handshake, as a network failure would.
    const cutMs = clock.now();
    for (const cp of cps) cp.dropConnection();
    await Promise.all(cps.map((cp) => cp.stop()));
    await waitFor(() => driver.chargePoints().every((c) => !c.online), 5000, 'both offline');
    ms = await driver.read();
    const power = ms.filter((m) => m.measurement === 'power_kw');
    expect(power.map((m) => [m.channel, m.value, m.timeMs])).toEqual([
      ['CP-A/1', 0, cutMs],
      ['CP-B/1', 0, cutMs],
    ]);
    // Within the grace the sessions stay (a charger back soon resumes), without stale power.
    expect(driver.sessions().map((s) => [s.channel, s.powerKw])).toEqual([
      ['CP-A/1', 0],
      ['CP-B/1', 0],
    ]);

    // Time passes: nothing newer than the disconnect ever comes out for the asset.
    for (const step of [1, 5, 30]) {
      clock.advance(step * MIN);
      ms = await driver.read();
      expect(newest(ms, 'campus-ev')).toBe(cutMs);
      expect(ms.filter((m) => m.measurement === 'online').map((m) => m.value)).toEqual([0, 0]);
      expect(ms.filter((m) => m.timeMs > cutMs)).toEqual([]);
    }
    expect(clock.now() - cutMs).toBeGreaterThan(OFFLINE_SESSION_GRACE_MS);
    expect(driver.sessions()).toEqual([]);
    expect(driver.status()).toMatchObject({ health: 'offline' });
  });

  it('a charger back within the grace keeps its session, and fresh readings resume', async () => {
    const { clock, cps, driver, url } = await district(protocol);
    const [a] = cps;
    a.dropConnection();
    await a.stop();
    await waitFor(() => !driver.chargePoints()[0].online, 5000, 'CP-A offline');
    clock.advance(OFFLINE_SESSION_GRACE_MS / 2);
    expect(driver.sessions().map((s) => s.channel)).toEqual(['CP-A/1', 'CP-B/1']);
    // The same charger comes back (a restarted charger process with its transaction still open).
    const back = new TwinChargePoint({
      id: 'CP-A',
      endpoint: url,
      protocol,
      password: PASSWORD,
      maxPowerKw: 11,
      clock,
    });
    cleanup.push(() => back.stop());
    await back.start();
    await waitFor(() => driver.chargePoints()[0].online, 5000, 'CP-A online');
    clock.advance(OFFLINE_SESSION_GRACE_MS);
    expect(driver.sessions().map((s) => s.channel)).toContain('CP-A/1');
    const online = (await driver.read()).find((m) => m.measurement === 'online' && m.channel === 'CP-A');
    expect(online?.value).toBe(1);
    expect(online?.timeMs).toBe(clock.now() - OFFLINE_SESSION_GRACE_MS);
  });
});

describe.each(['ocpp1.6', 'ocpp2.0.1'] as const)('%s: charger-wide channel', (protocol) => {
  it('a charging_limit_kw on `<charger id>` alone is that charger’s station maximum (connector / EVSE 0)', async () => {
    const { clock, cps, driver } = await district(protocol);
    await driver.write({
      assetId: 'campus-ev',
      kind: 'charging_limit_kw',
      value: 4,
      channel: 'CP-B',
      validUntilMs: clock.now() + 5 * MIN,
    });
    const [a, b] = cps;
    const sent = (cp: TwinChargePoint) =>
      callsOf(
        cp.frames.filter((f) => f.direction === 'in'),
        'SetChargingProfile',
      );
    expect(sent(a)).toEqual([]);
    const [p] = sent(b);
    if (protocol === 'ocpp1.6') {
      expect(p.connectorId).toBe(0);
      expect(p.csChargingProfiles).toMatchObject({
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingSchedule: {
          chargingRateUnit: 'W',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 4000 }],
        },
      });
    } else {
      expect(p.evseId).toBe(0);
      expect(p.chargingProfile).toMatchObject({
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingSchedule: [
          { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 4000 }] },
        ],
      });
    }
    // The charger obeys it: the EV on connector 1 now draws 4 kW, and the CSMS reports the limit.
    clock.advance(MIN);
    await b.tick();
    expect(b.connector(1).powerKw).toBe(4);
    expect(driver.chargePoints().find((c) => c.id === 'CP-B')?.stationLimitKw).toBe(4);
  });
});
