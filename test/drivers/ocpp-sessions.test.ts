import { afterEach, describe, expect, it } from 'vitest';
import { RPCClient } from '../../src/drivers/ocpp/rpc.ts';
import type { ChargingSessionInfo } from '../../src/drivers/types.ts';
import { ManualClock, TwinChargePoint } from '../../src/twin/ocpp/index.ts';
import type { EvSession } from '../../src/twin/ocpp/index.ts';
import { callsOf, resultOf, startCsms, type Json } from './ocpp-helpers.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
/** A 22 kW AC charger with two connectors (EVSEs on 2.0.1), not bidirectional. */
const AC_RATING_KW = 22;
/** EVs on board chargers at 11 kW (16 A three-phase). */
const EV_KW = 11;
const TAG = 'TAG-OK';

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  cleanup = [];
});

type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

async function setup(
  protocol: Protocol,
  charger: { maxPowerKw?: number; v2g?: boolean; connectors?: number } = {},
) {
  const maxPowerKw = charger.maxPowerKw ?? AC_RATING_KW;
  const v2g = charger.v2g ?? false;
  const connectors = charger.connectors ?? 2;
  const clock = new ManualClock(T0);
  const { driver, url, ctx } = await startCsms(
    {
      charge_points: [
        { id: 'CP-1', asset: 'campus-ev', protocol, max_power_kw: maxPowerKw, v2g, connectors },
      ],
      accepted_id_tokens: [TAG],
    },
    clock,
  );
  const cp = new TwinChargePoint({
    id: 'CP-1',
    endpoint: url,
    protocol,
    maxPowerKw,
    v2g,
    connectors,
    meterIntervalS: 60,
    clock,
  });
  cleanup.push(
    () => driver.stop(),
    () => cp.stop(),
  );
  await cp.start();
  return { clock, driver, cp, ctx, url };
}

const ev = (over: Partial<EvSession> = {}): EvSession => ({
  arrivalMs: T0,
  departureMs: T0 + 8 * HOUR,
  energyNeededKwh: 40,
  maxPowerKw: EV_KW,
  idTag: TAG,
  ...over,
});

const byChannel = (list: ChargingSessionInfo[], channel: string) => list.find((s) => s.channel === channel);

/** Moves the twin clock by `ms` and lets the twin do what is due (meter values every minute). */
async function advance(clock: ManualClock, cp: TwinChargePoint, ms: number) {
  for (let left = ms; left > 0; left -= MIN) {
    clock.advance(Math.min(MIN, left));
    await cp.tick();
  }
}

