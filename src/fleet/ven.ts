import { z } from 'zod';
import { OpenAdrVenDriver, openAdrVenConfigSchema } from '../drivers/openadr/index.ts';
import type { DriverContext } from '../drivers/types.ts';
import { SHARE_RAISE_DEADBAND_FRACTION, splitFeederCap, type SiteFlex } from './coordinator.ts';
import type { FleetCommand, SiteReportMessage } from './messages.ts';
import { SUBJECT_TOKEN_PATTERN } from './subjects.ts';

// The fleet as one OpenADR 3 VEN (docs/fleet.md): the backend registers once with the grid
// operator's VTN, through the same VEN client a site uses on its own (src/drivers/openadr), and hands
// each site its share of every import-limit or load-shed interval of the events it receives. A share
// is split by the feeder coordinator's rule (splitFeederCap: what a site cannot shed first, the rest
// by the value of its flexibility) from each site's newest report, and goes to the site as an
// `import_limit.set` command with the interval's window: the edge holds it as an `import_limit_kw`
// grid signal, the path an OpenADR limit takes at a site that is its own VEN.
//
// - IMPORT_CAPACITY_LIMIT L kW (import_limit_kw): the sites' shares add up to L.
// - a shed of S kW (shed_kw: DISPATCH_SETPOINT_RELATIVE, SIMPLE levels): the fleet's cap is what the
//   sites want now less S, so the sites' shares add up to that and their cuts to S.
// - both in one interval: the tighter cap.

/** The VEN's signals are compared with the shares sent this often, ms (webhooks make them change). */
export const FLEET_VEN_CHECK_EVERY_MS = 1_000;

/** The id a share of an event's interval has at the edge (its "feeder"): one per event and interval. */
export function eventShareId(eventId: string, startMs: number): string {
  return `openadr:${eventId}@${startMs}`;
}

export const fleetVenConfigSchema = z.strictObject({
  /** The VEN's configuration, as a site's `openadr_ven` device (src/drivers/openadr/config.ts). */
  ven: openAdrVenConfigSchema,
  /** The sites the fleet's VEN speaks for: each event is split among them. */
  sites: z
    .array(z.string().regex(SUBJECT_TOKEN_PATTERN, 'a site id is 1–64 letters, digits, "_" or "-"'))
    .min(1),
});
export type FleetVenConfig = z.output<typeof fleetVenConfigSchema>;
export type FleetVenConfigInput = z.input<typeof fleetVenConfigSchema>;

/** One interval of one event, as the fleet splits it. */
export interface FleetEventSplit {
  eventId: string;
  startMs: number;
  endMs: number;
  /** The event's import limit for the fleet, kW, if it sets one. */
  importLimitKw?: number;
  /** The event's shed, kW, if it asks for one. */
  shedKw?: number;
  /** The fleet's cap the shares add up to, kW. */
  capKw: number;
  sharesKw: Record<string, number>;
  /** Sites without a report yet: no share (the split waits for nothing, they are left out). */
  unreported: string[];
  /** How far what the sites cannot shed exceeds the cap, kW. */
  shortKw: number;
}

export interface FleetVenDeps {
  /** The newest report of each site (from PostgreSQL). */
  reports: (sites: string[]) => Promise<Map<string, SiteReportMessage>>;
  send: (edgeId: string, cmd: FleetCommand) => Promise<void>;
  ctx: DriverContext;
  checkEveryMs?: number;
}

/** Splits one interval's figure among the sites that reported (pure: the tests' and the VEN's rule). */
export function splitEvent(
  signal: { eventId: string; startMs: number; endMs: number; importLimitKw?: number; shedKw?: number },
  sites: readonly string[],
  reports: ReadonlyMap<string, SiteReportMessage>,
): FleetEventSplit {
  const flex: SiteFlex[] = [];
  for (const edgeId of sites) {
    const r = reports.get(edgeId);
    if (r)
      flex.push({
        edgeId,
        wantKw: r.wantKw,
        inflexibleKw: r.inflexibleKw,
        ownLimitKw: r.ownLimitKw,
        valueKrwPerKwh: r.valueKrwPerKwh,
      });
  }
  const wantKw = flex.reduce((a, s) => a + Math.min(s.wantKw, s.ownLimitKw), 0);
  const caps = [
    ...(signal.importLimitKw !== undefined ? [signal.importLimitKw] : []),
    ...(signal.shedKw !== undefined ? [Math.max(0, wantKw - signal.shedKw)] : []),
  ];
  if (caps.length === 0) throw new Error(`event ${signal.eventId} sets neither an import limit nor a shed`);
  const capKw = Math.max(0, Math.min(...caps));
  const split = splitFeederCap(capKw, flex);
  return {
    ...signal,
    capKw,
    sharesKw: Object.fromEntries(split.sharesKw),
    unreported: sites.filter((s) => !reports.has(s)),
    shortKw: split.shortKw,
  };
}

