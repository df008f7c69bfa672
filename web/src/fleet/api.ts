// The fleet API as the fleet dashboard reads it (src/fleet/api.ts on the backend, docs/fleet.md).
// The page is served by the backend itself, so every path is on the same origin.

import type {
  FleetFeeder,
  FleetKpis,
  FleetLedger,
  FleetLedgerDay,
  FleetSeries,
  FleetSite,
  FleetSiteDetail,
  FleetSiteKpis,
  FleetSiteStatus,
} from '../../../src/fleet/api-types.ts';

// What each route answers is the backend's own declaration, imported rather than copied.
export type { FleetKpis, FleetLedger, FleetSite };
export type SiteStatus = FleetSiteStatus;
export type SiteKpis = FleetSiteKpis;
export type LedgerDay = FleetLedgerDay;
export type FeederView = FleetFeeder;
export type SiteDetail = FleetSiteDetail;
export type SiteSeries = FleetSeries;

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

/** Sum of a feeder's shares in force, kW (what the coordinator has handed out of its cap). */
export function sharedKw(f: FeederView): number {
  return Object.values(f.sharesKw).reduce((a, b) => a + b, 0);
}

/** The plan in force as [time ms, kW] points, one per step start (import positive, export negative). */
export function planSeries(s: NonNullable<SiteDetail['schedule']>): [number, number][] {
  const stepMs = s.stepMinutes * 60_000;
  return s.importKw.map((kw, i) => [s.startMs + i * stepMs, kw - (s.exportKw[i] ?? 0)]);
}
