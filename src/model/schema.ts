import { z } from 'zod';

// The district configuration file. Field names carry their unit; every object is strict so an
// unknown (usually misspelt) key is an error rather than a silently ignored setting.

// Physical bounds. A district file is data, not code: a mistyped exponent (1e12 kW) or a pasted
// count (100000000 chargers) must be refused here with its line, not discovered as a run that fills
// the machine's memory. Each bound sits well above the largest such thing in service, so no real
// district is refused, and well below what would exhaust a simulation.

/** Hours in a day: every hour-of-day and every duration that repeats daily. */
export const HOURS_PER_DAY = 24;
const MONTHS_PER_YEAR = 12;
/**
 * Largest power through one grid connection, kW: 10 GW. The largest generating complex in Korea
 * (Kori/Saeul nuclear, about 7.5 GW) and the largest single industrial customers (semiconductor fabs
 * at 345 kV, a few GW) stay below it. Bounds contract demand, import and export limits, loads.
 */
export const MAX_CONNECTION_KW = 10_000_000;
/** Highest AC transmission voltage in service, kV: 1,150 kV (Ekibastuz–Kokshetau line, Kazakhstan). */
export const MAX_GRID_VOLTAGE_KV = 1_150;
/**
 * Largest PV plant, kWp: 10 GWp, about three times the largest in service (Midong, Xinjiang,
 * 3.5 GWp, connected 2024).
 */
export const MAX_PV_KWP = 10_000_000;
/**
 * Largest battery energy, kWh: 10 GWh, about three times the largest in service (Edwards & Sanborn,
 * California, about 3.3 GWh in 2024).
 */
export const MAX_BATTERY_KWH = 10_000_000;
/** Largest battery power, kW: 5 GW, over six times the largest in service (Moss Landing, 750 MW). */
export const MAX_BATTERY_KW = 5_000_000;
/**
 * Largest power of one charger, kW: the Megawatt Charging System's ceiling (IEC/SAE MCS, 3,000 A at
 * 1,250 V = 3.75 MW), above any car, bus or truck charger sold.
 */
export const MAX_CHARGER_KW = 3_750;
/**
 * Most chargers in one charging asset: 10,000. The largest charging hubs in service (Shenzhen, the
 * Tesla hubs in California) have a few hundred.
 */
export const MAX_CHARGERS_PER_ASSET = 10_000;
/**
 * Most charging sessions a day at one charging asset: 100,000, ten a day at every one of the most
 * chargers an asset may have (a busy public DC charger serves about ten to twenty a day).
 */
export const MAX_EV_SESSIONS_PER_DAY = 100_000;
/** Longest stay of one session, hours: two days, for fleet cars parked over a weekend. */
export const MAX_EV_STAY_HOURS = 2 * HOURS_PER_DAY;
/**
 * Largest battery of one vehicle, kWh: 1,000 kWh, above the largest e-bus and e-truck packs sold
 * (articulated e-buses and heavy trucks carry 500–900 kWh). Bounds session energy and bus packs.
 */
export const MAX_VEHICLE_BATTERY_KWH = 1_000;
/** Most buses at one depot: 2,000, about twice the largest e-bus depots (Shenzhen) in service. */
export const MAX_BUSES_PER_DEPOT = 2_000;
/**
 * Highest e-bus consumption, kWh/km: 5, above an articulated e-bus heating in a Korean winter
 * (about 2–3 kWh/km).
 */
export const MAX_BUS_KWH_PER_KM = 5;
/**
 * Longest daily block of one bus, km: 2,000, what a bus at 80 km/h covers in a whole day with no
 * stop; city blocks are 100–300 km.
 */
export const MAX_BUS_BLOCK_KM = 2_000;
/**
 * Most GPUs in one data center: 2,000,000, about ten times the largest AI cluster in service (xAI
 * Colossus, about 200,000 GPUs in 2025). Bounds nodes, nodes × GPUs per node and job sizes.
 */
export const MAX_DATACENTER_GPUS = 2_000_000;
/** Most GPUs in one node: 72, an NVIDIA GB200 NVL72 rack sold as one unit, the largest there is. */
export const MAX_GPUS_PER_NODE = 72;
/** Largest power of one node at full load, kW: 250, about twice a GB200 NVL72 rack (about 130 kW). */
export const MAX_NODE_KW = 250;
/** Most training jobs submitted a day: 100,000, ten times a busy national AI centre's queue. */
export const MAX_TRAINING_JOBS_PER_DAY = 100_000;
/** Longest training job, hours: 180 days, longer than the largest published model trainings. */
export const MAX_TRAINING_JOB_HOURS = 180 * HOURS_PER_DAY;
/**
 * Deadline slack beyond which a job is not deferrable work but a backlog: 100 × its runtime, so a
 * deadline never lies beyond 100 × the longest job.
 */