for (const protocol of ['ocpp1.6', 'ocpp2.0.1'] as const) {
  describe(`sessions() over ${protocol}`, () => {
    it('reports a session on connector 2 as <charger>/2, with its start, id token and growing energy', async () => {
      const { clock, driver, cp } = await setup(protocol);
      expect(driver.sessions()).toEqual([]);

      cp.plugIn(ev({ connectorId: 2, idTag: TAG }));
      await cp.tick();
      const txId = cp.connector(2).transactionId;
      expect(txId).toBeDefined();
      expect(cp.connector(1).evPresent).toBe(false);

      let list = driver.sessions();
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        assetId: 'campus-ev',
        channel: 'CP-1/2',
        chargerId: 'CP-1',
        connectorId: 2,
        transactionId: txId,
        startMs: T0,
        energyKwh: 0,
        maxPowerKw: AC_RATING_KW, // the EV reported nothing
        maxDischargeKw: 0,
        idToken: TAG,
        updatedMs: T0,
      });
      expect(list[0].departureMs).toBeUndefined();
      expect(list[0].energyRequestKwh).toBeUndefined();
      expect(list[0].socFraction).toBeUndefined(); // no battery given: no SoC measurand

      await advance(clock, cp, 10 * MIN);
      list = driver.sessions();
      expect(list[0].energyKwh).toBeCloseTo((EV_KW * 10) / 60, 2);
      expect(list[0].powerKw).toBeCloseTo(EV_KW, 6);
      expect(list[0].updatedMs).toBe(T0 + 10 * MIN);

      await advance(clock, cp, 10 * MIN);
      expect(driver.sessions()[0].energyKwh).toBeCloseTo((EV_KW * 20) / 60, 2);

      // The EV leaves: no session any more.
      clock.set(T0 + 8 * HOUR);
      await cp.tick();
      expect(driver.sessions()).toEqual([]);
    });

    it('a charging_limit_kw on <charger>/2 sets connector 2 and leaves connector 1 alone', async () => {
      const { clock, driver, cp } = await setup(protocol);
      cp.plugIn(ev({ connectorId: 1, idTag: TAG }));
      cp.plugIn(ev({ connectorId: 2, idTag: TAG }));
      await cp.tick(); // both plug in at T0, before the clock moves
      await advance(clock, cp, MIN);
      expect(cp.connector(1).powerKw).toBe(EV_KW);
      expect(cp.connector(2).powerKw).toBe(EV_KW);

      const sessions = driver.sessions();
      expect(sessions.map((s) => s.channel).sort()).toEqual(['CP-1/1', 'CP-1/2']);
      const s2 = byChannel(sessions, 'CP-1/2')!;
      expect(s2.transactionId).toBe(cp.connector(2).transactionId);
      expect(s2.transactionId).not.toBe(byChannel(sessions, 'CP-1/1')!.transactionId);

      const limitKw = 4;
      await driver.write({
        assetId: 'campus-ev',
        kind: 'charging_limit_kw',
        value: limitKw,
        channel: s2.channel,
      });
      expect(cp.connector(2).powerKw).toBe(limitKw);
      expect(cp.connector(2).limitKw).toBe(limitKw);
      expect(cp.connector(1).powerKw).toBe(EV_KW);
      expect(cp.connector(1).limitKw).toBe(Infinity);

      // The profile went to connector / EVSE 2, for that transaction.
      const sent: Json = callsOf(cp.frames, 'SetChargingProfile')[0];
      if (protocol === 'ocpp1.6') {
        expect(sent.connectorId).toBe(2);
        expect(sent.csChargingProfiles).toMatchObject({
          chargingProfilePurpose: 'TxProfile',
          transactionId: Number(s2.transactionId),
        });
      } else {
        expect(sent.evseId).toBe(2);
        expect(sent.chargingProfile).toMatchObject({
          chargingProfilePurpose: 'TxProfile',
          transactionId: s2.transactionId,
        });
      }

      // What the charger then reports follows the limit on 2 only.
      await advance(clock, cp, 6 * MIN);
      const after = driver.sessions();
      expect(byChannel(after, 'CP-1/2')!.powerKw).toBeCloseTo(limitKw, 6);
      expect(byChannel(after, 'CP-1/1')!.powerKw).toBeCloseTo(EV_KW, 6);
      expect(byChannel(after, 'CP-1/2')!.energyKwh).toBeCloseTo((EV_KW * 1 + limitKw * 6) / 60, 2);
      expect(byChannel(after, 'CP-1/1')!.energyKwh).toBeCloseTo((EV_KW * 7) / 60, 2);

      // The older channel forms still address the same connector: the bare connector id on a
      // single-charger asset.
      await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 6, channel: '2' });
      expect(cp.connector(2).powerKw).toBe(6);
      expect(cp.connector(1).powerKw).toBe(EV_KW);
    });

    it('refuses a negative limit for a charger not declared V2G, saying why, and sends nothing', async () => {
      const { clock, driver, cp } = await setup(protocol);
      cp.plugIn(ev({ connectorId: 2, v2g: true }));
      await cp.tick();
      await advance(clock, cp, MIN);
      const s = driver.sessions()[0];
      expect(s.maxDischargeKw).toBe(0);
      await expect(
        driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: -5, channel: s.channel }),
      ).rejects.toThrow(/negative limit -5 kW \(discharge\) refused, charger is not V2G-capable/);
      expect(callsOf(cp.frames, 'SetChargingProfile')).toHaveLength(0);
      expect(cp.connector(2).powerKw).toBe(EV_KW);
    });

    it('reports the SoC when the EV has a known battery, and none for one without', async () => {
      const { clock, driver, cp } = await setup(protocol);
      const batteryKwh = 60;
      const initialSocFraction = 0.2;
      cp.plugIn(ev({ connectorId: 2, batteryKwh, initialSocFraction }));
      cp.plugIn(ev({ connectorId: 1 }));
      await cp.tick();
      await advance(clock, cp, 30 * MIN);
      const list = driver.sessions();
      const expected = initialSocFraction + (EV_KW * 0.5) / batteryKwh;
      // The twin reports whole percent, as chargers commonly do.
      expect(byChannel(list, 'CP-1/2')!.socFraction).toBeCloseTo(Math.round(expected * 100) / 100, 6);
      expect(byChannel(list, 'CP-1/2')!.socFraction).toBeGreaterThan(initialSocFraction);
      expect(byChannel(list, 'CP-1/1')!.socFraction).toBeUndefined();
    });

    it('plugs a session whose arrival is still ahead in at its arrival time', async () => {
      const { clock, driver, cp } = await setup(protocol);
      cp.plugIn(ev({ connectorId: 2, arrivalMs: T0 + 5 * MIN }));
      await advance(clock, cp, 4 * MIN);
      expect(driver.sessions()).toEqual([]);
      await advance(clock, cp, MIN);
      expect(driver.sessions()).toMatchObject([{ channel: 'CP-1/2', startMs: T0 + 5 * MIN }]);
      expect(() => cp.plugIn(ev({ connectorId: 3 }))).toThrow(/no connector 3/);
    });
  });
}

