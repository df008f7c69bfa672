import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assetSchema, type Asset, type AssetOf, type Scenario } from '../model/schema.ts';
import { gridForLocalDays, localTimes, type LocalTime, type TimeGrid } from '../model/time.ts';
import { koreanHolidayCalendar, type HolidayCalendar } from '../model/calendar.ts';
import { createRandom, loadScenarioWeather, type WeatherSeries } from '../weather/index.ts';
import { createTariff, tariffSeries, type TariffEngine, type TariffSeries } from '../tariff/index.ts';
import { pvAvailablePowerKw, preparePv, type PvUnit } from './assets/pv.ts';
import { prepareBattery, type BatteryUnit } from './assets/battery.ts';
import { prepareLoad, type LoadUnit } from './assets/load.ts';
import { prepareEv, type EvUnit } from './assets/ev.ts';
import { prepareDepot, type DepotUnit } from './assets/bus.ts';
import { prepareDatacenter, type DatacenterUnit } from './assets/datacenter.ts';
import { prepareDeferrable, type DeferrableUnit } from './assets/deferrable.ts';
import type { PrepareContext } from './assets/context.ts';
import { InputError, readProfileCsv, type InputReport } from './inputs/index.ts';

export type { PvUnit, BatteryUnit, LoadUnit, EvUnit, DepotUnit, DatacenterUnit };

// Everything about a run that does not depend on decisions: the time grid, weather, prices, PV
// potential, fixed loads, EV sessions, bus timetable and training jobs. Prepared once, then every
// strategy runs against the same district so their results compare like for like.

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
  /**
   * Folder the scenario's relative paths resolved against, so that whatever prepares the district
   * again (the forecasters' history) reads the same files; absent where a district is built by hand.
   */
  baseDir?: string;
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
  const inputReports: InputReport[] = [];
  const ctx: PrepareContext = {
    grid,
    zone,
    local,
    calendar,
    weather,
    location: {
      latitudeDeg: scenario.location.latitude_deg,
      longitudeDeg: scenario.location.longitude_deg,
      altitudeM: scenario.location.altitude_m,
    },
    seeded: (seed) => createRandom(opts.seed === undefined ? seed : mixSeed(seed, opts.seed)),
    // Measured inputs replace the modelled series where the district file names one (docs/simulation.md).
    readInput: (path, parse) => {
      const file = resolve(opts.baseDir, path);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new InputError(file, undefined, `cannot read file: ${(e as Error).message}`);
      }
      const r = parse(text, file);
      inputReports.push(r.report);
      return r;
    },
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
    prices: tariffSeries(tariff, grid),
    pv: [],
    batteries: [],
    loads: [],
    ev: [],
    depots: [],
    datacenters: [],
    deferrables: [],
    ppaKw: new Float64Array(grid.count),
    inputReports,
    baseDir: opts.baseDir,
  };
  for (const site of scenario.sites) for (const a of site.assets) addAsset(d, a, site.id, ctx);
  applyPriceSeries(d, ctx);
  if (scenario.contracts.ppa) d.ppaKw = ppaProfileKw(scenario.contracts.ppa, weather);
  return d;
}

/** One asset of the district file, prepared by its kind's own file in assets/. */
function addAsset(d: District, a: Asset, siteId: string, ctx: PrepareContext): void {
  switch (a.type) {
    case 'pv':
      d.pv.push(preparePv(a, siteId, ctx));
      break;
    case 'battery':
      d.batteries.push(prepareBattery(a, siteId));
      break;
    case 'load':
      d.loads.push(prepareLoad(a, siteId, ctx));
      break;
    case 'ev_chargers':
      d.ev.push(prepareEv(a, siteId, ctx));
      break;
    case 'bus_depot':
      d.depots.push(prepareDepot(a, siteId, ctx));
      break;
    case 'datacenter':
      d.datacenters.push(prepareDatacenter(a, siteId, ctx));
      break;
    case 'deferrable_load':
      d.deferrables!.push(prepareDeferrable(a, siteId, ctx));
      break;
  }
}

/** Price series replace the tariff's energy prices (the demand charge stays the tariff's). */
function applyPriceSeries(d: District, ctx: PrepareContext): void {
  const g = d.scenario.grid;
  const read = (path: string) =>
    ctx.readInput(path, (text, file) =>
      readProfileCsv(text, file, d.grid, {
        zone: d.zone,
        valueName: 'price_krw_per_kwh',
        allowNegative: true,
      }),
    ).kw;
  if (g.import_price_krw_per_kwh_csv) {
    const kw = read(g.import_price_krw_per_kwh_csv);
    d.prices.importPriceKrwPerKwh.set(kw);
    d.prices.energyChargeKrwPerKwh.set(kw);
    d.prices.adderKrwPerKwh.fill(0);
  }
  if (g.export_price_krw_per_kwh_csv) d.prices.exportPriceKrwPerKwh.set(read(g.export_price_krw_per_kwh_csv));
}

/**
 * The PPA farm sees the same weather, at its own latitude and tilt; its output reaches the district
 * through the grid, so only its profile matters here.
 */
function ppaProfileKw(ppa: NonNullable<Scenario['contracts']['ppa']>, weather: WeatherSeries): Float64Array {
  const farm = assetSchema.parse({
    id: 'ppa',
    type: 'pv',
    capacity_kwp: ppa.capacity_kwp,
    tilt_deg: ppa.tilt_deg,
  }) as AssetOf<'pv'>;
  return pvAvailablePowerKw(farm, weather, {
    latitudeDeg: ppa.latitude_deg,
    longitudeDeg: ppa.longitude_deg,
    altitudeM: 0,
  });
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
