import { MS_PER_DAY, intervalMs } from '../model/time.ts';
import { prepareDistrict, type District } from '../sim/district.ts';
import type { EvSession } from '../sim/assets/ev.ts';
import type { TrainingJob } from '../sim/assets/datacenter.ts';
import { DEFAULT_WORLD_SEED, TwinWorld, worldWeatherScenario, type TwinWorldOptions } from './world.ts';

// The twin's world as a district the simulator can run, so a live run under `serve --twin` and
// `simulate` can be compared on the same days: the same weather, PV, loads, data-center inference
// and PUE, EV sessions and training jobs. A district prepared with `seed: DEFAULT_WORLD_SEED` is not
// that: the world draws each day on a stream of its own (world.ts), so its loads, sessions and jobs
// are other draws (from 2026-08-03, at the end of the first day under `optimal`, the seeded
// district's training queue held 53,000 GPU-hours, the world's 24,000).
//
// What it leaves out: the surprise on each bus block's energy and the depot's plug rota (the
// district has the published timetable, and the simulator's depot model charges it), and whatever a
// test adds to the twin by hand (a job through the API, an unannounced EV, a grid signal).

export interface WorldDistrictOptions extends TwinWorldOptions {
  /** Local days from the start. */
  days: number;
}

/** The district of the twin's world over `days` local days from its start. */
export function worldDistrict(opts: WorldDistrictOptions): District {
  const world = new TwinWorld(opts);
  const worldSeed = opts.worldSeed ?? DEFAULT_WORLD_SEED;
  const start = opts.start ?? opts.scenario.default_start;
  const prepare = { start, days: opts.days, baseDir: opts.baseDir };
  const d = prepareDistrict(worldWeatherScenario(opts.scenario, worldSeed), prepare);
  // The depots drive the timetable the depot publishes: the planner's preparation of the days.
  const published = prepareDistrict(opts.scenario, prepare);
  const stepMs = intervalMs(d.grid);
  const sessions = new Map<string, EvSession[]>(d.ev.map((u) => [u.id, []]));
  const jobs = new Map<string, TrainingJob[]>(d.datacenters.map((u) => [u.id, []]));
  const endMs = d.grid.startMs + d.grid.count * stepMs;
  // Day by day, in order: the world forgets what lies more than a day behind the last time asked.
  for (let fromMs = d.grid.startMs; fromMs < endMs; fromMs += MS_PER_DAY) {
    const toMs = Math.min(endMs, fromMs + MS_PER_DAY);
    for (const s of world.evSessions(fromMs, toMs)) sessions.get(s.assetId)?.push(s);
    for (const { datacenterId, ...job } of world.trainingJobs(fromMs, toMs))
      jobs.get(datacenterId)?.push(job);
    for (let i = (fromMs - d.grid.startMs) / stepMs; i < (toMs - d.grid.startMs) / stepMs; i++) {
      const t = d.grid.startMs + i * stepMs;
      for (const u of d.pv) u.availableKw[i] = world.pvAvailableKw(u.id, t);
      for (const u of d.loads) u.kw[i] = world.loadKw(u.id, t);
      for (const u of d.datacenters) {
        u.inferenceItKw[i] = world.datacenterInferenceItKw(u.id, t);
        u.pue[i] = world.datacenterPue(u.id, t);
      }
    }
  }
  return {
    ...d,
    // The world does not tell how many cars it turned away.
    ev: d.ev.map((u) => ({ ...u, sessions: sessions.get(u.id)!, turnedAway: 0 })),
    datacenters: d.datacenters.map((u) => ({ ...u, jobs: jobs.get(u.id)! })),
    depots: published.depots,
  };
}
