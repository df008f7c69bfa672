import { describe, expect, it } from 'vitest';
import { Guards } from '../../src/control/guards.ts';
import { importLimitAt, type Dispatcher, type ProcessImage } from '../../src/control/loop.ts';
import type { Override } from '../../src/control/types.ts';
import type { Setpoint } from '../../src/drivers/types.ts';
import type { SiteReportMessage } from '../../src/fleet/messages.ts';
import { FleetImportLimit, REPORT_MEDIAN_CYCLES, SiteReporter, ownLimitKw } from '../../src/fleet/site.ts';
import { loadScenarioFile } from '../../src/model/load.ts';

// The site's side of feeder coordination without NATS: the report made from what the dispatcher
// asks, and the share held as an import limit signal.

const { scenario } = loadScenarioFile();
const T = Date.parse('2026-08-03T00:00:00+09:00');
const BATTERY = 'shared-battery';

function image(timeMs: number, gridKw: number, batteryKw: number, signals: ProcessImage['signals'] = []) {
  const v = (value: number) => ({ value, timeMs, measurement: 'power_kw' });
  return {
    timeMs,
    values: new Map([
      ['grid', new Map([['power_kw', v(gridKw)]])],
      [
        BATTERY,
        new Map([
          ['power_kw', v(batteryKw)],
          ['soc_fraction', { value: 0.5, timeMs, measurement: 'soc_fraction' }],
        ]),
      ],
    ]),
    signals,
    sessions: [],
    monthPeakKw: 0,
    monthMaxKw: 0,
    billingDemandKw: 0,
  } as ProcessImage;
}

function reporter(overrides: Override[] = []) {
  const sent: SiteReportMessage[] = [];
  const guards = new Guards(scenario);
  const r = new SiteReporter({
    connectionLimitKw: 16000,
    valueKrwPerKwh: () => 150,
    guards: () => guards,
    overrides: () => overrides,
    publish: (m) => void sent.push(m),
  });
  return { r, sent };
}

const charge = (kw: number): Setpoint[] => [{ assetId: BATTERY, kind: 'battery_power_kw', value: -kw }];

describe('SiteReporter', () => {
  it('reports the import the plan asks for before any cap, and what the loop could shed', () => {
    const { r } = reporter();
    // 2,400 kW measured with the battery charging at 1,800 kW; the plan asks for 5,000 kW of charge.
    const m = r.report(charge(5000), image(T, 2400, -1800));
    expect(m.wantKw).toBeCloseTo(2400 + 5000 - 1800, 6);
    expect(m.inflexibleKw).toBeCloseTo(600, 6);
    expect(m).toMatchObject({ ownLimitKw: 16000, limitKw: 16000, valueKrwPerKwh: 150, importKw: 2400 });
  });

  it("takes an operator's override in place of the plan: a stopped battery leaves nothing to shed", () => {
    const o: Override = {
      id: '1',
      assetId: BATTERY,
      kind: 'battery_power_kw',
      value: 0,
      startMs: T,
      expiresMs: T + 3_600_000,
      createdBy: 'op',
      reason: 'maintenance',
    };
    const { r } = reporter([o]);
    const m = r.report(charge(5000), image(T, 2400, -1800));
    expect(m.wantKw).toBeCloseTo(600, 6);
    expect(m.inflexibleKw).toBeCloseTo(600, 6);
  });

  it('counts its own limits, not the fleet share, as its own', () => {
    const signals: ProcessImage['signals'] = [
      { kind: 'import_limit_kw', startMs: T - 1, endMs: T + 1, value: 12000, source: 'openadr' },
      { kind: 'import_limit_kw', startMs: 0, endMs: Number.MAX_SAFE_INTEGER, value: 3000, source: 'fleet' },
    ];
    expect(ownLimitKw(16000, signals, T)).toBe(12000);
    const { r } = reporter();
    const m = r.report(charge(5000), image(T, 2400, -1800, signals));
    expect(m.ownLimitKw).toBe(12000);
    expect(m.limitKw).toBe(3000);
  });

  it('sends the median of recent cycles through the dispatcher it wraps, so one skewed cycle does not move it', () => {
    const { r, sent } = reporter();
    const inner: Dispatcher = { name: 'rules', requested: () => charge(5000) };
    const d = r.wrap(inner);
    expect(d.name).toBe('rules');
    // (30-second cycles: all within the heartbeat, so only a moved figure sends a report)
    for (let k = 0; k < REPORT_MEDIAN_CYCLES; k++) d.requested(image(T + k * 30_000, 2400, -1800));
    expect(sent).toHaveLength(1);
    // One cycle in which the meter still shows the old battery power: inflexible 600 − 3,000 → 0.
    d.requested(image(T + REPORT_MEDIAN_CYCLES * 30_000, 2400, -4800));
    expect(sent).toHaveLength(1);
    expect(sent[0].inflexibleKw).toBeCloseTo(600, 6);
  });
});

describe('FleetImportLimit', () => {
  it('holds the newest share of each feeder as a signal and ignores an older one', () => {
    let now = T;
    const l = new FleetImportLimit(() => now);
    l.set('f1', 3000, 200);
    expect(l.set('f1', 9000, 100)).toBeUndefined();
    now += 60_000;
    l.set('f2', 2500, 300);
    const sig = l.signals();
    expect(sig.map((s) => [s.eventId, s.value, s.source])).toEqual([
      ['feeder:f1', 3000, 'fleet'],
      ['feeder:f2', 2500, 'fleet'],
    ]);
    // Open at both ends: binds the cycle under way and every planned step.
    expect(sig[0].startMs).toBeLessThanOrEqual(T - 60_000);
    expect(sig[0].endMs).toBeGreaterThan(T + 365 * 24 * 3_600_000);
    expect(l.clear('f1', 150)).toBe(false);
    expect(l.clear('f1', 250)).toBe(true);
    expect(l.held().map((s) => s.feederId)).toEqual(['f2']);
    expect(() => l.set('f3', -1, 400)).toThrow(/≥ 0 kW/);
  });

  it("holds a share of an OpenADR event only in the event's window, and forgets it once ended", () => {
    let now = T;
    const l = new FleetImportLimit(() => now);
    const startMs = T + 3_600_000;
    const endMs = startMs + 7_200_000;
    l.set('openadr:e1@1', 2000, 100, { startMs, endMs });
    const [sig] = l.signals();
    expect(sig).toMatchObject({ kind: 'import_limit_kw', startMs, endMs, value: 2000 });
    // The loop's import limit: the site's own before the window, the share inside it.
    expect(importLimitAt(16000, l.signals(), T)).toBe(16000);
    expect(importLimitAt(16000, l.signals(), startMs + 60_000)).toBe(2000);
    expect(importLimitAt(16000, l.signals(), endMs)).toBe(16000);
    expect(() => l.set('openadr:e2@1', 2000, 100, { startMs: endMs, endMs: startMs })).toThrow(/ends/);
    now = endMs + 1;
    l.set('f1', 3000, 200);
    expect(l.held().map((s) => s.feederId)).toEqual(['f1']);
  });
});
