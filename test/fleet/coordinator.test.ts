import { describe, expect, it } from 'vitest';
import {
  FeederCoordinator,
  parseFeederOption,
  splitFeederCap,
  type FeederEvent,
  type ShareDecision,
  type SiteFlex,
} from '../../src/fleet/coordinator.ts';
import type { SiteReportMessage } from '../../src/fleet/messages.ts';

// The split rule of a shared feeder cap (src/fleet/coordinator.ts), without NATS or PostgreSQL.

const site = (edgeId: string, o: Partial<SiteFlex> = {}): SiteFlex => ({
  edgeId,
  wantKw: 5000,
  inflexibleKw: 1000,
  ownLimitKw: 16000,
  valueKrwPerKwh: 100,
  ...o,
});
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('splitFeederCap', () => {
  it('gives every site its inflexible load, then the headroom in proportion to value-weighted flexibility', () => {
    const s = splitFeederCap(9000, [site('a'), site('b'), site('c', { valueKrwPerKwh: 200 })]);
    // Floors 3 × 1000; headroom 6000 over flexible 4000 each, weights 1 : 1 : 2 → 1500, 1500, 3000.
    expect(s.sharesKw.get('a')).toBeCloseTo(2500, 6);
    expect(s.sharesKw.get('b')).toBeCloseTo(2500, 6);
    expect(s.sharesKw.get('c')).toBeCloseTo(4000, 6);
    expect(total(s.sharesKw)).toBeCloseTo(9000, 6);
    expect(s.shortKw).toBe(0);
  });

  it('serves a high-value site in full and gives what it cannot take to the others', () => {
    const s = splitFeederCap(9000, [site('a'), site('b'), site('c', { valueKrwPerKwh: 1000 })]);
    expect(s.sharesKw.get('c')).toBeCloseTo(5000, 6);
    expect(s.sharesKw.get('a')).toBeCloseTo(2000, 6);
    expect(s.sharesKw.get('b')).toBeCloseTo(2000, 6);
  });

  it('never goes above a site own limit, and spreads spare headroom equally within them', () => {
    const s = splitFeederCap(20000, [site('a', { ownLimitKw: 3000 }), site('b'), site('c')]);
    expect(s.sharesKw.get('a')).toBeCloseTo(3000, 6);
    // b and c get their 5000 and split what is left (20000 − 13000) equally.
    expect(s.sharesKw.get('b')).toBeCloseTo(8500, 6);
    expect(s.sharesKw.get('c')).toBeCloseTo(8500, 6);
  });

  it('says by how much the cap is short when the inflexible loads alone exceed it', () => {
    const s = splitFeederCap(2500, [site('a'), site('b'), site('c')]);
    expect(s.shortKw).toBeCloseTo(500, 6);
    expect([...s.sharesKw.values()]).toEqual([1000, 1000, 1000]);
  });

  it('refuses bad input with a clear message', () => {
    expect(() => splitFeederCap(-1, [site('a')])).toThrow(/cap must be ≥ 0 kW/);
    expect(() => splitFeederCap(1000, [site('a', { wantKw: NaN })])).toThrow(/site "a": wantKw/);
    expect(() => splitFeederCap(1000, [site('a', { inflexibleKw: 6000 })])).toThrow(/must not exceed/);
    expect(() => splitFeederCap(1000, [site('a', { valueKrwPerKwh: 0 })])).toThrow(/valueKrwPerKwh/);
    expect(() => splitFeederCap(1000, [site('a'), site('a')])).toThrow(/twice/);
    expect(() => parseFeederOption('f1:9000')).toThrow(/<id>=<cap kW>/);
    expect(() => parseFeederOption('f1=-5:a')).toThrow(/positive number of kW/);
    expect(parseFeederOption('f1=9000:a, b,c')).toEqual({ id: 'f1', capKw: 9000, sites: ['a', 'b', 'c'] });
  });

  it('holds the cap and every site floor on random fleets', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 500; trial++) {
      const sites = Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, i) => {
        const wantKw = rnd() * 8000;
        return site(`s${i}`, {
          wantKw,
          inflexibleKw: wantKw * rnd(),
          ownLimitKw: 500 + rnd() * 10000,
          valueKrwPerKwh: 1 + rnd() * 300,
        });
      });
      const capKw = rnd() * 30000;
      const s = splitFeederCap(capKw, sites);
      for (const x of sites) {
        const share = s.sharesKw.get(x.edgeId)!;
        expect(share).toBeLessThanOrEqual(x.ownLimitKw + 1e-6);
        expect(share).toBeGreaterThanOrEqual(Math.min(x.inflexibleKw, x.ownLimitKw) - 1e-6);
      }
      if (s.shortKw === 0) expect(total(s.sharesKw)).toBeLessThanOrEqual(capKw + 1e-6);
    }
  });
});

describe('FeederCoordinator', () => {
  const report = (o: Partial<SiteReportMessage>): SiteReportMessage => ({
    timeMs: 1,
    wantKw: 5000,
    inflexibleKw: 1000,
    ownLimitKw: 16000,
    valueKrwPerKwh: 100,
    importKw: 0,
    limitKw: 16000,
    ...o,
  });

  it('waits for every site, re-splits on a changed report, sends falls before rises, raises a short cap', async () => {
    const sent: ShareDecision[] = [];
    const events: FeederEvent[] = [];
    const f = new FeederCoordinator(
      { id: 'f1', capKw: 9000, sites: ['a', 'b', 'c'] },
      { send: async (d) => void sent.push(d), event: (e) => void events.push(e) },
    );
    f.observe('a', report({}));
    f.observe('b', report({}));
    await f.resplit('test');
    expect(sent).toEqual([]);
    expect(events.map((e) => e.code)).toEqual(['FEEDER_WAITING']);
    f.observe('c', report({}));
    await f.resplit('test');
    expect(sent.map((d) => [d.edgeId, Math.round(d.limitKw)])).toEqual([
      ['a', 3000],
      ['b', 3000],
      ['c', 3000],
    ]);
    sent.length = 0;
    // b no longer needs its flexible part: a and c get it, and b's fall goes out first.
    f.observe('b', report({ timeMs: 2, wantKw: 1000 }));
    await f.resplit('b changed');
    expect(sent.map((d) => [d.edgeId, Math.round(d.limitKw)])).toEqual([
      ['b', 1000],
      ['a', 4000],
      ['c', 4000],
    ]);
    // An older report (sent out of order) is not taken.
    expect(f.observe('b', report({ timeMs: 1 }))).toBe(false);
    f.observe('a', report({ timeMs: 3, wantKw: 8000, inflexibleKw: 8000 }));
    await f.resplit('a inflexible');
    expect(events.at(-1)?.code).toBe('FEEDER_CAP_SHORT');
    expect(f.status().shortKw).toBeCloseTo(1000, 6);
  });
});