export const MAX_DEADLINE_SLACK = 100;
/**
 * Highest PUE, 3: the worst data centers surveyed (Uptime Institute, old enterprise rooms) are about
 * 2.5; a modern AI hall is 1.1–1.5.
 */
export const MAX_PUE = 3;
/**
 * Highest annual global horizontal irradiation, kWh/m²: 3,000, above the Atacama desert (about
 * 2,900 kWh/m²·yr), the sunniest place measured.
 */
export const MAX_ANNUAL_GHI_KWH_PER_M2 = 3_000;
/** Coldest and hottest air temperatures recorded on Earth, °C: −89.2 (Vostok), 56.7 (Death Valley). */
export const MIN_AIR_TEMPERATURE_C = -89.2;
export const MAX_AIR_TEMPERATURE_C = 56.7;
/** Largest mean daily temperature swing, °C: 30, above the most continental deserts (about 25). */
export const MAX_DAILY_TEMPERATURE_RANGE_C = 30;
/**
 * Most assets in one district: 1,000. Assets are metered plants (a PV roof, a battery, a charger
 * group), not single devices; the largest industrial districts have a few hundred.
 */
export const MAX_ASSETS_PER_DISTRICT = 1_000;
/**
 * Most distinct job sizes in a data center's mix: 64. Sizes are GPU counts and the usual mix is
 * powers of two, of which there are 21 up to the most GPUs a data center may have.
 */
export const MAX_DATACENTER_JOB_SIZES = 64;
/**
 * Highest grid emission factor, kg CO₂/kWh: 1.5, above a grid run wholly on lignite (about 1.1–1.2).
 */
export const MAX_EMISSION_FACTOR_KG_PER_KWH = 1.5;
/**
 * Longest simulation, days: ten years, the warranty life of a grid battery and the longest horizon
 * a business case of one looks at.
 */
export const MAX_SIMULATION_DAYS = 3_653;

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_"');
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const hourOfDay = z.number().min(0).max(HOURS_PER_DAY);
/** A duration of at most a day, hours (layovers, spreads, standard deviations of a clock time). */
const hoursInDay = z.number().positive().max(HOURS_PER_DAY);
const connectionKw = z.number().positive().max(MAX_CONNECTION_KW);
const connectionKwOrZero = z.number().nonnegative().max(MAX_CONNECTION_KW);
const airTemperatureC = z.number().min(MIN_AIR_TEMPERATURE_C).max(MAX_AIR_TEMPERATURE_C);
const count = (max: number) => z.number().int().positive().max(max);

export const locationSchema = z.strictObject({
  latitude_deg: z.number().min(-90).max(90),
  longitude_deg: z.number().min(-180).max(180),
  altitude_m: z.number().min(-500).max(9000).default(0),
  /** KMA ASOS station number, used when importing observations. */
  kma_station: z.number().int().positive().optional(),
});

export const climateSchema = z.strictObject({
  /** Long-run global horizontal irradiation the synthetic weather is calibrated to. */
  annual_ghi_kwh_per_m2: z.number().positive().max(MAX_ANNUAL_GHI_KWH_PER_M2),
  annual_mean_temperature_c: airTemperatureC,
  january_mean_temperature_c: airTemperatureC,
  august_mean_temperature_c: airTemperatureC,
  /** Mean daily temperature swing (max − min). */
  daily_temperature_range_c: z.number().positive().max(MAX_DAILY_TEMPERATURE_RANGE_C).default(8),
  /** Months (1–12) of the summer monsoon, when cloud persistence is higher. */
  monsoon_months: z.array(z.number().int().min(1).max(MONTHS_PER_YEAR)).max(MONTHS_PER_YEAR).default([]),
});

export const weatherSourceSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('synthetic'), seed: z.number().int().default(1) }),
  z.strictObject({
    source: z.literal('kma_asos_csv'),
    /** Path relative to the scenario file. */
    path: z.string().min(1),
  }),
]);

