import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assetSchema, type AssetOf, type Scenario } from '../model/schema.ts';
import { gridForLocalDays, localTimes, type LocalTime, type TimeGrid } from '../model/time.ts';
import { koreanHolidayCalendar, type HolidayCalendar } from '../model/calendar.ts';
import { createRandom, loadScenarioWeather, type WeatherSeries } from '../weather/index.ts';
import { createTariff, tariffSeries, type TariffEngine, type TariffSeries } from '../tariff/index.ts';
import { pvAvailablePowerKw } from './assets/pv.ts';
import { generateEvSessions, type EvSession } from './assets/ev.ts';
import { planBusBlocks, type BusPlan } from './assets/bus.ts';
import {
  datacenterLayout,
  generateTrainingJobs,
  inferenceItKw,
  pue,
  type DatacenterLayout,
  type TrainingJob,
} from './assets/datacenter.ts';
import { loadSeriesKw } from './assets/load.ts';
import { deferrableWindows, type DeferrableUnit } from './assets/deferrable.ts';
import {
  InputError,
  readJobTrace,
  readBusBlocks,
  readProfileCsv,
  readSessionLog,
  type InputReport,
} from './inputs/index.ts';

// Everything about a run that does not depend on decisions: the time grid, weather, prices, PV
// potential, fixed loads, EV sessions, bus timetable and training jobs. Prepared once, then every
// strategy runs against the same district so their results compare like for like.

export interface PvUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'pv'>;
  availableKw: Float64Array;
}
export interface BatteryUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'battery'>;
}
export interface LoadUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'load'>;
  kw: Float64Array;
}
export interface EvUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'ev_chargers'>;
  sessions: EvSession[];
  turnedAway: number;
}
export interface DepotUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'bus_depot'>;
  plan: BusPlan;
}
export interface DatacenterUnit {
  id: string;
  siteId: string;
  cfg: AssetOf<'datacenter'>;
  layout: DatacenterLayout;
  /** Inference IT power, kW. */
  inferenceItKw: Float64Array;
  pue: Float64Array;
  jobs: TrainingJob[];
}

export interface District {
  scenario: Scenario;
  zone: string;
  grid: TimeGrid;
  intervalHours: number;
  local: LocalTime[];
  calendar: HolidayCalendar;
  weather: WeatherSeries;
  tariff: TariffEngine;
  prices: TariffSeries;
  pv: PvUnit[];
  batteries: BatteryUnit[];
  loads: LoadUnit[];
  ev: EvUnit[];
  depots: DepotUnit[];
  datacenters: DatacenterUnit[];
  /** Deferrable loads with their windows on the grid (absent where a district is built by hand). */
  deferrables?: DeferrableUnit[];
  /** Power delivered by the off-site PPA, kW (through the grid: RE100, not self-sufficiency). */
  ppaKw: Float64Array;
  /** What each measured input file became and what was fixed on the way (none: all synthetic). */
  inputReports?: InputReport[];
}

export interface DistrictOptions {
  /** First local day, YYYY-MM-DD; the scenario's default_start when omitted. */
  start?: string;
  days: number;
  /** Overrides every seed in the scenario by mixing it in, so one flag re-draws a whole run. */
  seed?: number;
  /** Folder relative paths in the scenario resolve against. */
  baseDir: string;
}

