// What the fleet API (src/fleet/api.ts) answers, route by route. The fleet dashboard reads the same
// types (web/src/fleet/api.ts), so this file imports nothing: the dashboard bundles it as it is.
// The KPI, plan and report shapes mirror the messages the sites send (src/fleet/messages.ts); the
// API's handlers are typed with these, so a message field that goes away is a type error there.

/** A site heard from within SITE_STALE_AFTER_MS is `online`, else `stale`. */
export type FleetSiteStatus = 'online' | 'stale';

/** One site of GET /fleet/sites. */
export interface FleetSite {
  id: string;
  status: FleetSiteStatus;
  firstSeenMs: number;
  lastSeenMs: number;
  /** The site's newest telemetry point, its own clock (null before its first telemetry). */
  lastTelemetryMs: number | null;
}

/** GET /fleet/sites */
export interface FleetSites {
  staleAfterMs: number;
  sites: FleetSite[];
}

/** A site's KPIs so far today (its local day) and this month, as it sent them. */
export interface FleetSiteKpis {
  timeMs: number;
  /** The site's local calendar day, YYYY-MM-DD. */
  day: string;
  importKwh: number;
  consumptionKwh: number;
  pvKwh: number;
  costKrw: number;
  selfSufficiency: number;
  re100HourlyMatching: number;
  monthPeakKw: number;
  billingDemandKw: number;
}

/** GET /fleet/kpis: today's KPIs summed across the sites a token sees. */
export interface FleetKpis {
  sites: number;
  sitesWithKpis: number;
  importKwh: number;
  consumptionKwh: number;
  pvKwh: number;
  costKrw: number;
  /** Weighted by consumption. */
  re100HourlyMatching: number;
  /** Each site's own month peak, added (not a coincident fleet peak). */
  sumOfMonthPeaksKw: number;
  bySite: Record<string, FleetSiteKpis>;
}

/** One day of the fleet's RE100 ledger: the newest KPI summary of each site for that local day. */
export interface FleetLedgerDay {
  day: string;
  sites: number;
  consumptionKwh: number;
  /** Consumption matched hour by hour by renewable supply, kWh (each site's matching × consumption). */
  matchedKwh: number;
  pvKwh: number;
  importKwh: number;
  costKrw: number;
  /** matchedKwh / consumptionKwh (0 when nothing was consumed). */
  re100HourlyMatching: number;
}

/** GET /fleet/ledger */
export interface FleetLedger {
  days: FleetLedgerDay[];
  totals: { consumptionKwh: number; matchedKwh: number; re100HourlyMatching: number };
  /** Each site's own days (only those it sent a summary for). */
  bySite: Record<string, FleetLedgerDay[]>;
}

/** The plan in force at a site, its grid side per step. */
export interface FleetSchedule {
  timeMs: number;
  scheduleId: number;
  strategy: string;
  madeMs: number;
  startMs: number;
  stepMinutes: number;
  importKw: number[];
  exportKw: number[];
}

/** What a site last told its feeder coordinator. */
export interface FleetSiteReport {
  timeMs: number;
  wantKw: number;
  inflexibleKw: number;
  ownLimitKw: number;
  valueKrwPerKwh: number;
  importKw: number;
  limitKw: number;
}

/** GET /fleet/sites/:id */
export interface FleetSiteDetail {
  id: string;
  status: FleetSiteStatus;
  lastSeenMs: number;
  /** The newest value of each series (asset, measurement, channel). */
  telemetry: { assetId: string; measurement: string; channel?: string; timeMs: number; value: number }[];
  schedule: FleetSchedule | null;
  kpis: FleetSiteKpis | null;
  report: FleetSiteReport | null;
  shares: { feederId: string; limitKw: number; wantKw: number; inflexibleKw: number; issuedMs: number }[];
}

/** GET /fleet/sites/:id/telemetry: one series, oldest point first. */
export interface FleetSeries {
  id: string;
  asset: string;
  measurement: string;
  channel?: string;
  /** [time ms (site clock), value] */
  points: [number, number][];
}

/** One coordinated feeder of GET /fleet/feeders. */
export interface FleetFeeder {
  id: string;
  capKw: number;
  /** Only the sites the token sees. */
  sites: string[];
  sharesKw: Record<string, number>;
  // The coordinator's own state, for a token that sees every site.
  waitingFor?: string[];
  floorSumKw?: number;
  shortKw?: number;
  lastSplitMs?: number;
}

/** GET /fleet/feeders */
export interface FleetFeeders {
  feeders: FleetFeeder[];
}
