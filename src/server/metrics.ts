import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { LiveHealth, LiveSystem } from '../control/types.ts';

// GET /metrics in the Prometheus text format: the control loop's timing and troubles, the store,
// telemetry, drivers and the planner (read from the live system when scraped), the event loop as
// the load shedding sees it, and the API's requests by route and status (counted as they end).
// Each server has its own registry, so tests and several servers in one process do not mix.

/** Labels of the cycle-duration gauge: the statistics LiveHealth reports over its recent cycles. */
const CYCLE_STATS = ['last', 'p50', 'p99', 'max'] as const;
const MS_PER_S = 1000;

export interface MetricsSources {
  live: LiveSystem;
  /** The event loop as @fastify/under-pressure measures it (absent when shedding is off). */
  eventLoop?: () => { delayMs: number; utilization: number };
}

/** A counter whose value is a total kept elsewhere: set to it on every scrape. */
function setTotal(c: Counter<string>, value: number, labels: Record<string, string> = {}): void {
  c.reset();
  c.inc(labels, Math.max(0, value));
}

/** The health report of the current scrape, undefined when the live system gives none. */
type HealthOfScrape = () => LiveHealth | undefined;

/** Whether the live system reports its health, and the control cycle's timing. */
function registerCycleMetrics(r: Registry, health: HealthOfScrape): void {
  new Gauge({
    name: 'bitgrid_live_health_available',
    help: '1 when the live system reports its health (cycle, store, telemetry and driver metrics follow)',
    registers: [r],
    collect() {
      this.set(health() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'bitgrid_control_cycle_duration_seconds',
    help: 'Duration of the recent control cycles: the last one, the median, the 99th percentile and the longest',
    labelNames: ['stat'],
    registers: [r],
    collect() {
      this.reset();
      const x = health();
      if (x) for (const s of CYCLE_STATS) this.set({ stat: s }, x.cycleDurationMs[s] / MS_PER_S);
    },
  });
  new Gauge({
    name: 'bitgrid_control_cycle_period_seconds',
    help: "The control loop's period, wall seconds",
    registers: [r],
    collect() {
      const x = health();
      if (x) this.set(x.cyclePeriodWallMs / MS_PER_S);
    },
  });
  new Gauge({
    name: 'bitgrid_control_last_cycle_end_timestamp_seconds',
    help: 'When the last control cycle ended, Unix time (wall clock)',
    registers: [r],
    collect() {
      this.reset();
      const x = health();
      if (x?.lastCycleEndWallMs !== undefined) this.set(x.lastCycleEndWallMs / MS_PER_S);
    },
  });
}

/** Totals the live system counts (cycles, late and failed ones, telemetry dropped, accepted, refused). */
function registerLoopTotals(r: Registry, health: HealthOfScrape): void {
  const totals: [string, string, (x: LiveHealth) => number][] = [
    ['bitgrid_control_cycles_total', 'Control cycles run since start', (x) => x.cycles],
    [
      'bitgrid_control_cycles_late_total',
      'Control cycles that started more than half a period late',
      (x) => x.cyclesLate,
    ],
    ['bitgrid_control_cycles_failed_total', 'Control cycles that failed', (x) => x.cyclesFailed],
    [
      'bitgrid_telemetry_dropped_points_total',
      'Telemetry points dropped because the write buffer was full',
      (x) => x.store.droppedPoints,
    ],
    [
      'bitgrid_telemetry_accepted_total',
      'Measurements accepted by the plausibility checks',
      (x) => x.telemetry.accepted,
    ],
  ];
  for (const [name, help, get] of totals)
    new Counter({
      name,
      help,
      registers: [r],
      collect() {
        const x = health();
        if (x) setTotal(this, get(x));
      },
    });
  new Counter({
    name: 'bitgrid_telemetry_rejected_total',
    help: 'Measurements refused by the plausibility checks, by reason',
    labelNames: ['reason'],
    registers: [r],
    collect() {
      this.reset();
      const x = health();
      if (x) for (const [reason, n] of Object.entries(x.telemetry.rejected)) this.inc({ reason }, n);
    },
  });
}

/** The store's state and each driver's health. */
function registerStoreAndDriverMetrics(r: Registry, health: HealthOfScrape): void {
  new Gauge({
    name: 'bitgrid_store_ok',
    help: '1 while the store takes writes, 0 while it refuses them',
    registers: [r],
    collect() {
      this.reset();
      const x = health();
      if (x) this.set(x.store.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'bitgrid_telemetry_buffered_points',
    help: 'Telemetry points waiting to be written to the store',
    registers: [r],
    collect() {
      this.reset();
      const x = health();
      if (x) this.set(x.store.bufferedPoints);
    },
  });
  new Gauge({
    name: 'bitgrid_driver_health',
    help: "Each driver's health as a state set: 1 for the state it is in (starting, online, degraded, offline, stopped)",
    labelNames: ['driver', 'type', 'health'],
    registers: [r],
    collect() {
      this.reset();
      for (const d of health()?.drivers ?? []) this.set({ driver: d.id, type: d.type, health: d.health }, 1);
    },
  });
  new Gauge({
    name: 'bitgrid_driver_up',
    help: '1 when the driver is online, else 0',
    labelNames: ['driver', 'type'],
    registers: [r],
    collect() {
      this.reset();
      for (const d of health()?.drivers ?? [])
        this.set({ driver: d.id, type: d.type }, d.health === 'online' ? 1 : 0);
    },
  });
}

/** The planner's solves, failures and timeouts, the last solve's time and whether one is running. */
function registerPlannerMetrics(r: Registry, live: LiveSystem): void {
  const planner = () => {
    try {
      return live.planner?.status();
    } catch {
      return undefined;
    }
  };
  const plannerTotals: [string, string, string][] = [
    ['bitgrid_planner_solves_total', 'Plans solved', 'solves'],
    ['bitgrid_planner_solve_failures_total', 'Solves that failed', 'solveFailures'],
    ['bitgrid_planner_solve_timeouts_total', 'Solves stopped at their time budget', 'solveTimeouts'],
  ];
  for (const [name, help, key] of plannerTotals)
    new Counter({
      name,
      help,
      registers: [r],
      collect() {
        const p = planner();
        if (p) setTotal(this, p.counters[key] ?? 0);
      },
    });
  new Gauge({
    name: 'bitgrid_planner_last_solve_seconds',
    help: 'Wall time the last solve took',
    registers: [r],
    collect() {
      this.reset();
      const p = planner();
      if (p?.lastSolve) this.set(p.lastSolve.solveMs / MS_PER_S);
    },
  });
  new Gauge({
    name: 'bitgrid_planner_solving',
    help: '1 while a solve is running',
    registers: [r],
    collect() {
      this.reset();
      const p = planner();
      if (p) this.set(p.solving ? 1 : 0);
    },
  });
}

/** The event loop as the load shedding judges it. */
function registerEventLoopMetrics(r: Registry, eventLoop: NonNullable<MetricsSources['eventLoop']>): void {
  new Gauge({
    name: 'bitgrid_event_loop_delay_seconds',
    help: 'Mean event loop delay over the last sample, as the load shedding judges it',
    registers: [r],
    collect() {
      this.set(eventLoop().delayMs / MS_PER_S);
    },
  });
  new Gauge({
    name: 'bitgrid_event_loop_utilization',
    help: 'Event loop utilisation (0–1) over the last sample, as the load shedding judges it',
    registers: [r],
    collect() {
      this.set(eventLoop().utilization);
    },
  });
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private report?: LiveHealth;

  constructor(private readonly src: MetricsSources) {
    const r = this.registry;
    this.httpRequests = new Counter({
      name: 'bitgrid_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern (`unmatched` for no route) and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [r],
    });
    // Read once per scrape (text()) and shared by the collectors, so every figure of one scrape
    // comes from the same report.
    const health = () => this.report;
    registerCycleMetrics(r, health);
    registerLoopTotals(r, health);
    registerStoreAndDriverMetrics(r, health);
    registerPlannerMetrics(r, src.live);
    if (src.eventLoop) registerEventLoopMetrics(r, src.eventLoop);
  }

  /** Counts every reply once it is sent (onResponse), by route pattern so label values stay bounded. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      this.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    });
  }

  async text(): Promise<string> {
    try {
      this.report = this.src.live.health?.();
    } catch {
      this.report = undefined;
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
