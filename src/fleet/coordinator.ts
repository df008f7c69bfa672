import type { SiteReportMessage } from './messages.ts';

// Coordination of a shared limit: a feeder or substation that several sites hang on can import at
// most `capKw` in all. The coordinator splits that cap into one import limit per site (its share),
// from what each site reports of its plan, and splits again whenever a report changes it.
//
// The rule (splitFeederCap):
// 1. Every site first gets its floor: the import it cannot shed now (`inflexibleKw`), never more than
//    its own limit (`ownLimitKw`, connection or contract). If the floors alone exceed the cap, no
//    split can hold it: each site gets its floor, and the split says by how much the cap is short
//    (the coordinator raises FEEDER_CAP_SHORT) rather than ordering a site below what it cannot shed.
// 2. The headroom above the floors goes to the flexible part of each site's plan (`wantKw` less its
//    floor, within its own limit). Each site receives the same fraction λ·v of its flexible kW, in
//    proportion to the value v (원/kWh) it puts on that flexibility, at most all of it; λ is chosen so
//    that the headroom is used exactly (water-filling: what a site with a high value cannot take,
//    because its whole plan is served, goes to the others).
// 3. Headroom left when every plan is served in full is split equally, never beyond a site's own
//    limit: a share a little above the plan lets a site's load move within a cycle without binding.
// So a share is never above a site's own limit (the site holds the tighter of the two anyway) and
// never below what it cannot shed, and the shares add up to at most the cap whenever that is
// possible.

export interface SiteFlex {
  edgeId: string;
  wantKw: number;
  inflexibleKw: number;
  ownLimitKw: number;
  valueKrwPerKwh: number;
}

export interface FeederSplit {
  sharesKw: Map<string, number>;
  /** Sum of the floors (what the sites cannot shed, within their own limits), kW. */
  floorSumKw: number;
  /** How far the floors exceed the cap, kW (0 when the cap can be held). */
  shortKw: number;
  /** The fraction of its flexible kW a site of value 1 원/kWh receives (λ); Infinity when all is served. */
  servedPerValue: number;
}

/** Relative tolerance of the water-filling sums, against rounding. */
const SPLIT_EPSILON = 1e-9;

function checkSite(s: SiteFlex): void {
  const bad = (what: string) => {
    throw new Error(`site "${s.edgeId}": ${what}`);
  };
  for (const [k, v] of [
    ['wantKw', s.wantKw],
    ['inflexibleKw', s.inflexibleKw],
    ['ownLimitKw', s.ownLimitKw],
  ] as const)
    if (!Number.isFinite(v) || v < 0) bad(`${k} must be a finite number ≥ 0 kW, got ${v}`);
  if (!Number.isFinite(s.valueKrwPerKwh) || s.valueKrwPerKwh <= 0)
    bad(`valueKrwPerKwh must be a positive finite number, got ${s.valueKrwPerKwh}`);
  if (s.inflexibleKw > s.wantKw + SPLIT_EPSILON) bad('inflexibleKw must not exceed wantKw');
}

/** Splits `capKw` among the sites by the rule above. */
export function splitFeederCap(capKw: number, sites: readonly SiteFlex[]): FeederSplit {
  if (!Number.isFinite(capKw) || capKw < 0) throw new Error(`feeder cap must be ≥ 0 kW, got ${capKw}`);
  const seen = new Set<string>();
  for (const s of sites) {
    checkSite(s);
    if (seen.has(s.edgeId)) throw new Error(`site "${s.edgeId}" is listed twice`);
    seen.add(s.edgeId);
  }
  const floor = sites.map((s) => Math.min(s.inflexibleKw, s.ownLimitKw));
  const floorSumKw = floor.reduce((a, b) => a + b, 0);
  const shares = [...floor];
  const out = (servedPerValue: number): FeederSplit => ({
    sharesKw: new Map(sites.map((s, i) => [s.edgeId, shares[i]])),
    floorSumKw,
    shortKw: Math.max(0, floorSumKw - capKw),
    servedPerValue,
  });
  if (floorSumKw >= capKw) return out(0);

  // 2. Flexible kW of each site, served in proportion to its value.
  const headroomKw = capKw - floorSumKw;
  const flex = sites.map((s, i) => Math.max(0, Math.min(s.wantKw, s.ownLimitKw) - floor[i]));
  const flexSumKw = flex.reduce((a, b) => a + b, 0);
  let lambda = Infinity;
  if (flexSumKw > headroomKw) {
    // Sites served in full are those of the highest values; try them in that order.
    const order = sites.map((_, i) => i).filter((i) => flex[i] > 0);
    order.sort((a, b) => sites[b].valueKrwPerKwh - sites[a].valueKrwPerKwh);
    let fullKw = 0;
    let weightedKw = order.reduce((a, i) => a + sites[i].valueKrwPerKwh * flex[i], 0);
    let full = 0;
    for (;;) {
      lambda = (headroomKw - fullKw) / weightedKw;
      const next = order[full];
      if (full < order.length - 1 && lambda * sites[next].valueKrwPerKwh >= 1) {
        fullKw += flex[next];
        weightedKw -= sites[next].valueKrwPerKwh * flex[next];
        full++;
      } else break;
    }
    for (let i = 0; i < sites.length; i++)
      shares[i] += flex[i] * Math.min(1, lambda * sites[i].valueKrwPerKwh);
    return out(lambda);
  }
  for (let i = 0; i < sites.length; i++) shares[i] += flex[i];

  // 3. Spare headroom, equally, within each site's own limit.
  let spareKw = headroomKw - flexSumKw;
  let open = sites.map((_, i) => i).filter((i) => sites[i].ownLimitKw - shares[i] > SPLIT_EPSILON);
  while (spareKw > SPLIT_EPSILON * capKw && open.length > 0) {
    const each = spareKw / open.length;
    for (const i of open) {
      const add = Math.min(each, sites[i].ownLimitKw - shares[i]);
      shares[i] += add;
      spareKw -= add;
    }
    open = open.filter((i) => sites[i].ownLimitKw - shares[i] > SPLIT_EPSILON);
  }
  return out(lambda);
}