/** The VEN of the fleet, run by the backend. */
export class FleetVen {
  readonly driver: OpenAdrVenDriver;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  /** What was sent, per event interval: its window and each site's share. */
  private readonly sent = new Map<string, { endMs: number; sharesKw: Map<string, number> }>();
  private readonly splits = new Map<string, FleetEventSplit>();
  private issueSeq = 0;

  constructor(
    readonly config: FleetVenConfig,
    private readonly deps: FleetVenDeps,
  ) {
    this.driver = new OpenAdrVenDriver(config.ven, deps.ctx);
  }

  async start(): Promise<void> {
    await this.driver.start();
    await this.check();
    this.timer = setInterval(() => void this.check(), this.deps.checkEveryMs ?? FLEET_VEN_CHECK_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking?.catch(() => undefined);
    await this.driver.stop();
  }

  /** The event intervals in force or announced, as split among the sites. */
  status(): { venId?: string; health: string; events: FleetEventSplit[] } {
    return {
      venId: this.driver.venID,
      health: this.driver.status().health,
      events: [...this.splits.values()].sort((a, b) => a.startMs - b.startMs),
    };
  }

  /** Compares the VEN's signals with the shares sent and sends what changed (one run at a time). */
  check(): Promise<void> {
    this.checking ??= this.checkOnce()
      .catch((e: Error) => this.deps.ctx.log.warn({ err: e.message }, 'fleet VEN: shares not sent'))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const intervals = new Map<
      string,
      { eventId: string; startMs: number; endMs: number; importLimitKw?: number; shedKw?: number }
    >();
    for (const s of this.driver.signals()) {
      if (s.kind !== 'import_limit_kw' && s.kind !== 'shed_kw') continue;
      const eventId = s.eventId ?? s.source;
      const key = eventShareId(eventId, s.startMs);
      const x = intervals.get(key) ?? { eventId, startMs: s.startMs, endMs: s.endMs };
      if (s.kind === 'import_limit_kw') x.importLimitKw = Math.min(x.importLimitKw ?? Infinity, s.value);
      else x.shedKw = Math.max(x.shedKw ?? 0, s.value);
      intervals.set(key, x);
    }
    const nowMs = this.deps.ctx.now();
    // Intervals gone before their end: the event was cancelled or changed, its shares cleared.
    for (const [key, was] of this.sent) {
      if (intervals.has(key)) continue;
      this.sent.delete(key);
      this.splits.delete(key);
      if (was.endMs <= nowMs) continue;
      for (const edgeId of was.sharesKw.keys())
        await this.deps.send(edgeId, {
          id: `vtn-clear-${key}-${edgeId}-${++this.issueSeq}`,
          kind: 'import_limit.clear',
          feederId: key,
          issuedMs: Date.now(),
        });
    }
    if (intervals.size === 0) return;
    const reports = await this.deps.reports(this.config.sites);
    for (const [key, iv] of intervals) {
      const split = splitEvent(iv, this.config.sites, reports);
      this.splits.set(key, split);
      const was = this.sent.get(key)?.sharesKw ?? new Map<string, number>();
      const deadbandKw = SHARE_RAISE_DEADBAND_FRACTION * split.capKw;
      const changes = Object.entries(split.sharesKw).filter(([edgeId, kw]) => {
        const held = was.get(edgeId);
        return held === undefined || kw < held || kw - held >= deadbandKw;
      });
      // Falls first: the shares in force never add up to more than the event allows on the way.
      changes.sort(([a, x], [b, y]) => x - (was.get(a) ?? 0) - (y - (was.get(b) ?? 0)));
      for (const [edgeId, limitKw] of changes) {
        await this.deps.send(edgeId, {
          id: `vtn-${key}-${edgeId}-${++this.issueSeq}`,
          kind: 'import_limit.set',
          feederId: key,
          limitKw,
          issuedMs: Date.now(),
          startMs: iv.startMs,
          endMs: iv.endMs,
          reason: describe(iv, split.capKw),
        });
        was.set(edgeId, limitKw);
      }
      this.sent.set(key, { endMs: iv.endMs, sharesKw: was });
      if (split.unreported.length > 0)
        this.deps.ctx.log.warn(
          { event: iv.eventId, sites: split.unreported },
          'fleet VEN: sites without a report have no share of the event',
        );
    }
  }
}

function describe(
  iv: { eventId: string; startMs: number; endMs: number; importLimitKw?: number; shedKw?: number },
  capKw: number,
): string {
  const what = [
    iv.importLimitKw !== undefined ? `import limit ${iv.importLimitKw} kW` : '',
    iv.shedKw !== undefined ? `shed ${iv.shedKw} kW` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `OpenADR event ${iv.eventId} (${what}) ${new Date(iv.startMs).toISOString()}–${new Date(iv.endMs).toISOString()}: fleet cap ${Math.round(capKw)} kW split by the feeder rule`;
}
