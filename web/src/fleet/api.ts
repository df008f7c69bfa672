// The fleet API as the fleet dashboard reads it (src/fleet/api.ts on the backend, docs/fleet.md).
// The page is served by the backend itself, so every path is on the same origin.

export const FLEET_TOKEN_KEY = 'bitgrid.fleet.token';

export class FleetApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function fleetToken(): string | null {
  return sessionStorage.getItem(FLEET_TOKEN_KEY);
}

export async function fleetApi<T>(path: string, token = fleetToken()): Promise<T> {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new FleetApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body as T;
}

export type SiteStatus = 'online' | 'stale';

export interface FleetSite {
  id: string;
  status: SiteStatus;
  firstSeenMs: number;
  lastSeenMs: number;
  lastTelemetryMs: number | null;
}

export interface SiteKpis {
  timeMs: number;
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

export interface FleetKpis {
  sites: number;
  sitesWithKpis: number;
  importKwh: number;
  consumptionKwh: number;
  pvKwh: number;
  costKrw: number;
  re100HourlyMatching: number;
  sumOfMonthPeaksKw: number;
  bySite: Record<string, SiteKpis>;
}

export interface LedgerDay {
  day: string;
  sites: number;
  consumptionKwh: number;
  matchedKwh: number;
  pvKwh: number;
  importKwh: number;
  costKrw: number;
  re100HourlyMatching: number;
}

export interface FleetLedger {
  days: LedgerDay[];
  totals: { consumptionKwh: number; matchedKwh: number; re100HourlyMatching: number };
}

export interface FeederView {
  id: string;
  capKw: number;
  sites: string[];
  sharesKw: Record<string, number>;
  waitingFor?: string[];
  shortKw?: number;
}

export interface SiteDetail {
  id: string;
  status: SiteStatus;
  lastSeenMs: number;
  telemetry: { assetId: string; measurement: string; channel?: string; timeMs: number; value: number }[];
  schedule: {
    scheduleId: number;
    strategy: string;
    madeMs: number;
    startMs: number;
    stepMinutes: number;
    importKw: number[];
    exportKw: number[];
  } | null;
  kpis: SiteKpis | null;
  report: {
    wantKw: number;
    inflexibleKw: number;
    ownLimitKw: number;
    importKw: number;
    limitKw: number;
  } | null;
  shares: { feederId: string; limitKw: number; issuedMs: number }[];
}

export interface SiteSeries {
  points: [number, number][];
}

/** Sum of a feeder's shares in force, kW (what the coordinator has handed out of its cap). */
export function sharedKw(f: FeederView): number {
  return Object.values(f.sharesKw).reduce((a, b) => a + b, 0);
}

/** The plan in force as [time ms, kW] points, one per step start (import positive, export negative). */
export function planSeries(s: NonNullable<SiteDetail['schedule']>): [number, number][] {
  const stepMs = s.stepMinutes * 60_000;
  return s.importKw.map((kw, i) => [s.startMs + i * stepMs, kw - (s.exportKw[i] ?? 0)]);
}
