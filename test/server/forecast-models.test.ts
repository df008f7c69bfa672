import { afterEach, describe, expect, it } from 'vitest';
import type { LivePlanner } from '../../src/control/types.ts';
import type { ProcessImage } from '../../src/control/loop.ts';
import { LiveForecast, VALIDATED_LOAD_MIN_DAYS } from '../../src/live/forecast.ts';
import { MeasuredHistory } from '../../src/live/history.ts';
import { SessionDefaults } from '../../src/live/session-defaults.ts';
import { BusTracker, buildLiveView } from '../../src/live/site-state.ts';
import { PlanningCalendar } from '../../src/live/window.ts';
import { localTime } from '../../src/model/time.ts';
import type { LoadedScenario } from '../../src/model/load.ts';
import { call, startTestServer, T0_MS, TestLive, type TestServer } from './fixture.ts';

// GET /api/forecast/models on a real server over loopback, with a real LiveForecast that has chosen its
// load model by validation on a measured history (and reports its PV forecast as not validated): asked
// directly with the API on the control thread, over its channel as from the API's worker thread.

const STEP_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
const LOAD_ID = 'factory-load';
const PV_ID = 'factory-pv';

/** A factory at 5 MW on weekday working hours and 1 MW otherwise, with meter noise per interval. */
function factoryKw(t: number, zone: string): number {
  const lt = localTime(t, zone);
  const base = lt.weekday <= 5 && lt.hour >= 8 && lt.hour < 18 ? 5000 : 1000;
  const h = Math.sin(Math.floor(t / STEP_MS) * 12.9898) * 43758.5453;
  return base + 1200 * (h - Math.floor(h) - 0.5);
}

/** A LiveForecast that has forecast the factory load and PV at T0 from 24 days of history. */
function forecastAtT0(loaded: LoadedScenario): LiveForecast {
  const zone = loaded.scenario.timezone;
  const history = new MeasuredHistory(STEP_MS, 35);
  const from = T0_MS - (VALIDATED_LOAD_MIN_DAYS + 7) * DAY_MS;
  for (let t = from; t <= T0_MS; t += STEP_MS / 3) history.observe(LOAD_ID, t, factoryKw(t, zone));
  const f = new LiveForecast({ history, horizonHours: 24 });
  const d = new PlanningCalendar(loaded.scenario, loaded.baseDir).at(T0_MS, 2 * DAY_MS);
  const image: ProcessImage = {
    timeMs: T0_MS,
    values: new Map([
      [LOAD_ID, new Map([['power_kw', { value: 5000, timeMs: T0_MS, measurement: 'power_kw' }]])],
      [PV_ID, new Map([['power_kw', { value: 0, timeMs: T0_MS, measurement: 'power_kw' }]])],
    ]),
    signals: [],
    sessions: [],
    monthPeakKw: 0,
    monthMaxKw: 0,
    billingDemandKw: 0,
  };
  const { view } = buildLiveView({
    district: d,
    index: PlanningCalendar.indexAt(d, T0_MS),
    nowMs: T0_MS,
    image,
    sessions: [],
    demand: { monthPeakKw: 0, monthMaxKw: 0, billingDemandKw: 0 },
    jobs: [],
    needs: new Map(),
    defaults: new SessionDefaults(loaded.scenario),
    buses: new BusTracker(),
  });
  f.loadSeries(d, LOAD_ID, view, 96);
  f.pvAvailableKw(view, 96);
  forecasts.push(f);
  return f;
}

/** Forecasters of the running test: closed after it, so none answers another test's server. */
const forecasts: LiveForecast[] = [];

class ForecastLive extends TestLive {
  planner?: LivePlanner & { forecastModels?: LiveForecast['choices'] };
}

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  for (const f of forecasts.splice(0)) f.close();
});

/**
 * `forecasting`: a planner that tells its models (the API on the control thread); `remote`: one that
 * does not, as the API worker's copy, while a LiveForecast runs in the process; `without-models`: the
 * same with no forecaster running; `none`: no planner.
 */
