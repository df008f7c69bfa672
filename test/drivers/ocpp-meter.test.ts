import { describe, expect, it } from 'vitest';
import { normalizeMeterValues } from '../../src/drivers/ocpp/meter.ts';
import { kwToLimit, limitToKw } from '../../src/drivers/ocpp/profiles.ts';
import { ocppConfigSchema } from '../../src/drivers/ocpp/index.ts';

const ts = '2026-03-02T08:00:00.000Z';
const t = Date.parse(ts);

describe('MeterValues normalization', () => {
  it('1.6: string values, W→kW, Wh→kWh, Percent→fraction, default measurand and units', () => {
    expect(
      normalizeMeterValues(
        [
          {
            timestamp: ts,
            sampledValue: [
              { value: '12345' }, // Energy.Active.Import.Register in Wh by default
              { value: '7400', measurand: 'Power.Active.Import' }, // W by default
              { value: '63', measurand: 'SoC', unit: 'Percent', location: 'EV' },
              { value: '230', measurand: 'Voltage', unit: 'V' },
              { value: 'c0ffee', format: 'SignedData' },
            ],
          },
        ],
        0,
      ),
    ).toEqual([
      { measurement: 'power_kw', value: 7.4, timeMs: t },
      { measurement: 'energy_kwh', value: 12.345, timeMs: t },
      { measurement: 'soc_fraction', value: 0.63, timeMs: t },
    ]);
  });

  it('2.0.1: numbers with unitOfMeasure multiplier, kW/kWh, per-phase sums, export as negative power', () => {
    const out = normalizeMeterValues(
      [
        {
          timestamp: ts,
          sampledValue: [
            { value: 12.5, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } },
            {
              value: 1.2,
              measurand: 'Power.Active.Import',
              phase: 'L1',
              unitOfMeasure: { unit: 'W', multiplier: 3 },
            },
            {
              value: 1.3,
              measurand: 'Power.Active.Import',
              phase: 'L2',
              unitOfMeasure: { unit: 'W', multiplier: 3 },
            },
            {
              value: 1.5,
              measurand: 'Power.Active.Import',
              phase: 'L3',
              unitOfMeasure: { unit: 'W', multiplier: 3 },
            },
            { value: 5, measurand: 'Power.Active.Export', unitOfMeasure: { unit: 'kW' } },
          ],
        },
      ],
      0,
    );
    expect(out.find((m) => m.measurement === 'power_kw')?.value).toBeCloseTo(4 - 5, 9);
    expect(out.find((m) => m.measurement === 'energy_kwh')?.value).toBe(12.5);
  });

  it('skips a value whose unit does not fit its measurand, and uses the fallback time for a bad timestamp', () => {
    expect(
      normalizeMeterValues(
        [
          {
            timestamp: 'garbage',
            sampledValue: [{ value: '5', measurand: 'Power.Active.Import', unit: 'Wh' }],
          },
        ],
        42,
      ),
    ).toEqual([]);
    expect(
      normalizeMeterValues(
        [{ timestamp: 'garbage', sampledValue: [{ value: 5, unitOfMeasure: { unit: 'kWh' } }] }],
        42,
      ),
    ).toEqual([{ measurement: 'energy_kwh', value: 5, timeMs: 42 }]);
  });
});

describe('charging-rate conversion', () => {
  const w = { charging_rate_unit: 'W' as const, voltage_v: 230, phases: 3 };
  const a = { charging_rate_unit: 'A' as const, voltage_v: 230, phases: 3 };
  it('kW ↔ W and A (rounded to the 0.1 that OCPP 1.6 requires)', () => {
    expect(kwToLimit(7.4, w)).toEqual({ limit: 7400 });
    expect(kwToLimit(11, a)).toEqual({ limit: 15.9, numberPhases: 3 });
    expect(limitToKw(16, 'A', a)).toBeCloseTo(11.04, 6);
    expect(limitToKw(16, 'A', a, 1)).toBeCloseTo(3.68, 6);
  });
});

describe('config', () => {
  it('is strict, lists each problem with its path, and refuses duplicate charge point ids', () => {
    const r = ocppConfigSchema.safeParse({
      id: 'csms',
      type: 'ocpp',
      port: 9220,
      charge_points: [
        { id: 'CP-1', asset: 'a', protocol: 'ocpp1.6', max_power_kw: 7 },
        { id: 'CP-1', asset: 'a', protocol: 'ocpp1.6', max_power_kw: 7, max_power: 3 },
        { id: 'CP:2', asset: 'a', protocol: 'ocpp3', max_power_kw: -1 },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'charge_points.1',
      'charge_points.2.id',
      'charge_points.2.max_power_kw',
      'charge_points.2.protocol',
    ]);
    const ok = ocppConfigSchema.parse({
      id: 'c',
      type: 'ocpp',
      port: 0,
      charge_points: [{ id: 'CP-1', asset: 'a', protocol: 'ocpp2.0.1', max_power_kw: 7 }],
    });
    expect(ok).toMatchObject({
      heartbeat_interval_s: 300,
      host: '127.0.0.1', // loopback unless configured
      charge_points: [{ v2g: false, connectors: 1, charging_rate_unit: 'W' }],
    });
  });
});
