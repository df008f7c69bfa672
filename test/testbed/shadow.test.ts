import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { noneStrategy } from '../../src/strategy/none.ts';
import type { Dispatch, StepView } from '../../src/sim/strategy-interface.ts';
import type { LiveView } from '../../src/live/site-state.ts';
import { ShadowError, ShadowRunner } from '../../src/live/shadow.ts';
import { FIXTURES, oneDay } from './helpers.ts';

// The shadow runner on its own, fed the simulator's states as the live controller would feed it
// (a cycle's view and the acting strategy's dispatch): shadow decisions are compared, clamped and
// counted; a controller that fails is stopped, with an event and an audit entry; the hook never
// throws into the control cycle.

const admin = { id: 'admin-token', role: 'admin' as const };
const source = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The day's views from 08:00 to 20:00 with `none`'s dispatch, as a live loop would see them. */
const cycles: { lv: LiveView; acting: Dispatch }[] = [];
let store: Store;
let dir: string;
let runner: ShadowRunner;

beforeAll(async () => {
  const d = oneDay();
  const none = noneStrategy();
  runSimulation(d, {
    name: 'probe',
    decide(view: StepView) {
      const acting = none.decide(view);
      if (view.local.hour >= 8 && view.local.hour < 20) {
        // The simulator reuses some arrays between intervals: keep a copy of what this one saw.
        const v = {
          ...view,
          pvAvailableKw: Float64Array.from(view.pvAvailableKw),
          batteryLimits: [...view.batteryLimits],
        };
        const lv: LiveView = {
          view: v,
          sessionChannels: new Map(),
          buses: v.buses,
          futureJobs: [],
          measuredAt: view.timeMs,
        };
        cycles.push({ lv, acting });
      }
      return acting;
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'bitgrid-shadow-unit-'));
  store = await openStore(`sqlite:${join(dir, 's.db')}`);
  runner = new ShadowRunner({
    scenario: d.scenario,
    store,
    now: () => d.grid.startMs,
    limits: { decisionTimeoutMs: 1_000 },
  });
});

afterAll(async () => {
  await runner?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Feeds every cycle, each once the shadows are done with the previous one. */
async function feed(name: string) {
  for (const c of cycles) {
    const before = runner.list().find((s) => s.name === name)!.decisions;
    runner.observe(c.lv, c.acting, []);
    while (runner.list().find((s) => s.name === name)!.decisions === before) await sleep(5);
  }
}

describe('shadow mode', () => {
  it('compares a shadow’s would-be cost with the acting strategy’s and counts its clamps', async () => {
    const s = await runner.register({ name: 'greedy', source: source('greedy.mjs') }, admin);
    expect(s.state).toBe('running');
    await feed('greedy');
    const st = runner.list().find((x) => x.name === 'greedy')!;
    expect(st.decisions).toBe(cycles.length);
    expect(st.comparedCycles).toBe(cycles.length);
    // Every battery setpoint (ten times its rating) was narrowed, and counted.
    expect(st.clamps).toBeGreaterThanOrEqual(cycles.length);
    expect(st.lastClamps[0]).toMatchObject({ where: `batteryKw/${oneDay().batteries[0].id}` });
    // Discharging the battery at its limit imports less than `none`, which leaves it idle.
    expect(st.shadow.importKwh).toBeLessThan(st.acting.importKwh);
    expect(st.acting.energyCostKrw).toBeGreaterThan(0);
    expect(st.shadow.totalCostKrw).toBe(st.shadow.energyCostKrw + st.shadow.newPeakCost12MonthsKrw);
    await runner.remove('greedy');
  });

  it('stops a shadow that hangs, with an event and an audit entry; the cycle goes on', async () => {
    await runner.register({ name: 'hangs', source: source('loops.mjs'), decisionTimeoutMs: 300 }, admin);
    // The hook returns at once, every cycle, while the shadow is stuck.
    for (const c of cycles.slice(0, 3)) runner.observe(c.lv, c.acting, []);
    let st = runner.list()[0];
    for (let k = 0; k < 200 && st.state !== 'failed'; k++) {
      await sleep(25);
      st = runner.list()[0];
    }
    expect(st.state).toBe('failed');
    expect(st.failure).toMatchObject({ reason: 'timeout', decision: 0 });
    expect(st.skippedCycles).toBe(2);
    await sleep(50);
    const events = await store.listEvents({});
    expect(events.some((e) => e.code === 'SHADOW_FAILED' && /hangs/.test(e.message))).toBe(true);
    const audit = await store.listAudit({});
    expect(audit.some((a) => a.action === 'testbed.shadow.failed' && a.target === 'testbed:hangs')).toBe(
      true,
    );
    await runner.remove('hangs');
  });

  it('refuses bad registrations with the field at fault', async () => {
    const bad = async (r: Parameters<ShadowRunner['register']>[0]) => {
      try {
        await runner.register(r, admin);
      } catch (e) {
        return e as ShadowError;
      }
      throw new Error('accepted');
    };
    expect(await bad({ name: 'Has Spaces', url: 'http://127.0.0.1:1/' })).toMatchObject({ field: 'name' });
    expect(await bad({ name: 'remote', url: 'http://203.0.113.9/' })).toMatchObject({ field: 'url' });
    expect(await bad({ name: 'neither' })).toMatchObject({ field: 'url' });
    expect(await bad({ name: 'both', url: 'http://127.0.0.1:1/', source: 'x' })).toMatchObject({
      field: 'url',
    });
    const broken = await runner.register({ name: 'broken', source: 'export const decide = ;' }, admin);
    expect(broken).toMatchObject({ state: 'failed', failure: { reason: 'load-failed' } });
    await runner.remove('broken');
  });

  it('the hook never throws into the control cycle', () => {
    expect(() => runner.observe(undefined as unknown as LiveView, cycles[0].acting, [])).not.toThrow();
  });
});