async function start(planner: 'forecasting' | 'remote' | 'without-models' | 'none'): Promise<TestServer> {
  return startTestServer({
    rateLimit: false,
    makeLive: (scenario, store) => {
      const live = new ForecastLive(scenario, store);
      if (planner === 'none') return live;
      // The planner's other duties are not under test here.
      const base: LivePlanner = {
        status: () => ({ strategy: 'optimal', mode: 'schedule', solving: false, counters: {} }),
        sessions: () => [],
        setSessionNeeds: () => false,
      };
      if (planner === 'forecasting') {
        const f = forecastAtT0(scenario);
        live.planner = { ...base, forecastModels: () => f.choices() };
      } else {
        if (planner === 'remote') forecastAtT0(scenario);
        live.planner = base;
      }
      return live;
    },
  });
}

describe('GET /api/forecast/models', () => {
  it('lists the chosen model of each series with its validation scores', async () => {
    srv = await start('forecasting');
    const r = await call(srv, 'GET', '/api/forecast/models', { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    const load = r.body.models.find((m: { assetId: string }) => m.assetId === LOAD_ID);
    expect(load.target).toBe('load');
    // Which model wins is select.ts's business (test/forecast/select.test.ts); here: the contract.
    expect(load.candidates.map((c: { name: string }) => c.name)).toContain(load.chosen);
    expect(load.reason).toMatch(/best baseline/);
    // ISO 8601 with the district's offset, before the issue.
    expect(load.validatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$/);
    expect(Date.parse(load.validatedAt)).toBeLessThan(T0_MS);
    expect(load.candidates.map((c: { name: string }) => c.name).sort()).toEqual([
      'load-ridge',
      'persistence',
      'seasonal-naive-day',
      'seasonal-naive-week',
    ]);
    for (const c of load.candidates) {
      expect(Object.keys(c).sort()).toEqual(['maeKw', 'name', 'rmseKw', 'skillRmse']);
      expect(c.rmseKw).toBeGreaterThan(0);
    }
    // Skill is relative to the best baseline, which therefore scores 0.
    const baselines = load.candidates.filter((c: { name: string }) => c.name !== 'load-ridge');
    expect(Math.max(...baselines.map((c: { skillRmse: number }) => c.skillRmse))).toBe(0);
    const pv = r.body.models.find((m: { assetId: string }) => m.assetId === PV_ID);
    expect(pv).toEqual({
      target: 'pv',
      assetId: PV_ID,
      chosen: 'clear-sky-persistence',
      reason: expect.stringMatching(/not validated/),
      validatedAt: null,
      candidates: [],
    });
  });

  it('from the API worker thread: asks the live forecaster over its channel', async () => {
    srv = await start('remote');
    const r = await call(srv, 'GET', '/api/forecast/models', { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.body.models).toEqual(
      forecasts[0].choices().map((m) => ({
        target: m.target,
        assetId: m.assetId,
        chosen: m.chosen,
        reason: m.reason,
        validatedAt: m.validatedAtMs === null ? null : expect.stringMatching(/\+09:00$/),
        candidates: m.candidates,
      })),
    );
  });

  it('needs a token, and answers 503 when no planner or forecaster can tell', async () => {
    srv = await start('without-models');
    expect((await call(srv, 'GET', '/api/forecast/models')).status).toBe(401);
    const r = await call(srv, 'GET', '/api/forecast/models', { token: srv.tokens.viewer });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('BITGRID_ERR_PLANNER_UNAVAILABLE');
    expect(r.body.error.message).toMatch(/did not answer/);
    await srv.close();
    srv = await start('none');
    const n = await call(srv, 'GET', '/api/forecast/models', { token: srv.tokens.viewer });
    expect(n.status).toBe(503);
    expect(n.body.error.message).toMatch(/no planner/);
  });
});