// ---------------------------------------------------------------------------------------------------

export interface FeederConfig {
  /** The feeder's (or substation's) id: one token of a subject, as edge ids. */
  id: string;
  /** What the feeder may import in all, kW. */
  capKw: number;
  /** The edges (sites) on it. */
  sites: string[];
}

/**
 * A share is re-sent when it rises by at least this fraction of the feeder cap: smaller rises wait
 * for the next re-split (a lower share than due is safe; it is only less room). Falls are always
 * sent at once, so the shares in force never add up to more than the cap.
 */
export const SHARE_RAISE_DEADBAND_FRACTION = 0.005;

export interface FeederEvent {
  feederId: string;
  timeMs: number;
  severity: 'info' | 'warning' | 'alarm';
  code: 'FEEDER_CAP_SHORT' | 'FEEDER_CAP_HELD' | 'FEEDER_WAITING';
  message: string;
}

export interface ShareDecision {
  feederId: string;
  edgeId: string;
  limitKw: number;
  /** The report it was split from. */
  wantKw: number;
  inflexibleKw: number;
  reason: string;
}

export interface FeederStatus {
  id: string;
  capKw: number;
  sites: string[];
  /** Sites that have not reported yet: no shares are issued until every site has. */
  waitingFor: string[];
  /** Shares in force (as last sent), kW. */
  sharesKw: Record<string, number>;
  floorSumKw: number;
  shortKw: number;
  lastSplitMs?: number;
}

/**
 * The coordinator of one feeder: keeps each of its sites' newest report, splits the cap when one
 * changes, and hands on the shares that changed (to be sent as `import_limit.set` commands).
 */
export class FeederCoordinator {
  private readonly reports = new Map<string, SiteReportMessage>();
  private readonly inForce = new Map<string, number>();
  private last?: FeederSplit;
  private lastSplitMs?: number;
  private shortRaised = false;
  private waitingRaised = false;

  constructor(
    readonly config: FeederConfig,
    private readonly o: {
      send: (d: ShareDecision) => Promise<void>;
      event: (e: FeederEvent) => void;
      now?: () => number;
    },
  ) {
    if (!Number.isFinite(config.capKw) || config.capKw <= 0)
      throw new Error(`feeder "${config.id}": cap must be a positive number of kW, got ${config.capKw}`);
    if (config.sites.length === 0) throw new Error(`feeder "${config.id}" lists no sites`);
    if (new Set(config.sites).size !== config.sites.length)
      throw new Error(`feeder "${config.id}" lists a site twice`);
  }

  has(edgeId: string): boolean {
    return this.config.sites.includes(edgeId);
  }

  /** Shares already in force (after a backend restart, from the database). */
  restoreShare(edgeId: string, limitKw: number): void {
    if (this.has(edgeId)) this.inForce.set(edgeId, limitKw);
  }

  /** Takes a site's report; returns false when it is older than the one held (sent out of order). */
  observe(edgeId: string, r: SiteReportMessage): boolean {
    if (!this.has(edgeId)) return false;
    const held = this.reports.get(edgeId);
    if (held && held.timeMs > r.timeMs) return false;
    this.reports.set(edgeId, r);
    return true;
  }

