import { afterEach, describe, expect, it } from 'vitest';
import type { OcppCsmsDriver } from '../../src/drivers/ocpp/index.ts';
import { ManualClock, TwinChargePoint } from '../../src/twin/ocpp/index.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import { callsOf, resultOf, startCsms, summarize, type Json } from './ocpp-helpers.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;

const find = (ms: Measurement[], measurement: string, channel?: string) =>
  ms.find((m) => m.measurement === measurement && m.channel === channel);

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(protocol: 'ocpp1.6' | 'ocpp2.0.1') {
  const clock = new ManualClock(T0);
  const { driver, url, ctx } = await startCsms(
    {
      charge_points: [
        {
          id: 'CP-1',
          asset: 'campus-ev',
          protocol,
          password: 'correct-horse-1',
          max_power_kw: 11,
          charging_rate_unit: 'W',
        },
      ],
      accepted_id_tokens: ['TAG-OK'],
      heartbeat_interval_s: 300,
    },
    clock,
  );
  const csmsFrames: Array<{ direction: string; frame: unknown }> = [];
  driver.onFrame((f) => csmsFrames.push(f));
  const cp = new TwinChargePoint({
    id: 'CP-1',
    endpoint: url,
    protocol,
    password: 'correct-horse-1',
    maxPowerKw: 11,
    meterIntervalS: 60,
    clock,
    sessions: [
      {
        arrivalMs: T0 + MIN,
        departureMs: T0 + 20 * MIN,
        energyNeededKwh: 30,
        maxPowerKw: 11,
        idTag: 'TAG-OK',
        capacityKwh: 60,
      },
    ],
  });
  cleanup.push(
    () => driver.stop(),
    () => cp.stop(),
  );
  return { clock, driver, cp, csmsFrames, ctx };
}

async function runSession(driver: OcppCsmsDriver, cp: TwinChargePoint, clock: ManualClock) {
  await cp.start();
  expect(driver.chargePoints()[0]).toMatchObject({ online: true, booted: true });

  clock.advance(MIN);
  await cp.tick(); // EV arrives: authorize, start
  const txId = cp.connector(1).transactionId;
  expect(txId).toBeDefined();
  expect(driver.chargePoints()[0].connectors.find((c) => c.id === 1)?.transactionId).toBe(txId);

  clock.advance(MIN);
  await cp.tick(); // periodic meter values at full power
  let ms = await driver.read();
  expect(find(ms, 'power_kw', '1')?.value).toBeCloseTo(11, 6);
  expect(find(ms, 'energy_kwh', '1')?.value).toBeCloseTo(11 / 60, 3);
  expect(find(ms, 'soc_fraction', '1')?.value).toBeCloseTo(0.5, 2);
  expect(find(ms, 'session_energy_kwh', `tx:${txId}`)?.value).toBeCloseTo(11 / 60, 3);

  await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 4, channel: '1' });
  expect(cp.connector(1).powerKw).toBe(4);
  expect(cp.connector(1).limitKw).toBe(4);

  clock.advance(MIN);
  await cp.tick(); // meter values at the limit
  ms = await driver.read();
  expect(find(ms, 'power_kw', '1')?.value).toBeCloseTo(4, 6);
  expect(find(ms, 'energy_kwh', '1')?.value).toBeCloseTo(11 / 60 + 4 / 60, 3);

  const composite = await driver.getCompositeSchedule('CP-1', 1, 600);
  expect(composite?.periods[0]).toEqual({ startOffsetS: 0, limitKw: 4 });

  clock.advance(5 * MIN);
  await cp.tick(); // heartbeat is due (300 s) and meter values
  clock.set(T0 + 20 * MIN);
  await cp.tick(); // EV leaves: stop
  ms = await driver.read();
  expect(find(ms, 'power_kw', '1')?.value).toBe(0);
  const session = find(ms, 'session_energy_kwh', `tx:${txId}`);
  expect(session?.value).toBeCloseTo(11 / 60 + (18 * 4) / 60, 2);
  expect(driver.chargePoints()[0].connectors.find((c) => c.id === 1)?.transactionId).toBeUndefined();
  return txId!;
}