export const tariffSchema = z.strictObject({
  /** KEPCO contract type. Only 산업용(을) has a full table; others are rejected until added. */
  plan: z.enum(['industrial_b', 'general_b']),
  voltage: z.enum(['high_a', 'high_b', 'high_c']),
  option: z.enum(['I', 'II', 'III']),
  /**
   * Which KEPCO schedule is in force is chosen by date; this pins one instead (for what-if
   * studies). Omit to follow the calendar.
   */
  schedule: z.enum(['2024-10-24', '2026-04-16']).optional(),
  climate_environment_krw_per_kwh: nonNegative,
  fuel_cost_adjustment_krw_per_kwh: z.number().min(-5).max(5),
  vat_fraction: fraction,
  power_fund_fraction: fraction,
  /** Highest 15-minute demand already set in the 12-month ratchet window before the run. */
  ratchet_history_peak_kw: connectionKwOrZero.default(0),
  /** Apply the spring/autumn weekend 11–14 h 50 % discount of the 2026 산업용(을) schedule. */
  weekend_midday_discount: z.boolean().default(true),
});

export const gridSchema = z.strictObject({
  voltage_kv: z.number().positive().max(MAX_GRID_VOLTAGE_KV),
  contract_demand_kw: connectionKw,
  import_limit_kw: connectionKw,
  export_limit_kw: connectionKwOrZero,
  tariff: tariffSchema,
  export_price: z.strictObject({
    /** Hourly SMP profile; `smp_2025` is the reference shape (mean ≈ 112 원/kWh). */
    profile: z.enum(['smp_2025']),
    scale: positive.default(1),
  }),
  /**
   * Import price series (`time,value` CSV, path relative to this file, local time in the district's
   * zone; value 원/kWh before VAT and fund) replacing the tariff's energy charge and adders, for
   * dynamic or site-specific prices (docs/optimizer.md, Series). The demand charge stays the tariff's.
   */
  import_price_krw_per_kwh_csv: z.string().min(1).optional(),
  /** Export price series (same form, 원/kWh) replacing `export_price`. */
  export_price_krw_per_kwh_csv: z.string().min(1).optional(),
  emission_factor_kg_per_kwh: z.number().positive().max(MAX_EMISSION_FACTOR_KG_PER_KWH),
  /** Year the emission factor refers to, so reports can say which one was used. */
  emission_factor_year: z.number().int().min(2000).max(2100),
});

const pvAsset = z.strictObject({
  id,
  type: z.literal('pv'),
  capacity_kwp: z.number().positive().max(MAX_PV_KWP),
  tilt_deg: z.number().min(0).max(90),
  /** Degrees clockwise from north: 180 = south. */
  azimuth_deg: z.number().min(0).max(360).default(180),
  /** AC rating of the inverters; output is clipped here. Defaults to the DC rating. */
  inverter_kw: z.number().positive().max(MAX_PV_KWP).optional(),
  /** Power temperature coefficient, per °C above 25 °C cell temperature (negative). */
  temperature_coefficient_per_c: z.number().min(-0.01).max(0).default(-0.0037),
  /** Losses other than temperature and inverter: soiling, wiring, mismatch. */
  system_loss_fraction: fraction.default(0.1),
  inverter_efficiency: fraction.default(0.97),
  /**
   * Measured power (`timestamp,power_kw`, path relative to this file) replacing the modelled one;
   * resampling rule in docs/simulation.md (Measured inputs).
   */
  measured_csv: z.string().min(1).optional(),
});

const batteryAsset = z.strictObject({
  id,
  type: z.literal('battery'),
  capacity_kwh: z.number().positive().max(MAX_BATTERY_KWH),
  max_charge_kw: z.number().positive().max(MAX_BATTERY_KW),
  max_discharge_kw: z.number().positive().max(MAX_BATTERY_KW),
  round_trip_efficiency: z.number().gt(0).max(1),
  soc_min: fraction,
  soc_max: fraction,
  soc_initial: fraction,
  degradation_cost_krw_per_kwh: nonNegative,
  /**
   * SoC the optimizer must leave at the end of every horizon it plans (an EMHASS-style end target);
   * a shortfall it cannot avoid is paid at the unmet-energy penalty. Omitted: no target.
   */
  soc_target_end: fraction.optional(),
});

