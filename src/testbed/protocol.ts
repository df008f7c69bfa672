// The controller interface for outside controllers, version 1: what a controller is told each
// interval (Observation) and what it answers (Action). The same two documents travel to an ES module
// in a worker thread (`decide(observation)`) and, as JSON, to a controller behind HTTP. The JSON
// Schemas of both live in schema.ts; docs/testbed.md describes every field.
//
// Units are in every name, as everywhere in Bitgrid (docs/conventions.md); times are ISO 8601 with
// the district's offset; signs: battery discharge +, charging of EVs and buses +.

/** Sent in every observation; a controller may check it and refuse what it does not know. */
export const PROTOCOL_VERSION = 'bitgrid.controller/1';

export interface ForecastSeries {
  /** The asset it forecasts. */
  id: string;
  /** One value per interval from `forecasts.start`, kW. */
  p10Kw: number[];
  p50Kw: number[];
  p90Kw: number[];
}

export interface GridSignalObservation {
  /** As OpenADR gives them (src/drivers/types.ts GridSignal kinds). */
  kind:
    | 'price_krw_per_kwh'
    | 'export_price_krw_per_kwh'
    | 'ghg_kg_per_kwh'
    | 'import_limit_kw'
    | 'export_limit_kw'
    | 'import_target_kw'
    | 'shed_kw';
  start: string;
  end: string;
  value: number;
  source: string;
}

export interface Observation {
  protocol: typeof PROTOCOL_VERSION;
  district: { name: string; timezone: string };
  time: {
    /** Start of the interval to decide for. */
    start: string;
    intervalMinutes: number;
    /** Local calendar of `start`: hour 0–24 (fractional), ISO weekday 1 = Monday … 7 = Sunday. */
    localHour: number;
    weekday: number;
    localDate: string;
  };
  prices: {
    /** From `start`, one value per interval (the tariff is known ahead), up to `ahead.steps`. */
    steps: number;
    importKrwPerKwh: number[];
    exportKrwPerKwh: number[];
    /** KEPCO time-of-use band per interval. */
    band: ('light' | 'mid' | 'peak')[];
    /** 1 where a 15-minute import average can set the month's maximum demand. */
    countsForDemand: (0 | 1)[];
    /** What one more kW of billing demand set in that interval costs over the 12-month ratchet, KRW/kW. */
    peakCostKrwPerKw: number[];
  };
  grid: {
    importLimitKw: number;
    exportLimitKw: number;
    contractDemandKw: number;
    /** Highest 15-minute import in demand-charge hours this month so far, kW. */
    monthPeakImportKw: number;
    /** Billing demand already in force (12-month ratchet and this month), kW. */
    billingDemandKw: number;
    emissionFactorKgPerKwh: number;
  };
  forecasts: {
    /** First interval of every series: the interval after `time.start` (this one is measured). */
    start: string;
    intervalMinutes: number;
    /** Which forecaster issued them (learned, or persistence where it cannot be trained). */
    model: string;
    pv: ForecastSeries[];
    /** The uncontrolled loads together, under id `fixed_load`. */
    loads: ForecastSeries[];
  };
  pv: { id: string; availableKw: number; ratingKw: number }[];
  /** Uncontrolled loads (buildings, factories) now, kW. */
  fixedLoadKw: number;
  batteries: {
    id: string;
    socKwh: number;
    capacityKwh: number;
    socMin: number;
    socMax: number;
    roundTripEfficiency: number;
    /** What it can do this interval (power rating and SoC bounds together), kW. */
    maxChargeKw: number;
    maxDischargeKw: number;
  }[];
  evSessions: {
    id: string;
    assetId: string;
    arrival: string;
    /** null when the driver did not say (an unannounced session): the controller must guess. */
    departure: string | null;
    energyRequestKwh: number | null;
    deliveredKwh: number;
    maxPowerKw: number;
    /** V2G: > 0 only where car and charger both allow it. */
    maxDischargeKw: number;
  }[];
  buses: {
    /** `<depot id>/<bus index>`. */
    id: string;
    depotId: string;
    atDepot: boolean;
    socKwh: number;
    batteryKwh: number;
    /** SoC it needs when it leaves for its next block, kWh (0 without one in the run). */
    requiredSocKwh: number;
    nextDeparture: string | null;
  }[];
  depots: {
    id: string;
    chargers: number;
    v2gChargers: number;
    chargerKw: number;
    chargingEfficiency: number;
  }[];
  datacenters: {
    id: string;
    trainingGpus: number;
    inferenceItKw: number;
    pue: number;
    /** Lowest GPU power cap, fraction of TDP; throughput at cap c is c^throughputExponent. */
    powerCapMin: number;
    throughputExponent: number;
    jobs: {
      id: string;
      gpus: number;
      gpuHours: number;
      remainingGpuHours: number;
      submitted: string;
      deadline: string;
    }[];
  }[];
  /** Grid signals (DR events, price signals) announced and not yet over. */
  signals: GridSignalObservation[];
}

/**
 * The answer. Every part is optional; what is left out gets its default: battery 0 kW, PV
 * unlimited, EV and bus 0 kW (not charging), data center: no job runs, cap 1.
 */
export interface Action {
  /** Per battery id: kW, discharge +, charge −. */
  batteryKw?: Record<string, number>;
  /** Per PV id: upper limit kW, or null for none. */
  pvLimitKw?: Record<string, number | null>;
  /** Per EV session id: kW, charging +, V2G discharge −. */
  evKw?: Record<string, number>;
  /** Per bus id (`<depot id>/<bus index>`): kW, charging +, V2G −. */
  busKw?: Record<string, number>;
  /** Per data center id: which jobs run this interval and the GPU power cap (fraction of TDP). */
  datacenters?: Record<string, { runJobIds: string[]; powerCapFraction: number }>;
}

/** What the controller module exports (ES module path, run in a worker thread). */
export interface ControllerModule {
  decide(observation: Observation): Action | Promise<Action>;
}
