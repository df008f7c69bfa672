import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportStore } from '../../src/cli/export.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { timeAt } from '../../src/model/time.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { runSimulation, type SimResult } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';
import { openStore, type Store, type TelemetryPoint } from '../../src/store/index.ts';

// export → simulate round trip: a simulated period written to the store as the live system meters it
// (each asset's power, each EV session as an OCPP transaction, each training job in the job book),
// exported, and replayed from replay.yaml gives the same energy per asset within 0.5 %.

const DAYS = 2;
const STRATEGY = 'rules';
const TOLERANCE = 0.005;
const OTHER_SEED = 1000;
const loaded = loadScenarioFile();
const original = prepareDistrict(loaded.scenario, { days: DAYS, baseDir: loaded.baseDir });
const result = runSimulation(original, getStrategy(STRATEGY)(original));

function energyByAsset(d: District, r: SimResult): Map<string, number> {
  const out = new Map<string, number>();
  const series = new Map(r.series.byAsset);
  // Fixed loads are inputs of the run, not decisions: the district holds them.
  for (const u of d.loads) series.set(u.id, u.kw);
  for (const [id, kw] of series) {
    let kwh = 0;
    for (let i = 0; i < d.grid.count; i++) kwh += Math.abs(kw[i]) * d.intervalHours;
    out.set(id, kwh);
  }
  return out;
}

let store: Store;
let replay: District;
let replayed: SimResult;
const out = mkdtempSync(join(tmpdir(), 'bitgrid-export-'));

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  const points: TelemetryPoint[] = [];
  const metered = new Map(result.series.byAsset);
  for (const u of original.loads) metered.set(u.id, u.kw);
  for (const [id, kw] of metered)
    for (let i = 0; i < original.grid.count; i++)
      points.push({ assetId: id, measurement: 'power_kw', value: kw[i], timeMs: timeAt(original.grid, i) });
  // Each session as the CSMS stores a transaction: its energy counter at plug-in and at departure.
  for (const u of original.ev)
    for (const [k, s] of u.sessions.entries()) {
      const channel = `cp${s.chargerIndex}/tx:${k}`;
      points.push({
        assetId: u.id,
        measurement: 'session_energy_kwh',
        channel,
        value: 0,
        timeMs: s.arrivalMs,
      });
      points.push({
        assetId: u.id,
        measurement: 'session_energy_kwh',
        channel,
        value: s.energyKwh,
        timeMs: s.departureMs,
      });
    }
  await store.appendTelemetry(points);
  for (const u of original.datacenters)
    for (const j of u.jobs)
      await store.addJob({
        datacenterId: u.id,
        name: j.id,
        gpus: j.gpus,
        gpuHours: j.gpuHours,
        earliestStartMs: j.submitMs,
        deadlineMs: j.deadlineMs,
        submittedMs: j.submitMs,
        submittedBy: 'system',
      });
  const r = await exportStore(
    store,
    loaded,
    original.grid.startMs,
    timeAt(original.grid, original.grid.count),
    out,
  );
  expect(r.days).toBe(DAYS);
  const replayLoaded = loadScenarioFile(r.replayFile);
  // Other seeds for everything the files replace: a replay that ignored a file would differ.
  const scenario = structuredClone(replayLoaded.scenario);
  for (const a of scenario.sites.flatMap((site) => site.assets)) {
    if (a.type === 'load') a.seed += OTHER_SEED;
    if (a.type === 'ev_chargers') a.sessions.seed += OTHER_SEED;
    if (a.type === 'datacenter') a.training.seed += OTHER_SEED;
  }
  if (scenario.weather.source === 'synthetic') scenario.weather.seed += OTHER_SEED;
  replay = prepareDistrict(scenario, { days: DAYS, baseDir: replayLoaded.baseDir });
  replayed = runSimulation(replay, getStrategy(STRATEGY)(replay));
}, 120_000);
afterAll(async () => store?.close());

describe('bitgrid export', () => {
  it('writes profiles, session logs and job traces and names them in replay.yaml', () => {
    const yaml = readFileSync(join(out, 'replay.yaml'), 'utf8');
    for (const u of original.loads) expect(yaml).toContain(`measured_csv: ${u.id}.csv`);
    for (const u of original.pv) expect(yaml).toContain(`measured_csv: ${u.id}.csv`);
    for (const u of original.ev) expect(yaml).toContain(`session_log: ${u.id}-sessions.csv`);
    for (const u of original.datacenters) expect(yaml).toContain(`job_trace: ${u.id}-jobs.csv`);
    expect(replay.scenario.default_start).toBe(original.scenario.default_start);
    const ev = original.ev[0];
    const log = readFileSync(join(out, `${ev.id}-sessions.csv`), 'utf8')
      .trim()
      .split('\n');
    expect(log[0]).toBe('session_id,charger,connector,arrival,departure,energy_kwh,max_power_kw');
    expect(log).toHaveLength(1 + ev.sessions.length);
    expect(replay.inputReports!.length).toBeGreaterThanOrEqual(original.loads.length + original.pv.length);
  });

  it('replays the same energy per asset within 0.5 %', () => {
    const a = energyByAsset(original, result);
    const b = energyByAsset(replay, replayed);
    const checked: string[] = [];
    for (const [id, kwh] of a) {
      if (kwh < 1) continue;
      expect(b.get(id), id).toBeDefined();
      expect(Math.abs(b.get(id)! - kwh) / kwh, `${id}: ${kwh} kWh, replayed ${b.get(id)}`).toBeLessThan(
        TOLERANCE,
      );
      checked.push(id);
    }
    // Every kind of measured input took part: loads, PV, charging and the data center.
    for (const u of [...original.loads, ...original.pv, ...original.ev, ...original.datacenters])
      expect(checked).toContain(u.id);
    expect(replay.ev[0].sessions).toHaveLength(original.ev[0].sessions.length);
    expect(replay.datacenters[0].jobs.map((j) => j.gpuHours)).toEqual(
      original.datacenters[0].jobs.map((j) => j.gpuHours),
    );
  });
});
