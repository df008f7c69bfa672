import { z } from 'zod';

// The district configuration file. Field names carry their unit; every object is strict so an
// unknown (usually misspelt) key is an error rather than a silently ignored setting.

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_"');
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const hourOfDay = z.number().min(0).max(24);

export const locationSchema = z.strictObject({
  latitude_deg: z.number().min(-90).max(90),
  longitude_deg: z.number().min(-180).max(180),
  altitude_m: z.number().min(-500).max(9000).default(0),
  /** KMA ASOS station number, used when importing observations. */
  kma_station: z.number().int().positive().optional(),
});

export const climateSchema = z.strictObject({
  /** Long-run global horizontal irradiation the synthetic weather is calibrated to. */
  annual_ghi_kwh_per_m2: positive,
  annual_mean_temperature_c: z.number(),
  january_mean_temperature_c: z.number(),
  august_mean_temperature_c: z.number(),
  /** Mean daily temperature swing (max − min). */
  daily_temperature_range_c: positive.default(8),
  /** Months (1–12) of the summer monsoon, when cloud persistence is higher. */
  monsoon_months: z.array(z.number().int().min(1).max(12)).default([]),
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
  ratchet_history_peak_kw: nonNegative.default(0),
  /** Apply the spring/autumn weekend 11–14 h 50 % discount of the 2026 산업용(을) schedule. */
  weekend_midday_discount: z.boolean().default(true),
});

export const gridSchema = z.strictObject({
  voltage_kv: positive,
  contract_demand_kw: positive,
  import_limit_kw: positive,
  export_limit_kw: nonNegative,
  tariff: tariffSchema,
  export_price: z.strictObject({
    /** Hourly SMP profile; `smp_2025` is the reference shape (mean ≈ 112 원/kWh). */
    profile: z.enum(['smp_2025']),
    scale: positive.default(1),
  }),
  emission_factor_kg_per_kwh: positive,
  /** Year the emission factor refers to, so reports can say which one was used. */
  emission_factor_year: z.number().int().min(2000).max(2100),
});

const pvAsset = z.strictObject({
  id,
  type: z.literal('pv'),
  capacity_kwp: positive,
  tilt_deg: z.number().min(0).max(90),
  /** Degrees clockwise from north: 180 = south. */
  azimuth_deg: z.number().min(0).max(360).default(180),
  /** AC rating of the inverters; output is clipped here. Defaults to the DC rating. */
  inverter_kw: positive.optional(),
  /** Power temperature coefficient, per °C above 25 °C cell temperature (negative). */
  temperature_coefficient_per_c: z.number().min(-0.01).max(0).default(-0.0037),
  /** Losses other than temperature and inverter: soiling, wiring, mismatch. */
  system_loss_fraction: fraction.default(0.1),
  inverter_efficiency: fraction.default(0.97),
});

const batteryAsset = z.strictObject({
  id,
  type: z.literal('battery'),
  capacity_kwh: positive,
  max_charge_kw: positive,
  max_discharge_kw: positive,
  round_trip_efficiency: z.number().gt(0).max(1),
  soc_min: fraction,
  soc_max: fraction,
  soc_initial: fraction,
  degradation_cost_krw_per_kwh: nonNegative,
});

const evChargersAsset = z.strictObject({
  id,
  type: z.literal('ev_chargers'),
  chargers: z
    .array(
      z.strictObject({
        kind: z.enum(['ac', 'dc']),
        count: z.number().int().positive(),
        max_power_kw: positive,
        protocol: z.enum(['ocpp16j', 'ocpp201']),
        v2g: z.boolean().default(false),
      }),
    )
    .min(1),
  sessions: z.strictObject({
    weekday_sessions: nonNegative,
    weekend_sessions: nonNegative.default(0),
    arrival_hour_mean: hourOfDay,
    arrival_hour_sd: nonNegative,
    departure_hour_mean: hourOfDay,
    departure_hour_sd: nonNegative,
    energy_kwh_min: positive,
    energy_kwh_max: positive,
    /** Share of sessions whose car and charger allow discharge. */
    v2g_fraction: fraction.default(0),
    /** Share of sessions that want a DC charger. */
    dc_fraction: fraction.default(0),
    /** Visitors: short sessions arriving through the working day instead of the morning commute. */
    short_stay_fraction: fraction.default(0),
    short_stay_hours_min: positive.default(1),
    short_stay_hours_max: positive.default(3),
    short_stay_arrival_hours: z.tuple([hourOfDay, hourOfDay]).default([9, 16]),
    seed: z.number().int().default(7),
  }),
});

const busDepotAsset = z.strictObject({
  id,
  type: z.literal('bus_depot'),
  buses: z.number().int().positive(),
  battery_kwh: positive,
  consumption_kwh_per_km: positive,
  chargers: z.number().int().positive(),
  charger_kw: positive,
  v2g_chargers: z.number().int().nonnegative().default(0),
  charging_efficiency: z.number().gt(0).max(1).default(0.95),
  soc_min: fraction.default(0.15),
  soc_max: fraction.default(0.95),
  pull_out_soc_min: fraction,
  timetable: z.strictObject({
    first_pull_out_hour: hourOfDay,
    last_return_hour: hourOfDay,
    /** Kilometres each bus drives in its morning and afternoon blocks. */
    morning_block_km: positive,
    afternoon_block_km: positive,
    /** Midday layover at the depot, for a top-up. */
    midday_layover_hours: positive,
    /** Pull-outs are spread over this many hours so not every bus leaves at once. */
    pull_out_spread_hours: nonNegative,
    weekend_service_fraction: fraction.default(0.7),
    seed: z.number().int().default(11),
  }),
});

