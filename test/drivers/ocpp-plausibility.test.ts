import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLOCK_AHEAD_MS, RATING_MARGIN, REGISTER_RESOLUTION_KWH } from '../../src/drivers/ocpp/index.ts';
import { RPCClient } from '../../src/drivers/ocpp/rpc.ts';
import type { RpcClient } from '../../src/drivers/ocpp/rpc.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import { ManualClock } from '../../src/twin/ocpp/index.ts';
import { startCsms, type Json } from './ocpp-helpers.ts';

// A fuzz of implausible MeterValues over real sockets, both protocols: a charge point (a raw
// ocpp-rpc client, so it can send what no twin would) mixes good readings with 1e308 W, NaN-ish
// strings, overflowing multipliers, discharge on a charger that is not V2G, 999,999,999 kW, SoC
// 250 %, registers that go back or jump, wrong units and clocks in 2030 or 1970. After every frame
// nothing implausible comes out of read() or sessions(), and counters() counts each refusal.

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;
const PASSWORD = 'correct-horse-1';
const RATING_KW = 7;
const FRAMES = 300;
const WH_PER_KWH = 1000;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

interface Sample {
  measurand: 'Power.Active.Import' | 'Energy.Active.Import.Register' | 'SoC';
  /** A number, or (1.6 only) the raw string to send. */
  value: number | string;
  unit: string;
  multiplier?: number;
}

/** One sampled value in the protocol's shape. */
function sampled(protocol: Protocol, s: Sample): Json {
  if (protocol === 'ocpp1.6')
    return { value: String(s.value), measurand: s.measurand, unit: s.unit, context: 'Sample.Periodic' };
  return {
    value: typeof s.value === 'number' ? s.value : Number(s.value),
    measurand: s.measurand,
    context: 'Sample.Periodic',
    unitOfMeasure: { unit: s.unit, ...(s.multiplier !== undefined ? { multiplier: s.multiplier } : {}) },
  };
}

async function connect(protocol: Protocol, clock: ManualClock, v2g = false) {
  const csms = await startCsms(
    {
      charge_points: [
        { id: 'CP-1', asset: 'campus-ev', protocol, password: PASSWORD, max_power_kw: RATING_KW, v2g },
      ],
      accepted_id_tokens: ['TAG-OK'],
    },
    clock,
  );
  cleanup.push(() => csms.driver.stop());
  const client: RpcClient = new RPCClient({
    endpoint: csms.url,
    identity: 'CP-1',
    protocols: [protocol],
    password: PASSWORD,
    reconnect: false,
    strictMode: true,
  });
  cleanup.push(() => client.close({ force: true }));
  await client.connect();
  return { ...csms, client };
}

/** Starts a transaction on connector / EVSE 1 with the import register at `registerWh`. */
async function startTx(protocol: Protocol, client: RpcClient, clock: ManualClock, registerWh: number) {
  const timestamp = new Date(clock.now()).toISOString();
  if (protocol === 'ocpp1.6') {
    const res = (await client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'TAG-OK',
      meterStart: registerWh,
      timestamp,
    })) as Json;
    return res.transactionId as number;
  }
  await client.call('TransactionEvent', {
    eventType: 'Started',
    timestamp,
    triggerReason: 'Authorized',
    seqNo: 0,
    transactionInfo: { transactionId: 'TX-1' },
    evse: { id: 1, connectorId: 1 },
    idToken: { idToken: 'TAG-OK', type: 'ISO14443' },
    meterValue: [
      {
        timestamp,
        sampledValue: [
          sampled(protocol, { measurand: 'Energy.Active.Import.Register', value: registerWh, unit: 'Wh' }),
        ],
      },
    ],
  });
  return 'TX-1';
}

async function sendMeterValues(
  protocol: Protocol,
  client: RpcClient,
  txId: number | string,
  timestamp: string,
  samples: Sample[],
) {
  const meterValue = [{ timestamp, sampledValue: samples.map((s) => sampled(protocol, s)) }];
  if (protocol === 'ocpp1.6')
    await client.call('MeterValues', { connectorId: 1, transactionId: txId, meterValue });
  else await client.call('MeterValues', { evseId: 1, meterValue });
}

const find = (ms: Measurement[], measurement: string) =>
  ms.find((m) => m.measurement === measurement && m.channel === '1');