  /** Splits the cap from the reports held and sends the shares that changed. */
  async resplit(why: string): Promise<void> {
    const nowMs = (this.o.now ?? Date.now)();
    const waitingFor = this.config.sites.filter((s) => !this.reports.has(s));
    if (waitingFor.length > 0) {
      if (!this.waitingRaised)
        this.o.event({
          feederId: this.config.id,
          timeMs: nowMs,
          severity: 'info',
          code: 'FEEDER_WAITING',
          message: `no shares yet: waiting for the first report of ${waitingFor.join(', ')}`,
        });
      this.waitingRaised = true;
      return;
    }
    const sites: SiteFlex[] = this.config.sites.map((edgeId) => {
      const r = this.reports.get(edgeId)!;
      return {
        edgeId,
        wantKw: r.wantKw,
        inflexibleKw: r.inflexibleKw,
        ownLimitKw: r.ownLimitKw,
        valueKrwPerKwh: r.valueKrwPerKwh,
      };
    });
    const split = splitFeederCap(this.config.capKw, sites);
    this.last = split;
    this.lastSplitMs = nowMs;
    if (split.shortKw > 0 && !this.shortRaised) {
      this.shortRaised = true;
      this.o.event({
        feederId: this.config.id,
        timeMs: nowMs,
        severity: 'alarm',
        code: 'FEEDER_CAP_SHORT',
        message: `what the sites cannot shed (${Math.round(split.floorSumKw)} kW) exceeds the cap of ${this.config.capKw} kW by ${Math.round(split.shortKw)} kW: each site is held at its inflexible import, the feeder is over its cap`,
      });
    } else if (split.shortKw === 0 && this.shortRaised) {
      this.shortRaised = false;
      this.o.event({
        feederId: this.config.id,
        timeMs: nowMs,
        severity: 'info',
        code: 'FEEDER_CAP_HELD',
        message: `the sites' inflexible import (${Math.round(split.floorSumKw)} kW) is within the cap of ${this.config.capKw} kW again`,
      });
    }
    const raiseDeadbandKw = SHARE_RAISE_DEADBAND_FRACTION * this.config.capKw;
    const changes: ShareDecision[] = [];
    for (const s of sites) {
      const limitKw = split.sharesKw.get(s.edgeId)!;
      const held = this.inForce.get(s.edgeId);
      if (held !== undefined && limitKw >= held && limitKw - held < raiseDeadbandKw) continue;
      if (held !== undefined && limitKw === held) continue;
      changes.push({
        feederId: this.config.id,
        edgeId: s.edgeId,
        limitKw,
        wantKw: s.wantKw,
        inflexibleKw: s.inflexibleKw,
        reason: `feeder ${this.config.id} (cap ${this.config.capKw} kW) re-split: ${why}`,
      });
    }
    // Falls first: the shares in force never add up to more than the cap on the way.
    changes.sort(
      (a, b) =>
        a.limitKw - (this.inForce.get(a.edgeId) ?? 0) - (b.limitKw - (this.inForce.get(b.edgeId) ?? 0)),
    );
    for (const c of changes) {
      await this.o.send(c);
      this.inForce.set(c.edgeId, c.limitKw);
    }
  }

  status(): FeederStatus {
    return {
      id: this.config.id,
      capKw: this.config.capKw,
      sites: [...this.config.sites],
      waitingFor: this.config.sites.filter((s) => !this.reports.has(s)),
      sharesKw: Object.fromEntries(this.inForce),
      floorSumKw: this.last?.floorSumKw ?? 0,
      shortKw: this.last?.shortKw ?? 0,
      lastSplitMs: this.lastSplitMs,
    };
  }
}

/** Parses `--feeder <id>=<capKw>:<site>,<site>,…` (the backend's command line). */
export function parseFeederOption(v: string): FeederConfig {
  const m = /^([^=]+)=([^:]+):(.+)$/.exec(v.trim());
  if (!m) throw new Error(`feeder "${v}" must read <id>=<cap kW>:<site>,<site>,… (e.g. f1=9000:a,b,c)`);
  const capKw = Number(m[2]);
  if (!Number.isFinite(capKw) || capKw <= 0)
    throw new Error(`feeder "${m[1]}": cap "${m[2]}" must be a positive number of kW`);
  const sites = m[3].split(',').map((s) => s.trim());
  if (sites.some((s) => s === '')) throw new Error(`feeder "${m[1]}": an empty site id in "${m[3]}"`);
  return { id: m[1].trim(), capKw, sites };
}