const evChargersAsset = z.strictObject({
  id,
  type: z.literal('ev_chargers'),
  chargers: z
    .array(
      z.strictObject({
        kind: z.enum(['ac', 'dc']),
        count: count(MAX_CHARGERS_PER_ASSET),
        max_power_kw: z.number().positive().max(MAX_CHARGER_KW),
        protocol: z.enum(['ocpp16j', 'ocpp201']),
        v2g: z.boolean().default(false),
      }),
    )
    .min(1),
  /** A session log (CSV, path relative to this file) replacing the seeded sessions (docs/simulation.md). */
  session_log: z.string().min(1).optional(),
  sessions: z.strictObject({
    weekday_sessions: z.number().nonnegative().max(MAX_EV_SESSIONS_PER_DAY),
    weekend_sessions: z.number().nonnegative().max(MAX_EV_SESSIONS_PER_DAY).default(0),
    arrival_hour_mean: hourOfDay,
    arrival_hour_sd: z.number().nonnegative().max(HOURS_PER_DAY),
    departure_hour_mean: hourOfDay,
    departure_hour_sd: z.number().nonnegative().max(HOURS_PER_DAY),
    energy_kwh_min: z.number().positive().max(MAX_VEHICLE_BATTERY_KWH),
    energy_kwh_max: z.number().positive().max(MAX_VEHICLE_BATTERY_KWH),
    /** Share of sessions whose car and charger allow discharge. */
    v2g_fraction: fraction.default(0),
    /** Share of sessions that want a DC charger. */
    dc_fraction: fraction.default(0),
    /** Visitors: short sessions arriving through the working day instead of the morning commute. */
    short_stay_fraction: fraction.default(0),
    short_stay_hours_min: z.number().positive().max(MAX_EV_STAY_HOURS).default(1),
    short_stay_hours_max: z.number().positive().max(MAX_EV_STAY_HOURS).default(3),
    short_stay_arrival_hours: z.tuple([hourOfDay, hourOfDay]).default([9, 16]),
    seed: z.number().int().default(7),
  }),
});

const busDepotAsset = z.strictObject({
  id,
  type: z.literal('bus_depot'),
  buses: count(MAX_BUSES_PER_DEPOT),
  battery_kwh: z.number().positive().max(MAX_VEHICLE_BATTERY_KWH),
  consumption_kwh_per_km: z.number().positive().max(MAX_BUS_KWH_PER_KM),
  chargers: count(MAX_BUSES_PER_DEPOT),
  charger_kw: z.number().positive().max(MAX_CHARGER_KW),
  v2g_chargers: z.number().int().nonnegative().max(MAX_BUSES_PER_DEPOT).default(0),
  charging_efficiency: z.number().gt(0).max(1).default(0.95),
  soc_min: fraction.default(0.15),
  soc_max: fraction.default(0.95),
  pull_out_soc_min: fraction,
  /** The depot's blocks (CSV, path relative to this file) replacing the modelled timetable (docs/simulation.md). */
  blocks_csv: z.string().min(1).optional(),
  timetable: z.strictObject({
    first_pull_out_hour: hourOfDay,
    last_return_hour: hourOfDay,
    /** Kilometres each bus drives in its morning and afternoon blocks. */
    morning_block_km: z.number().positive().max(MAX_BUS_BLOCK_KM),
    afternoon_block_km: z.number().positive().max(MAX_BUS_BLOCK_KM),
    /** Midday layover at the depot, for a top-up. */
    midday_layover_hours: hoursInDay,
    /** Pull-outs are spread over this many hours so not every bus leaves at once. */
    pull_out_spread_hours: z.number().nonnegative().max(HOURS_PER_DAY),
    weekend_service_fraction: fraction.default(0.7),
    seed: z.number().int().default(11),
  }),
});

const datacenterAsset = z.strictObject({
  id,
  type: z.literal('datacenter'),
  nodes: count(MAX_DATACENTER_GPUS),
  gpus_per_node: count(MAX_GPUS_PER_NODE),
  node_full_kw: z.number().positive().max(MAX_NODE_KW),
  node_idle_kw: z.number().nonnegative().max(MAX_NODE_KW),
  /** PUE at and below the cold temperature, rising linearly to the hot one. */
  pue_cold: z.number().min(1).max(MAX_PUE),
  pue_hot: z.number().min(1).max(MAX_PUE),
  pue_cold_temperature_c: airTemperatureC,
  pue_hot_temperature_c: airTemperatureC,
  gpu_power_cap_min: z.number().gt(0).max(1),
  /** Throughput at power cap c is c^exponent of full speed (concave for exponent < 1). */
  throughput_exponent: z.number().gt(0).max(1),
  /** A training-job trace (CSV, path relative to this file) replacing the seeded jobs (docs/simulation.md). */
  job_trace: z.string().min(1).optional(),
  inference: z.strictObject({
    gpu_fraction: fraction,
    peak_start_hour: hourOfDay,
    peak_end_hour: hourOfDay,
    peak_utilisation: fraction,
    off_peak_utilisation: fraction,
  }),
  training: z.strictObject({
    gpu_fraction: fraction,
    /** New jobs submitted per day. */
    jobs_per_day: z.number().positive().max(MAX_TRAINING_JOBS_PER_DAY),
    job_gpus: z.array(count(MAX_DATACENTER_GPUS)).min(1).max(MAX_DATACENTER_JOB_SIZES),
    job_hours_min: z.number().positive().max(MAX_TRAINING_JOB_HOURS),
    job_hours_max: z.number().positive().max(MAX_TRAINING_JOB_HOURS),
    /** Deadline = submission + runtime × slack, so a job can wait or slow down this much. */
    deadline_slack_min: z.number().min(1).max(MAX_DEADLINE_SLACK),
    deadline_slack_max: z.number().min(1).max(MAX_DEADLINE_SLACK),
    seed: z.number().int().default(13),
  }),
});