describe('OCPP 1.6J session against the twin', () => {
  it('boots, authorizes, starts, meters, obeys a TxProfile and stops — frame by frame', async () => {
    const { clock, driver, cp, csmsFrames } = await setup('ocpp1.6');
    const txId = await runSession(driver, cp, clock);

    expect(summarize(cp.frames)).toEqual([
      'out CALL BootNotification',
      'in RESULT BootNotification',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      // EV arrives
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      'out CALL Authorize',
      'in RESULT Authorize',
      'out CALL StartTransaction',
      'in RESULT StartTransaction',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      'out CALL MeterValues',
      'in RESULT MeterValues',
      // smart charging
      'in CALL SetChargingProfile',
      'out RESULT SetChargingProfile',
      'out CALL MeterValues',
      'in RESULT MeterValues',
      'in CALL GetCompositeSchedule',
      'out RESULT GetCompositeSchedule',
      'out CALL Heartbeat',
      'in RESULT Heartbeat',
      'out CALL MeterValues',
      'in RESULT MeterValues',
      // EV leaves (a heartbeat is due first)
      'out CALL Heartbeat',
      'in RESULT Heartbeat',
      'out CALL StopTransaction',
      'in RESULT StopTransaction',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
    ]);
    // The CSMS saw the same frames, mirrored.
    expect(csmsFrames.map((f) => f.frame)).toEqual(cp.frames.map((f) => f.frame));
    expect(csmsFrames.map((f) => f.direction)).toEqual(
      cp.frames.map((f) => (f.direction === 'in' ? 'out' : 'in')),
    );

    const f = cp.frames;
    expect(resultOf(f, 'BootNotification')).toMatchObject({ status: 'Accepted', interval: 300 });
    expect(callsOf(f, 'StatusNotification').map((s) => `${s.connectorId}:${s.status}`)).toEqual([
      '0:Available',
      '1:Available',
      '1:Preparing',
      '1:Charging',
      '1:Finishing',
      '1:Available',
    ]);
    expect(resultOf(f, 'Authorize')).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(callsOf(f, 'StartTransaction')[0]).toMatchObject({
      connectorId: 1,
      idTag: 'TAG-OK',
      meterStart: 0,
    });
    expect(resultOf(f, 'StartTransaction')).toEqual({
      transactionId: Number(txId),
      idTagInfo: { status: 'Accepted' },
    });
    expect(callsOf(f, 'SetChargingProfile')[0]).toEqual({
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 1001,
        transactionId: Number(txId),
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: new Date(T0 + 2 * MIN).toISOString(),
          chargingRateUnit: 'W',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 4000 }],
        },
      },
    });
    expect(resultOf(f, 'SetChargingProfile')).toEqual({ status: 'Accepted' });
    const meter = callsOf(f, 'MeterValues').map((m) =>
      Object.fromEntries(
        m.meterValue[0].sampledValue.map((s: Json) => [s.measurand, `${s.value} ${s.unit}`]),
      ),
    );
    expect(meter[0]).toEqual({
      'Energy.Active.Import.Register': '183 Wh',
      'Power.Active.Import': '11000 W',
      SoC: '50 Percent',
    });
    expect(meter[1]['Power.Active.Import']).toBe('4000 W');
    expect(callsOf(f, 'StopTransaction')[0]).toMatchObject({
      transactionId: Number(txId),
      reason: 'EVDisconnected',
    });
  });

  it('refuses a negative limit on a charger that is not V2G-capable', async () => {
    const { driver, cp, clock } = await setup('ocpp1.6');
    await cp.start();
    clock.advance(MIN);
    await cp.tick();
    await expect(
      driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: -3, channel: '1' }),
    ).rejects.toThrow(/not V2G-capable/);
    expect(callsOf(cp.frames, 'SetChargingProfile')).toHaveLength(0);
  });
});

describe('OCPP 2.0.1 session against the twin', () => {
  it('boots, authorizes, runs TransactionEvents, obeys a TxProfile and ends — frame by frame', async () => {
    const { clock, driver, cp, csmsFrames } = await setup('ocpp2.0.1');
    const txId = await runSession(driver, cp, clock);

    expect(summarize(cp.frames)).toEqual([
      'out CALL BootNotification',
      'in RESULT BootNotification',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      // EV arrives
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
      'out CALL Authorize',
      'in RESULT Authorize',
      'out CALL TransactionEvent',
      'in RESULT TransactionEvent',
      'out CALL TransactionEvent',
      'in RESULT TransactionEvent',
      // smart charging
      'in CALL SetChargingProfile',
      'out RESULT SetChargingProfile',
      'out CALL TransactionEvent',
      'in RESULT TransactionEvent',
      'in CALL GetCompositeSchedule',
      'out RESULT GetCompositeSchedule',
      'out CALL Heartbeat',
      'in RESULT Heartbeat',
      'out CALL TransactionEvent',
      'in RESULT TransactionEvent',
      // EV leaves (a heartbeat is due first)
      'out CALL Heartbeat',
      'in RESULT Heartbeat',
      'out CALL TransactionEvent',
      'in RESULT TransactionEvent',
      'out CALL StatusNotification',
      'in RESULT StatusNotification',
    ]);
    expect(csmsFrames.map((f) => f.frame)).toEqual(cp.frames.map((f) => f.frame));

    const f = cp.frames;
    expect(callsOf(f, 'StatusNotification').map((s) => `${s.evseId}:${s.connectorStatus}`)).toEqual([
      '1:Available',
      '1:Occupied',
      '1:Available',
    ]);
    expect(resultOf(f, 'Authorize')).toEqual({ idTokenInfo: { status: 'Accepted' } });
    const events = callsOf(f, 'TransactionEvent');
    expect(events.map((e) => `${e.eventType}/${e.triggerReason}/${e.seqNo}`)).toEqual([
      'Started/Authorized/0',
      'Updated/MeterValuePeriodic/1',
      'Updated/MeterValuePeriodic/2',
      'Updated/MeterValuePeriodic/3',
      'Ended/EVDeparted/4',
    ]);
    expect(events.every((e) => e.transactionInfo.transactionId === txId)).toBe(true);
    expect(resultOf(f, 'TransactionEvent', 0)).toEqual({ idTokenInfo: { status: 'Accepted' } });
    expect(callsOf(f, 'SetChargingProfile')[0]).toEqual({
      evseId: 1,
      chargingProfile: {
        id: 1001,
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        transactionId: txId,
        chargingSchedule: [
          {
            id: 1001,
            startSchedule: new Date(T0 + 2 * MIN).toISOString(),
            chargingRateUnit: 'W',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 4000 }],
          },
        ],
      },
    });
    const power = events
      .slice(1, 3)
      .map((e) => e.meterValue[0].sampledValue.find((s: Json) => s.measurand === 'Power.Active.Import'));
    expect(power.map((s: Json) => s.value)).toEqual([11000, 4000]);
    expect(events[4].transactionInfo).toMatchObject({
      stoppedReason: 'EVDisconnected',
      chargingState: 'Idle',
    });
  });
});