describe('OCPP 2.0.1 NotifyEVChargingNeeds', () => {
  it('an announced AC session shows its departure, energy request and the EV maximum', async () => {
    const { clock, driver, cp } = await setup('ocpp2.0.1');
    const departureMs = T0 + 4 * HOUR;
    // 6.9 kW is 10 A on three phases at 230 V: the AC parameters carry whole amps.
    const evKw = 6.9;
    cp.plugIn(ev({ connectorId: 2, announce: true, departureMs, energyNeededKwh: 30, maxPowerKw: evKw }));
    await cp.tick();
    await advance(clock, cp, MIN);

    const needs: Json = callsOf(cp.frames, 'NotifyEVChargingNeeds')[0];
    expect(needs).toEqual({
      evseId: 2,
      chargingNeeds: {
        requestedEnergyTransfer: 'AC_three_phase',
        departureTime: new Date(departureMs).toISOString(),
        acChargingParameters: { energyAmount: 30_000, evMinCurrent: 6, evMaxCurrent: 10, evMaxVoltage: 230 },
      },
    });
    expect(resultOf(cp.frames, 'NotifyEVChargingNeeds')).toEqual({ status: 'Accepted' });

    const [s] = driver.sessions();
    expect(s).toMatchObject({ channel: 'CP-1/2', departureMs, energyRequestKwh: 30 });
    expect(s.maxPowerKw).toBeCloseTo(evKw, 6);

    // The needs leave with the EV.
    clock.set(departureMs);
    await cp.tick();
    cp.plugIn(ev({ connectorId: 2, arrivalMs: departureMs, departureMs: departureMs + HOUR }));
    await cp.tick();
    const [next] = driver.sessions();
    expect(next.departureMs).toBeUndefined();
    expect(next.energyRequestKwh).toBeUndefined();
  });

  it('a DC V2G charger: EV power and SoC from the DC parameters, discharge nets out of the energy', async () => {
    const ratingKw = 150;
    const { clock, driver, cp } = await setup('ocpp2.0.1', {
      maxPowerKw: ratingKw,
      v2g: true,
      connectors: 1,
    });
    const evKw = 120;
    cp.plugIn(
      ev({
        connectorId: 1,
        announce: true,
        maxPowerKw: evKw,
        v2g: true,
        energyNeededKwh: 100,
        batteryKwh: 300,
        initialSocFraction: 0.5,
      }),
    );
    await cp.tick();
    const needs: Json = callsOf(cp.frames, 'NotifyEVChargingNeeds')[0];
    expect(needs.chargingNeeds.requestedEnergyTransfer).toBe('DC');
    expect(needs.chargingNeeds.dcChargingParameters).toMatchObject({
      evMaxPower: 120_000,
      energyAmount: 100_000,
      stateOfCharge: 50,
      evEnergyCapacity: 300_000,
    });
    let [s] = driver.sessions();
    expect(s).toMatchObject({ channel: 'CP-1/1', maxPowerKw: evKw, maxDischargeKw: ratingKw });
    expect(s.socFraction).toBeCloseTo(0.5, 6); // announced, before any meter value

    await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: -30, channel: s.channel });
    expect(cp.connector(1).powerKw).toBe(-30);
    await advance(clock, cp, 10 * MIN);
    [s] = driver.sessions();
    expect(s.powerKw).toBeCloseTo(-30, 6);
    expect(s.energyKwh).toBeCloseTo(-5, 2);
    expect(s.socFraction).toBeCloseTo(Math.round(((150 - 5) / 300) * 100) / 100, 6);
  });

  it('answers a NotifyEVChargingNeeds for EVSE 0 or an unknown EVSE with a CALLERROR, and keeps serving', async () => {
    const { driver, url, ctx } = await setup('ocpp2.0.1');
    // A second connection under the same identity replaces the twin's: a misbehaving charger.
    const raw = new RPCClient({
      endpoint: url,
      identity: 'CP-1',
      protocols: ['ocpp2.0.1'],
      reconnect: false,
      strictMode: false,
    });
    cleanup.push(() => raw.close({ force: true }));
    await raw.connect();
    const needs = {
      requestedEnergyTransfer: 'DC',
      dcChargingParameters: { evMaxCurrent: 200, evMaxVoltage: 500 },
    };
    await expect(
      raw.call('NotifyEVChargingNeeds', { evseId: 0, chargingNeeds: needs }),
    ).rejects.toMatchObject({
      rpcErrorCode: 'PropertyConstraintViolation',
    });
    await expect(
      raw.call('NotifyEVChargingNeeds', { evseId: 9, chargingNeeds: needs }),
    ).rejects.toMatchObject({
      rpcErrorCode: 'PropertyConstraintViolation',
    });
    // A well-formed one on a real EVSE is accepted over the same link.
    await expect(raw.call('NotifyEVChargingNeeds', { evseId: 1, chargingNeeds: needs })).resolves.toEqual({
      status: 'Accepted',
    });
    // An unreadable departure time fails the schema (format date-time); the link stays up.
    const badTime = await raw
      .call('NotifyEVChargingNeeds', { evseId: 1, chargingNeeds: { ...needs, departureTime: 'soon' } })
      .then(
        (res) => ({ res }),
        (err: { rpcErrorCode?: string }) => ({ code: err.rpcErrorCode }),
      );
    expect(badTime).toEqual({ code: 'FormatViolation' });
    await expect(raw.call('Heartbeat', {})).resolves.toHaveProperty('currentTime');
    expect(driver.status().health).toBe('online');
    expect(ctx.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