const loadAsset = z.strictObject({
  id,
  type: z.literal('load'),
  profile: z.enum(['factory', 'office']),
  base_kw: connectionKwOrZero,
  peak_kw: connectionKw,
  /** Hours the load is at work, per day kind: [start, end) in local time. */
  weekday_hours: z.tuple([hourOfDay, hourOfDay]),
  saturday_hours: z.tuple([hourOfDay, hourOfDay]).nullable().default(null),
  /** Extra kW per °C above the cooling threshold and below the heating one. */
  cooling_kw_per_c: connectionKwOrZero.default(0),
  heating_kw_per_c: connectionKwOrZero.default(0),
  cooling_threshold_c: airTemperatureC.default(22),
  heating_threshold_c: airTemperatureC.default(12),
  /** Random variation of the load around its profile (standard deviation, fraction). */
  noise_fraction: fraction.default(0.03),
  seed: z.number().int().default(17),
  /**
   * Measured power (`timestamp,power_kw`, path relative to this file) replacing the modelled one;
   * resampling rule in docs/simulation.md (Measured inputs).
   */
  measured_csv: z.string().min(1).optional(),
});

/**
 * Most allowed windows a day of one deferrable load: 24, one an hour. Appliances and process loads
 * have one or two (a night window, a midday PV window); more is a mistyped list.
 */
export const MAX_DEFERRABLE_WINDOWS_PER_DAY = HOURS_PER_DAY;

const deferrableLoadAsset = z.strictObject({
  id,
  type: z.literal('deferrable_load'),
  /** Power when running, kW (a semi-continuous load runs at exactly this, a continuous one up to it). */
  nominal_kw: connectionKw,
  /** Energy each window must deliver, kWh; or give `operating_hours` at nominal power instead. */
  energy_kwh: positive.optional(),
  operating_hours: hoursInDay.optional(),
  /**
   * Daily windows it may run in, [start, end) hours of local time; end ≤ start crosses midnight
   * (e.g. [22, 6]). The energy is owed per window and per day.
   */
  windows: z
    .array(z.tuple([hourOfDay, hourOfDay]))
    .min(1)
    .max(MAX_DEFERRABLE_WINDOWS_PER_DAY),
  /** Once started it runs at least this long, hours (a wash cycle, a process batch). */
  min_on_hours: z.number().nonnegative().max(HOURS_PER_DAY).default(0),
  /** Once stopped it stays off at least this long, hours (a compressor's rest). */
  min_off_hours: z.number().nonnegative().max(HOURS_PER_DAY).default(0),
  /** Cost of each start, 원 (wear, a crew's call-out). */
  start_cost_krw: nonNegative.default(0),
  /** On at nominal power or off (binaries); false: any power between 0 and nominal. */
  semi_continuous: z.boolean().default(true),
});

export const assetSchema = z.discriminatedUnion('type', [
  pvAsset,
  batteryAsset,
  evChargersAsset,
  busDepotAsset,
  datacenterAsset,
  loadAsset,
  deferrableLoadAsset,
]);

export const siteSchema = z.strictObject({
  id,
  name: z.string().min(1),
  assets: z.array(assetSchema).min(1).max(MAX_ASSETS_PER_DISTRICT),
});

export const contractsSchema = z.strictObject({
  ppa: z
    .strictObject({
      capacity_kwp: z.number().positive().max(MAX_PV_KWP),
      latitude_deg: z.number().min(-90).max(90),
      longitude_deg: z.number().min(-180).max(180),
      tilt_deg: z.number().min(0).max(90),
      price_krw_per_kwh: nonNegative,
    })
    .optional(),
  certificates: z
    .strictObject({
      /** Share of annual consumption covered by green premium and RECs (annual matching only). */
      annual_share: fraction,
      price_krw_per_mwh: nonNegative,
    })
    .optional(),
});