describe.each(['ocpp1.6', 'ocpp2.0.1'] as const)('%s: implausible meter values', (protocol) => {
  it(`fuzz of ${FRAMES} frames: nothing implausible comes out, every refusal is counted`, async () => {
    const clock = new ManualClock(T0);
    const { driver, client, ctx } = await connect(protocol, clock);
    const startWh = 12_345_000;
    const txId = await startTx(protocol, client, clock, startWh);
    const rand = prng(protocol === 'ocpp1.6' ? 16 : 201);
    const expected: Record<string, number> = {};
    const expect1 = (key: string) => (expected[key] = (expected[key] ?? 0) + 1);
    let registerWh = startWh;
    let lastRead: { energyKwh: number; timeMs: number } = { energyKwh: startWh / WH_PER_KWH, timeMs: T0 };
    const maxKw = RATING_KW * RATING_MARGIN;

    for (let i = 0; i < FRAMES; i++) {
      clock.advance(MIN);
      const now = clock.now();
      let timestamp = new Date(now).toISOString();
      const goodPowerW = Math.round(rand() * RATING_KW * WH_PER_KWH);
      // A register step the charger could have made in the minute since the last one.
      const stepWh = Math.round((goodPowerW * MIN) / 3_600_000);
      const samples: Sample[] = [{ measurand: 'Power.Active.Import', value: goodPowerW, unit: 'W' }];
      const pick = Math.floor(rand() * 12);
      let registerOk = true;
      switch (pick) {
        case 0: // the reported 1e308 W
          samples[0] = { measurand: 'Power.Active.Import', value: 1e308, unit: 'W' };
          expect1('refused_out_of_range');
          break;
        case 1: // 999,999,999 kW on a 7 kW charger
          samples[0] = { measurand: 'Power.Active.Import', value: 999_999_999, unit: 'kW' };
          expect1('refused_out_of_range');
          break;
        case 2: // NaN-ish strings (1.6) / a multiplier that overflows (2.0.1)
          samples[0] =
            protocol === 'ocpp1.6'
              ? {
                  measurand: 'Power.Active.Import',
                  value: ['NaN', '', ' ', 'abc', '0x10', 'Infinity', '1e400', '--5'][i % 8],
                  unit: 'W',
                }
              : { measurand: 'Power.Active.Import', value: 1e300, unit: 'W', multiplier: 100 };
          expect1('refused_not_finite');
          break;
        case 3: // discharge on a charger that is not V2G
          samples[0] = { measurand: 'Power.Active.Import', value: -3000, unit: 'W' };
          expect1('refused_out_of_range');
          break;
        case 4: // SoC 250 % (2.5)
          samples.push({ measurand: 'SoC', value: 250, unit: 'Percent' });
          expect1('refused_out_of_range');
          break;
        case 5: // the register goes back
          samples.push({
            measurand: 'Energy.Active.Import.Register',
            value: registerWh - 1 - Math.floor(rand() * 5000),
            unit: 'Wh',
          });
          expect1('refused_register_backwards');
          registerOk = false;
          break;
        case 6: // the register jumps far beyond what 7 kW can deliver in a minute
          samples.push({
            measurand: 'Energy.Active.Import.Register',
            value: registerWh + 1_000_000,
            unit: 'Wh',
          });
          expect1('refused_register_jump');
          registerOk = false;
          break;
        case 7: // a unit that does not fit the measurand
          samples[0] = { measurand: 'Power.Active.Import', value: goodPowerW, unit: 'Wh' };
          expect1('refused_wrong_unit');
          break;
        case 8: // the charger's clock in 2030: the good values are kept at the CSMS time
          timestamp = '2030-01-01T00:00:00.000Z';
          expect1('retimed_clock_ahead');
          break;
        case 9: // an RTC reset to 1970
          timestamp = '1970-01-01T00:00:00.000Z';
          expect1('retimed_clock_behind');
          break;
        case 10: // SoC as it should be
          samples.push({ measurand: 'SoC', value: Math.round(rand() * 100), unit: 'Percent' });
          break;
        default: // a plausible register step
          break;
      }
      if (registerOk) {
        registerWh += stepWh;
        samples.push({ measurand: 'Energy.Active.Import.Register', value: registerWh, unit: 'Wh' });
      }
      await sendMeterValues(protocol, client, txId, timestamp, samples);

      const ms = await driver.read();
      for (const m of ms) {
        expect(Number.isFinite(m.value), `${m.measurement} ${m.value}`).toBe(true);
        expect(m.timeMs).toBeLessThanOrEqual(now);
        expect(m.timeMs).toBeGreaterThanOrEqual(T0);
      }
      // Until the first good power reading there is none.
      const power = find(ms, 'power_kw');
      if (power) expect(power.value).toBeGreaterThanOrEqual(0);
      if (power) expect(power.value).toBeLessThanOrEqual(maxKw);
      const soc = find(ms, 'soc_fraction');
      if (soc) expect(soc.value).toBeGreaterThanOrEqual(0);
      if (soc) expect(soc.value).toBeLessThanOrEqual(1);
      const energy = find(ms, 'energy_kwh');
      expect(energy).toBeDefined();
      const e = energy as Measurement;
      // Monotone, and never faster than the rating allows.
      expect(e.value).toBeGreaterThanOrEqual(lastRead.energyKwh);
      expect(e.value - lastRead.energyKwh).toBeLessThanOrEqual(
        (maxKw * (e.timeMs - lastRead.timeMs)) / 3_600_000 + REGISTER_RESOLUTION_KWH,
      );
      expect(e.value).toBeCloseTo(registerWh / WH_PER_KWH, 6);
      lastRead = { energyKwh: e.value, timeMs: e.timeMs };
      const [session] = driver.sessions();
      expect(session.energyKwh).toBeCloseTo((registerWh - startWh) / WH_PER_KWH, 6);
      expect(session.powerKw ?? 0).toBeLessThanOrEqual(maxKw);
      expect(session.powerKw ?? 0).toBeGreaterThanOrEqual(0);
    }

    const counters = driver.counters();
    for (const key of Object.keys(counters).filter((k) => /^(refused|retimed)_/.test(k)))
      expect(counters[key], key).toBe(expected[key] ?? 0);
    // Every category came up, so the fuzz exercised every rule.
    expect(Object.keys(expected).sort()).toEqual([
      'refused_not_finite',
      'refused_out_of_range',
      'refused_register_backwards',
      'refused_register_jump',
      'refused_wrong_unit',
      'retimed_clock_ahead',
      'retimed_clock_behind',
    ]);
    // Logged once per charger and reason, not per frame.
    const warnings = ctx.lines.filter((l) => l.level === 'warn' && /refused|clock/.test(l.msg ?? ''));
    expect(warnings.map((l) => (l.o as { reason: string }).reason).sort()).toEqual([
      'clock_ahead',
      'clock_behind',
      'not_finite',
      'out_of_range',
      'register_backwards',
      'register_jump',
      'wrong_unit',
    ]);
    expect(driver.status().lastError).toMatch(/CP-1: meter value refused/);
  });

  it('a V2G charger may report discharge down to its rating × margin, no further', async () => {
    const clock = new ManualClock(T0);
    const { driver, client } = await connect(protocol, clock, true);
    const txId = await startTx(protocol, client, clock, 1000);
    const send = async (w: number) => {
      clock.advance(MIN);
      await sendMeterValues(protocol, client, txId, new Date(clock.now()).toISOString(), [
        { measurand: 'Power.Active.Import', value: w, unit: 'W' },
      ]);
      return find(await driver.read(), 'power_kw')?.value;
    };
    expect(await send(-RATING_KW * WH_PER_KWH)).toBe(-RATING_KW);
    expect(await send(-RATING_KW * RATING_MARGIN * WH_PER_KWH - 1)).toBe(-RATING_KW); // refused, kept
    expect(driver.counters().refused_out_of_range).toBe(1);
  });

  it('a clock up to the skew ahead is kept no later than the CSMS time; beyond it, the CSMS time', async () => {
    const clock = new ManualClock(T0);
    const { driver, client } = await connect(protocol, clock);
    const txId = await startTx(protocol, client, clock, 1000);
    clock.advance(MIN);
    const ahead = clock.now() + MAX_CLOCK_AHEAD_MS / 2;
    await sendMeterValues(protocol, client, txId, new Date(ahead).toISOString(), [
      { measurand: 'Power.Active.Import', value: 1000, unit: 'W' },
    ]);
    expect(find(await driver.read(), 'power_kw')?.timeMs).toBe(clock.now());
    expect(driver.counters().retimed_clock_ahead).toBe(0);
    // The next reading with a correct clock is taken: the one before never blocks it.
    clock.advance(1000);
    await sendMeterValues(protocol, client, txId, new Date(clock.now()).toISOString(), [
      { measurand: 'Power.Active.Import', value: 2000, unit: 'W' },
    ]);
    expect(find(await driver.read(), 'power_kw')).toMatchObject({ value: 2, timeMs: clock.now() });
  });
});
