import { describe, expect, it } from 'vitest';
import {
  OPEN_END_MS,
  eventToSignals,
  openAdrVenConfigSchema,
  parseDurationMs,
  type OadrEvent,
} from '../../src/drivers/openadr/index.ts';

const start = '2026-07-01T09:00:00Z';
const t = Date.parse(start);
const H = 3_600_000;

function event(payloadType: string, values: number[], descriptor: Record<string, unknown> = {}): OadrEvent {
  return {
    id: 'e1',
    programID: 'p1',
    intervalPeriod: { start, duration: 'PT1H' },
    payloadDescriptors: [{ payloadType, ...descriptor }],
    intervals: values.map((v, i) => ({ id: i, payloads: [{ type: payloadType, values: [v] }] })),
  };
}

describe('OpenADR event → GridSignal', () => {
  it('parses ISO 8601 durations', () => {
    expect(parseDurationMs('PT15M')).toBe(15 * 60_000);
    expect(parseDurationMs('P1DT2H')).toBe(26 * H);
    expect(parseDurationMs('P1W')).toBe(7 * 24 * H);
    expect(parseDurationMs('PT0.5S')).toBe(500);
    expect(parseDurationMs('-PT1H')).toBe(-H);
    expect(() => parseDurationMs('1 hour')).toThrow();
  });

  it('converts price units to KRW/kWh and skips other currencies', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(
      eventToSignals(event('PRICE', [150_000], { units: 'MWH', currency: 'KRW' }), undefined, {
        source: 's',
        warn,
      })[0].value,
    ).toBe(150);
    expect(
      eventToSignals(event('EXPORT_PRICE', [0.09], { units: 'WH' }), undefined, { source: 's', warn })[0],
    ).toMatchObject({
      kind: 'export_price_krw_per_kwh',
      value: 90,
    });
    expect(
      eventToSignals(event('PRICE', [0.2], { currency: 'USD' }), undefined, { source: 's', warn }),
    ).toEqual([]);
    expect(warnings).toEqual(['openadr: price skipped, only KRW per KWH/MWH/WH is understood']);
  });

  it('GHG in g/kWh → kg/kWh; limits in W/MW → kW; negative relative dispatch → shed_kw', () => {
    expect(eventToSignals(event('GHG', [456]), undefined, { source: 's' })[0]).toMatchObject({
      kind: 'ghg_kg_per_kwh',
      value: 0.456,
    });
    expect(
      eventToSignals(event('IMPORT_CAPACITY_LIMIT', [1.5], { units: 'MW' }), undefined, { source: 's' })[0]
        .value,
    ).toBe(1500);
    expect(
      eventToSignals(event('IMPORT_CAPACITY_LIMIT', [250_000], { units: 'W' }), undefined, { source: 's' })[0]
        .value,
    ).toBe(250);
    expect(
      eventToSignals(event('DISPATCH_SETPOINT_RELATIVE', [-120, 30]), undefined, { source: 's' }),
    ).toEqual([{ kind: 'shed_kw', startMs: t, endMs: t + H, value: 120, source: 's:e1', eventId: 'e1' }]);
    expect(
      eventToSignals(event('SIMPLE', [0, 2]), undefined, {
        source: 's',
        simpleLevelShedKw: [0, 50, 100, 200],
      }),
    ).toEqual([
      { kind: 'shed_kw', startMs: t + H, endMs: t + 2 * H, value: 100, source: 's:e1', eventId: 'e1' },
    ]);
  });

  it('uses the program descriptors when the event has none; own interval periods; open-ended last interval', () => {
    const e: OadrEvent = {
      id: 'e2',
      programID: 'p1',
      intervalPeriod: { start, duration: 'PT0S' },
      intervals: [
        { id: 0, payloads: [{ type: 'PRICE', values: [120] }] },
        {
          id: 1,
          intervalPeriod: { start: '2026-07-01T12:00:00Z' },
          payloads: [{ type: 'PRICE', values: [90] }],
        },
      ],
    };
    const out = eventToSignals(
      e,
      { programName: 'p', payloadDescriptors: [{ payloadType: 'PRICE', units: 'MWH', currency: 'KRW' }] },
      { source: 's' },
    );
    expect(out).toEqual([
      { kind: 'price_krw_per_kwh', startMs: t, endMs: t + 3 * H, value: 0.12, source: 's:e2', eventId: 'e2' },
      {
        kind: 'price_krw_per_kwh',
        startMs: t + 3 * H,
        endMs: OPEN_END_MS,
        value: 0.09,
        source: 's:e2',
        eventId: 'e2',
      },
    ]);
  });

  it("export limit, dispatch setpoint, a positive relative dispatch warned; event fields over the program's", () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(
      eventToSignals(event('EXPORT_CAPACITY_LIMIT', [2], { units: 'MW' }), undefined, { source: 's' }),
    ).toEqual([
      { kind: 'export_limit_kw', startMs: t, endMs: t + H, value: 2000, source: 's:e1', eventId: 'e1' },
    ]);
    expect(eventToSignals(event('DISPATCH_SETPOINT', [-300]), undefined, { source: 's' })[0]).toMatchObject({
      kind: 'import_target_kw',
      value: -300,
    });
    expect(
      eventToSignals(event('DISPATCH_SETPOINT_RELATIVE', [50]), undefined, { source: 's', warn }),
    ).toEqual([]);
    expect(warnings).toEqual(['openadr: positive relative dispatch (take more) has no grid signal, skipped']);
    // The event restates units only: the program's currency still applies (USD → skipped).
    const usd = eventToSignals(
      event('PRICE', [0.2], { units: 'KWH' }),
      { programName: 'p', payloadDescriptors: [{ payloadType: 'PRICE', currency: 'USD' }] },
      { source: 's', warn },
    );
    expect(usd).toEqual([]);
  });

  it('config is strict with units in names', () => {
    const r = openAdrVenConfigSchema.safeParse({
      id: 'v',
      type: 'openadr_ven',
      vtn_url: 'ftp://x',
      client_id: 'a',
      client_secret: 'b',
      ven_name: 'n',
      poll_interval: 5,
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual([
      'unrecognized_keys',
      'vtn_url',
    ]);
  });
});