export const strategyParamsSchema = z.strictObject({
  rules: z
    .strictObject({
      /** Import level the battery defends in demand-charge hours (peak shaving). */
      peak_shaving_threshold_kw: connectionKw,
      /** SoC the battery charges to from the grid in light-load hours (time-of-use arbitrage). */
      tou_charge_target_soc: fraction,
      /** SoC kept in reserve for peak shaving when discharging for arbitrage or self-consumption. */
      peak_reserve_soc: fraction,
      /** Hours of margin an EV or bus keeps before departure when spreading its charging. */
      departure_margin_hours: z.number().nonnegative().max(HOURS_PER_DAY).default(0.5),
    })
    .optional(),
});

/** A problem with one asset of a district file, its path relative to the asset. */
interface AssetIssue {
  path: (string | number)[];
  message: string;
}

/** A min/max (or start/end) pair in order, else the issue at `loPath`; `strict` when the two may not be equal. */
function orderIssue(
  lo: number,
  hi: number,
  loPath: (string | number)[],
  loName: string,
  hiName: string,
  strict = false,
): AssetIssue[] {
  if (strict ? lo < hi : lo <= hi) return [];
  return [
    { path: loPath, message: `${loName} (${lo}) must be ${strict ? 'below' : 'at most'} ${hiName} (${hi})` },
  ];
}

function batteryIssues(a: AssetOf<'battery'>): AssetIssue[] {
  const out: AssetIssue[] = [];
  if (a.soc_min >= a.soc_max) out.push({ path: ['soc_min'], message: 'must be below soc_max' });
  if (a.soc_initial < a.soc_min || a.soc_initial > a.soc_max)
    out.push({ path: ['soc_initial'], message: 'must lie between soc_min and soc_max' });
  if (a.soc_target_end !== undefined)
    out.push(
      ...orderIssue(a.soc_min, a.soc_target_end, ['soc_target_end'], 'soc_min', 'soc_target_end'),
      ...orderIssue(a.soc_target_end, a.soc_max, ['soc_target_end'], 'soc_target_end', 'soc_max'),
    );
  return out;
}

function evChargerIssues(a: AssetOf<'ev_chargers'>): AssetIssue[] {
  const ss = a.sessions;
  const out: AssetIssue[] = [];
  if (ss.energy_kwh_min > ss.energy_kwh_max)
    out.push({ path: ['sessions', 'energy_kwh_min'], message: 'must not exceed energy_kwh_max' });
  out.push(
    ...orderIssue(
      ss.short_stay_hours_min,
      ss.short_stay_hours_max,
      ['sessions', 'short_stay_hours_min'],
      'short_stay_hours_min',
      'short_stay_hours_max',
    ),
    ...orderIssue(
      ss.short_stay_arrival_hours[0],
      ss.short_stay_arrival_hours[1],
      ['sessions', 'short_stay_arrival_hours'],
      'first arrival hour',
      'last arrival hour',
    ),
  );
  const chargers = a.chargers.reduce((n, c) => n + c.count, 0);
  if (chargers > MAX_CHARGERS_PER_ASSET)
    out.push({
      path: ['chargers'],
      message: `${chargers} chargers in all; at most ${MAX_CHARGERS_PER_ASSET} in one asset`,
    });
  return out;
}

function busDepotIssues(a: AssetOf<'bus_depot'>): AssetIssue[] {
  const out = [
    ...orderIssue(a.soc_min, a.soc_max, ['soc_min'], 'soc_min', 'soc_max', true),
    ...orderIssue(a.pull_out_soc_min, a.soc_max, ['pull_out_soc_min'], 'pull_out_soc_min', 'soc_max'),
    ...orderIssue(
      a.timetable.first_pull_out_hour,
      a.timetable.last_return_hour,
      ['timetable', 'first_pull_out_hour'],
      'first_pull_out_hour',
      'last_return_hour',
      true,
    ),
  ];
  if (a.v2g_chargers > a.chargers) out.push({ path: ['v2g_chargers'], message: 'must not exceed chargers' });
  return out;
}