const datacenterAsset = z.strictObject({
  id,
  type: z.literal('datacenter'),
  nodes: z.number().int().positive(),
  gpus_per_node: z.number().int().positive(),
  node_full_kw: positive,
  node_idle_kw: nonNegative,
  /** PUE at and below the cold temperature, rising linearly to the hot one. */
  pue_cold: z.number().min(1),
  pue_hot: z.number().min(1),
  pue_cold_temperature_c: z.number(),
  pue_hot_temperature_c: z.number(),
  gpu_power_cap_min: z.number().gt(0).max(1),
  /** Throughput at power cap c is c^exponent of full speed (concave for exponent < 1). */
  throughput_exponent: z.number().gt(0).max(1),
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
    jobs_per_day: positive,
    job_gpus: z.array(z.number().int().positive()).min(1),
    job_hours_min: positive,
    job_hours_max: positive,
    /** Deadline = submission + runtime × slack, so a job can wait or slow down this much. */
    deadline_slack_min: z.number().min(1),
    deadline_slack_max: z.number().min(1),
    seed: z.number().int().default(13),
  }),
});

const loadAsset = z.strictObject({
  id,
  type: z.literal('load'),
  profile: z.enum(['factory', 'office']),
  base_kw: nonNegative,
  peak_kw: positive,
  /** Hours the load is at work, per day kind: [start, end) in local time. */
  weekday_hours: z.tuple([hourOfDay, hourOfDay]),
  saturday_hours: z.tuple([hourOfDay, hourOfDay]).nullable().default(null),
  /** Extra kW per °C above the cooling threshold and below the heating one. */
  cooling_kw_per_c: nonNegative.default(0),
  heating_kw_per_c: nonNegative.default(0),
  cooling_threshold_c: z.number().default(22),
  heating_threshold_c: z.number().default(12),
  /** Random variation of the load around its profile (standard deviation, fraction). */
  noise_fraction: fraction.default(0.03),
  seed: z.number().int().default(17),
});

export const assetSchema = z.discriminatedUnion('type', [
  pvAsset,
  batteryAsset,
  evChargersAsset,
  busDepotAsset,
  datacenterAsset,
  loadAsset,
]);

export const siteSchema = z.strictObject({
  id,
  name: z.string().min(1),
  assets: z.array(assetSchema).min(1),
});

export const contractsSchema = z.strictObject({
  ppa: z
    .strictObject({
      capacity_kwp: positive,
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
      peak_shaving_threshold_kw: positive,
      /** SoC the battery charges to from the grid in light-load hours (time-of-use arbitrage). */
      tou_charge_target_soc: fraction,
      /** SoC kept in reserve for peak shaving when discharging for arbitrage or self-consumption. */
      peak_reserve_soc: fraction,
      /** Hours of margin an EV or bus keeps before departure when spreading its charging. */
      departure_margin_hours: nonNegative.default(0.5),
    })
    .optional(),
});

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
    sites: z.array(siteSchema).min(1),
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
    const seen = new Map<string, string>();
    s.sites.forEach((site, si) => {
      site.assets.forEach((a, ai) => {
        const path = ['sites', si, 'assets', ai, 'id'];
        if (seen.has(a.id)) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `duplicate asset id "${a.id}" (also at ${seen.get(a.id)})`,
          });
        } else seen.set(a.id, `sites[${si}].assets[${ai}]`);
        if (a.type === 'battery') {
          if (a.soc_min >= a.soc_max)
            ctx.addIssue({
              code: 'custom',
              path: ['sites', si, 'assets', ai, 'soc_min'],
              message: 'must be below soc_max',
            });
          if (a.soc_initial < a.soc_min || a.soc_initial > a.soc_max)
            ctx.addIssue({
              code: 'custom',
              path: ['sites', si, 'assets', ai, 'soc_initial'],
              message: 'must lie between soc_min and soc_max',
            });
        }
        if (a.type === 'ev_chargers' && a.sessions.energy_kwh_min > a.sessions.energy_kwh_max)
          ctx.addIssue({
            code: 'custom',
            path: ['sites', si, 'assets', ai, 'sessions', 'energy_kwh_min'],
            message: 'must not exceed energy_kwh_max',
          });
        if (a.type === 'datacenter' && a.node_idle_kw > a.node_full_kw)
          ctx.addIssue({
            code: 'custom',
            path: ['sites', si, 'assets', ai, 'node_idle_kw'],
            message: 'must not exceed node_full_kw',
          });
        if (a.type === 'bus_depot' && a.v2g_chargers > a.chargers)
          ctx.addIssue({
            code: 'custom',
            path: ['sites', si, 'assets', ai, 'v2g_chargers'],
            message: 'must not exceed chargers',
          });
      });
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
  });

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