export function prepareDistrict(scenario: Scenario, opts: DistrictOptions): District {
  const zone = scenario.timezone;
  const grid = gridForLocalDays(
    opts.start ?? scenario.default_start,
    opts.days,
    scenario.interval_minutes,
    zone,
  );
  const local = localTimes(grid, zone);
  const calendar = koreanHolidayCalendar(scenario.extra_holidays);
  const weather = loadScenarioWeather(withSeed(scenario, opts.seed), opts.baseDir, grid);
  const tariff = createTariff(scenario.grid, zone, calendar);
  const prices = tariffSeries(tariff, grid);
  const seeded = (seed: number) => createRandom(opts.seed === undefined ? seed : mixSeed(seed, opts.seed));
  const location = {
    latitudeDeg: scenario.location.latitude_deg,
    longitudeDeg: scenario.location.longitude_deg,
    altitudeM: scenario.location.altitude_m,
  };

  const d: District = {
    scenario,
    zone,
    grid,
    intervalHours: grid.intervalMinutes / 60,
    local,
    calendar,
    weather,
    tariff,
    prices,
    pv: [],
    batteries: [],
    loads: [],
    ev: [],
    depots: [],
    datacenters: [],
    deferrables: [],
    ppaKw: new Float64Array(grid.count),
    inputReports: [],
  };
  // Measured inputs replace the modelled series where the district file names one (docs/simulation.md).
  const measured = (path: string) => {
    const file = resolve(opts.baseDir, path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(file, undefined, `cannot read file: ${(e as Error).message}`);
    }
    return { file, text };
  };
  const note = (r: InputReport) => d.inputReports!.push(r);
  for (const site of scenario.sites) {
    for (const a of site.assets) {
      const base = { id: a.id, siteId: site.id };
      switch (a.type) {
        case 'pv': {
          let availableKw: Float64Array;
          if (a.measured_csv) {
            const { file, text } = measured(a.measured_csv);
            const r = readProfileCsv(text, file, grid, { zone });
            note(r.report);
            availableKw = r.kw;
          } else availableKw = pvAvailablePowerKw(a, weather, location);
          d.pv.push({ ...base, cfg: a, availableKw });
          break;
        }
        case 'battery':
          d.batteries.push({ ...base, cfg: a });
          break;
        case 'load': {
          let kw: Float64Array;
          if (a.measured_csv) {
            const { file, text } = measured(a.measured_csv);
            const r = readProfileCsv(text, file, grid, { zone });
            note(r.report);
            kw = r.kw;
          } else kw = loadSeriesKw(a, local, weather.temperatureC, calendar, seeded(a.seed));
          d.loads.push({ ...base, cfg: a, kw });
          break;
        }
        case 'ev_chargers': {
          let gen: { sessions: EvSession[]; turnedAway: number };
          if (a.session_log) {
            const { file, text } = measured(a.session_log);
            const r = readSessionLog(text, file, a, grid);
            note(r.report);
            gen = r;
          } else gen = generateEvSessions(a, grid, local, calendar, seeded(a.sessions.seed));
          d.ev.push({ ...base, cfg: a, sessions: gen.sessions, turnedAway: gen.turnedAway });
          break;
        }
        case 'bus_depot': {
          let plan: BusPlan;
          if (a.blocks_csv) {
            const { file, text } = measured(a.blocks_csv);
            const r = readBusBlocks(text, file, a, grid, zone);
            note(r.report);
            plan = r.plan;
          } else plan = planBusBlocks(a, grid, local, calendar, seeded(a.timetable.seed));
          d.depots.push({ ...base, cfg: a, plan });
          break;
        }
        case 'datacenter': {
          const layout = datacenterLayout(a);
          const inf = new Float64Array(grid.count);
          const p = new Float64Array(grid.count);
          for (let i = 0; i < grid.count; i++) {
            inf[i] = inferenceItKw(a, layout, local[i].hour);
            p[i] = pue(a, weather.temperatureC[i]);
          }
          let jobs: TrainingJob[];
          if (a.job_trace) {
            const { file, text } = measured(a.job_trace);
            const r = readJobTrace(text, file, a, layout, grid);
            note(r.report);
            jobs = r.jobs;
          } else jobs = generateTrainingJobs(a, grid, local, seeded(a.training.seed));
          d.datacenters.push({ ...base, cfg: a, layout, inferenceItKw: inf, pue: p, jobs });
          break;
        }
        case 'deferrable_load':
          d.deferrables!.push({ ...base, cfg: a, windows: deferrableWindows(a, grid, zone) });
          break;
      }
    }
  }
  // Price series replace the tariff's energy prices (the demand charge stays the tariff's).
  const g = scenario.grid;
  if (g.import_price_krw_per_kwh_csv) {
    const { file, text } = measured(g.import_price_krw_per_kwh_csv);
    const r = readProfileCsv(text, file, grid, { zone, valueName: 'price_krw_per_kwh', allowNegative: true });
    note(r.report);
    prices.importPriceKrwPerKwh.set(r.kw);
    prices.energyChargeKrwPerKwh.set(r.kw);
    prices.adderKrwPerKwh.fill(0);
  }
  if (g.export_price_krw_per_kwh_csv) {
    const { file, text } = measured(g.export_price_krw_per_kwh_csv);
    const r = readProfileCsv(text, file, grid, { zone, valueName: 'price_krw_per_kwh', allowNegative: true });
    note(r.report);
    prices.exportPriceKrwPerKwh.set(r.kw);
  }
  const ppa = scenario.contracts.ppa;
  if (ppa) {
    // The PPA farm sees the same weather, at its own latitude and tilt; its output reaches the
    // district through the grid, so only its profile matters here.
    const farm = assetSchema.parse({
      id: 'ppa',
      type: 'pv',
      capacity_kwp: ppa.capacity_kwp,
      tilt_deg: ppa.tilt_deg,
    }) as AssetOf<'pv'>;
    d.ppaKw = pvAvailablePowerKw(farm, weather, {
      latitudeDeg: ppa.latitude_deg,
      longitudeDeg: ppa.longitude_deg,
      altitudeM: 0,
    });
  }
  return d;
}

function withSeed(s: Scenario, seed: number | undefined): Scenario {
  if (seed === undefined || s.weather.source !== 'synthetic') return s;
  return { ...s, weather: { ...s.weather, seed: mixSeed(s.weather.seed, seed) } };
}

/** Combines a scenario seed with a run seed into a new 32-bit seed (splitmix-style scramble). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