function datacenterIssues(a: AssetOf<'datacenter'>): AssetIssue[] {
  const out = [
    ...orderIssue(a.pue_cold, a.pue_hot, ['pue_cold'], 'pue_cold', 'pue_hot'),
    ...orderIssue(
      a.pue_cold_temperature_c,
      a.pue_hot_temperature_c,
      ['pue_cold_temperature_c'],
      'pue_cold_temperature_c',
      'pue_hot_temperature_c',
    ),
    ...orderIssue(
      a.inference.peak_start_hour,
      a.inference.peak_end_hour,
      ['inference', 'peak_start_hour'],
      'peak_start_hour',
      'peak_end_hour',
    ),
    ...orderIssue(
      a.inference.off_peak_utilisation,
      a.inference.peak_utilisation,
      ['inference', 'off_peak_utilisation'],
      'off_peak_utilisation',
      'peak_utilisation',
    ),
    ...orderIssue(
      a.training.job_hours_min,
      a.training.job_hours_max,
      ['training', 'job_hours_min'],
      'job_hours_min',
      'job_hours_max',
    ),
    ...orderIssue(
      a.training.deadline_slack_min,
      a.training.deadline_slack_max,
      ['training', 'deadline_slack_min'],
      'deadline_slack_min',
      'deadline_slack_max',
    ),
  ];
  const gpus = a.nodes * a.gpus_per_node;
  if (gpus > MAX_DATACENTER_GPUS)
    out.push({
      path: ['nodes'],
      message: `${a.nodes} nodes × ${a.gpus_per_node} GPUs = ${gpus} GPUs; at most ${MAX_DATACENTER_GPUS} in one data center`,
    });
  if (a.node_idle_kw > a.node_full_kw)
    out.push({ path: ['node_idle_kw'], message: 'must not exceed node_full_kw' });
  return out;
}

function loadIssues(a: AssetOf<'load'>): AssetIssue[] {
  return [
    ...orderIssue(a.base_kw, a.peak_kw, ['base_kw'], 'base_kw', 'peak_kw'),
    ...orderIssue(a.weekday_hours[0], a.weekday_hours[1], ['weekday_hours'], 'start hour', 'end hour'),
    ...(a.saturday_hours
      ? orderIssue(a.saturday_hours[0], a.saturday_hours[1], ['saturday_hours'], 'start hour', 'end hour')
      : []),
    ...orderIssue(
      a.heating_threshold_c,
      a.cooling_threshold_c,
      ['heating_threshold_c'],
      'heating_threshold_c',
      'cooling_threshold_c',
    ),
  ];
}

/** What the field schemas cannot check of one asset: pairs in order, totals within limits. */
function assetIssues(a: Asset): AssetIssue[] {
  switch (a.type) {
    case 'battery':
      return batteryIssues(a);
    case 'ev_chargers':
      return evChargerIssues(a);
    case 'bus_depot':
      return busDepotIssues(a);
    case 'datacenter':
      return datacenterIssues(a);
    case 'load':
      return loadIssues(a);
    case 'deferrable_load':
      return deferrableLoadIssues(a);
    default:
      return [];
  }
}

/** Asset ids unique across the district, site ids unique, and the asset total within its limit. */
function addDistrictIssues(s: { sites: { id: string; assets: Asset[] }[] }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  s.sites.forEach((site, si) => {
    site.assets.forEach((a, ai) => {
      const at = ['sites', si, 'assets', ai];
      if (seen.has(a.id)) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'id'],
          message: `duplicate asset id "${a.id}" (also at ${seen.get(a.id)})`,
        });
      } else seen.set(a.id, `sites[${si}].assets[${ai}]`);
      for (const issue of assetIssues(a))
        ctx.addIssue({ code: 'custom', ...issue, path: [...at, ...issue.path] });
    });
  });
  const assets = s.sites.reduce((n, site) => n + site.assets.length, 0);
  if (assets > MAX_ASSETS_PER_DISTRICT)
    ctx.addIssue({
      code: 'custom',
      path: ['sites'],
      message: `${assets} assets in all; at most ${MAX_ASSETS_PER_DISTRICT} in one district`,
    });
  const siteIds = new Set<string>();
  s.sites.forEach((site, si) => {
    if (siteIds.has(site.id))
      ctx.addIssue({
        code: 'custom',
        path: ['sites', si, 'id'],
        message: `duplicate site id "${site.id}"`,
      });
    siteIds.add(site.id);
  });
}

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    timezone: z.string().min(1),
    interval_minutes: z
      .number()
      .int()
      .refine((m) => [5, 10, 15, 30, 60].includes(m), {
        message: 'must be one of 5, 10, 15, 30, 60',
      }),
    /** First day simulated when the command line gives none (YYYY-MM-DD, local time). */
    default_start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
    location: locationSchema,
    climate: climateSchema,
    weather: weatherSourceSchema,
    /** Public holidays beyond the national calendar (election days, company holidays). */
    extra_holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')).default([]),
    grid: gridSchema,
    contracts: contractsSchema.default({}),
    sites: z.array(siteSchema).min(1).max(MAX_ASSETS_PER_DISTRICT),
    strategies: strategyParamsSchema.default({}),
    /**
     * Devices Bitgrid talks to (`bitgrid serve`), each checked against its driver type's schema by
     * the driver registry (src/drivers): `{ id, type, asset?, … }`.
     */
    devices: z.array(z.looseObject({ id: z.string().min(1), type: z.string().min(1) })).default([]),
  })
  .superRefine((s, ctx) => {
    if (!isValidTimeZone(s.timezone)) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown IANA time zone "${s.timezone}"` });
    }
    addDistrictIssues(s, ctx);
  });

/** Window length, hours, of a daily [start, end) window; end ≤ start crosses midnight. */
export function windowHours(w: readonly [number, number]): number {
  return w[1] > w[0] ? w[1] - w[0] : w[1] + HOURS_PER_DAY - w[0];
}

/** Energy a deferrable load owes each window, kWh (`energy_kwh`, or its hours at nominal power). */
export function deferrableEnergyKwh(a: {
  nominal_kw: number;
  energy_kwh?: number;
  operating_hours?: number;
}): number {
  return a.energy_kwh ?? (a.operating_hours ?? 0) * a.nominal_kw;
}

/** What is wrong with a deferrable load's settings that the field types cannot say. */
function deferrableLoadIssues(
  a: z.infer<typeof deferrableLoadAsset>,
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if ((a.energy_kwh === undefined) === (a.operating_hours === undefined))
    out.push({ path: ['energy_kwh'], message: 'give exactly one of energy_kwh and operating_hours' });
  const energyKwh = deferrableEnergyKwh(a);
  // Windows as minute ranges on a 48-hour line, so one that crosses midnight is one range.
  const ranges: [number, number, number][] = [];
  a.windows.forEach((w, wi) => {
    if (w[0] === w[1])
      out.push({
        path: ['windows', wi],
        message: `window [${w[0]}, ${w[1]}] is empty; give [0, 24] for the whole day`,
      });
    const hours = windowHours(w);
    if (energyKwh > a.nominal_kw * hours + 1e-9)
      out.push({
        path: ['windows', wi],
        message: `${energyKwh} kWh cannot be delivered at ${a.nominal_kw} kW in the ${hours} h of window [${w[0]}, ${w[1]}]`,
      });
    if (a.min_on_hours > hours)
      out.push({
        path: ['min_on_hours'],
        message: `min_on_hours (${a.min_on_hours}) is longer than window [${w[0]}, ${w[1]}] (${hours} h)`,
      });
    ranges.push([w[0], w[0] + hours, wi]);
    ranges.push([w[0] + HOURS_PER_DAY, w[0] + HOURS_PER_DAY + hours, wi]);
  });
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i][0] < ranges[i - 1][1] && ranges[i][2] !== ranges[i - 1][2]) {
      out.push({ path: ['windows', ranges[i][2]], message: 'windows overlap; join them into one' });
      break;
    }
  // A semi-continuous run lasts at least min_on_hours at nominal power: if that already exceeds the
  // window's energy, every run overshoots it.
  if (a.semi_continuous && a.nominal_kw * a.min_on_hours > energyKwh + 1e-9)
    out.push({
      path: ['min_on_hours'],
      message: `a run of min_on_hours (${a.min_on_hours} h) at ${a.nominal_kw} kW exceeds the ${energyKwh} kWh owed per window`,
    });
  return out;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type Scenario = z.infer<typeof scenarioSchema>;
export type Asset = z.infer<typeof assetSchema>;
export type AssetOf<T extends Asset['type']> = Extract<Asset, { type: T }>;
export type Site = z.infer<typeof siteSchema>;
export type GridConfig = z.infer<typeof gridSchema>;
export type TariffConfig = z.infer<typeof tariffSchema>;
export type Location = z.infer<typeof locationSchema>;
export type Climate = z.infer<typeof climateSchema>;
export type Contracts = z.infer<typeof contractsSchema>;
export type StrategyParams = z.infer<typeof strategyParamsSchema>;

/** The asset id of the district's grid connection meter (import positive). */
export const GRID_ASSET_ID = 'grid';
