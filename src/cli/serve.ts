import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import type { Logger } from 'pino';
import type { ControlLoop, ControlLoopOptions } from '../control/loop.ts';
import type { JobBook } from '../control/jobs.ts';
import type { FleetEdge } from '../fleet/edge.ts';
import type { LiveController } from '../live/controller.ts';
import {
  loadScenarioFile,
  REFERENCE_SCENARIO_FILE,
  ConfigError,
  type LoadedScenario,
} from '../model/load.ts';
import type { ApiWorkerHandle } from '../server/api-host.ts';
import type { Store } from '../store/index.ts';
import type { Forecast } from '../forecast/planner-standin.ts';
import { SERVE_LOG_REDACT } from '../server/logging.ts';
import { UsageError } from './errors.ts';
import { join } from 'node:path';
import type { Driver, SetpointKind } from '../drivers/types.ts';
import type { TwinDistrict } from '../twin/district.ts';

/** Defaults of the live loop, in clock (simulated) seconds; see docs/operations.md. */
const DEFAULT_CYCLE_S = 60;
const DEFAULT_STALE_S = 300;
const DEFAULT_REPLAN_MIN = 15;
const FORECAST_HORIZON_HOURS = 48;
const FORECAST_EVERY_S = 3600;
/** Longest a clean stop may take before the process exits anyway, ms. */
const STOP_TIMEOUT_MS = 15_000;
/** Longest one part (API, loop, drivers, twin, worker, store) may take to stop, ms. */
const STOP_STEP_TIMEOUT_MS = 2_000;
/** Who the twin's data-center team submits its jobs as (audited under this actor). */
const TWIN_DC_TEAM = { id: 'twin-datacenter-team', role: 'operator' } as const;

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

export interface ServeOptions {
  scenario: string;
  port: number;
  host: string;
  twin?: boolean;
  speed: number;
  start?: string;
  strategy: string;
  db?: string;
  cycleS: number;
  staleS: number;
  replanMin: number;
  horizonH?: number;
  /** Wall-clock budget of one re-plan, seconds (tests shorten it). */
  solveBudgetS?: number;
  /** Twin: seed of the world the twin plays (weather, loads, arrivals, jobs). */
  worldSeed?: number;
  /** Behind a reverse proxy: which proxies to believe (X-Forwarded-For/-Proto); see docs/api.md. */
  trustProxy?: boolean | string | number;
  /** HTTPS: PEM certificate (chain) and private key files. */
  tlsCert?: string;
  tlsKey?: string;
  /**
   * Run the API on the control thread instead of its own worker (debugging; an in-memory store
   * forces it, since a worker cannot open the same in-memory database).
   */
  apiInline?: boolean;
  /** Fleet: NATS URL of the fleet backend this site reports to (docs/fleet.md). */
  backend?: string;
  /** Fleet: this site's id among the backend's edges. */
  edgeId?: string;
  /** Fleet: subject and stream namespace shared with the backend (default `bitgrid`). */
  fleetNamespace?: string;
  /** Fleet: what a kWh of this site's flexible consumption is worth, 원/kWh (default: its import price). */
  flexValueKrwPerKwh?: number;
}

/** `--trust-proxy` without a value trusts every hop; a number is a hop count; else addresses/CIDRs. */
function trustProxyValue(v: string): string | number {
  return /^\d+$/.test(v) ? Number(v) : v;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the live system: control loop, device drivers, API and dashboard.')
    .option('--scenario <file>', 'district file (YAML)', REFERENCE_SCENARIO_FILE)
    .option('--port <n>', 'HTTP port (0 picks a free one)', (v) => Number(v), 8080)
    .option('--host <addr>', 'HTTP interface', '127.0.0.1')
    .option('--twin', 'run every device as a digital twin over its real protocol on loopback')
    .option('--speed <n>', 'twin clock speed: simulated seconds per real second', positive('--speed'), 1)
    .option('--start <date>', 'twin: first simulated day (default: the scenario default_start)')
    .option('--world-seed <n>', 'twin: seed of the world it plays (weather, loads, arrivals, jobs)', (v) =>
      Number(v),
    )
    .option(
      '--strategy <name>',
      'what decides: rules, optimal (rolling MILP), none, or a registered one',
      'rules',
    )
    .option(
      '--replan-min <n>',
      'optimal: re-plan every N clock minutes (and on events)',
      positive('--replan-min'),
      DEFAULT_REPLAN_MIN,
    )
    .option('--horizon-h <n>', 'optimal: planning horizon, hours (24–48)', positive('--horizon-h'))
    .option(
      '--db <url>',
      'store: sqlite:PATH or postgres://… (default: BITGRID_DATABASE_URL or .bitgrid/bitgrid.db beside the scenario)',
    )
    .option('--cycle-s <n>', 'control cycle, clock seconds', positive('--cycle-s'), DEFAULT_CYCLE_S)
    .option(
      '--stale-s <n>',
      'telemetry older than this puts an asset in safe mode, clock seconds',
      positive('--stale-s'),
      DEFAULT_STALE_S,
    )
    .option(
      '--trust-proxy [addrs]',
      'behind a reverse proxy: trust X-Forwarded-For/-Proto from these addresses or CIDRs (comma-separated, or loopback), a hop count, or (no value) every hop',
      trustProxyValue,
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--backend <nats-url>', 'fleet: also report to this NATS JetStream backend and take its commands')
    .option('--edge-id <id>', 'fleet: this site\'s id at the backend (letters, digits, "_", "-")')
    .option('--fleet-namespace <name>', "fleet: the backend's namespace (its --namespace)")
    .option(
      '--flex-value-krw-per-kwh <n>',
      "fleet: what a kWh of this site's flexible consumption is worth when a feeder cap is shared (default: the site's import price)",
      positive('--flex-value-krw-per-kwh'),
    )
    .option(
      '--api-inline',
      'run the API on the control thread instead of its own worker thread (debugging only: API load then delays control)',
    )
    .action(async (opts: ServeOptions) => {
      const running = await startServe(opts);
      const stop = async (signal: string) => {
        running.log.info({ signal }, 'stopping');
        // A device or connection that does not let go must not keep the process alive.
        setTimeout(() => {
          running.log.error({ signal, afterMs: STOP_TIMEOUT_MS }, 'stop took too long; exiting');
          process.exit(1);
        }, STOP_TIMEOUT_MS).unref();
        await running.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

export async function startServe(opts: ServeOptions) {
  const {
    defaultRegistry,
    openStore,
    parseStoreUrl,
    ControlLoop,
    JobBook,
    LiveController,
    solveHorizonInWorker,
    shutdownPlannerWorker,
    connectChargePoints,
    startTwinDistrict,
  } = await loadLiveStack();
  const log = pino(
    { level: process.env.BITGRID_LOG_LEVEL ?? 'info', redact: SERVE_LOG_REDACT },
    pino.destination(2),
  );
  // Checked before anything starts, so a half-given TLS pair never leaves devices connected.
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
    throw new InvalidArgumentError('--tls-cert and --tls-key go together: give both or neither');
  const loaded = loadScenarioFile(opts.scenario);
  const scenario = loaded.scenario;
  const registry = defaultRegistry();
  const storeUrl = opts.db ?? process.env.BITGRID_DATABASE_URL;
  const store = await openStore(storeUrl, { baseDir: loaded.baseDir });

  let twin: TwinDistrict | undefined;
  let deviceConfigs: unknown[] = scenario.devices;
  let now = () => Date.now();
  // The job book exists before the twin, whose data-center team submits through it; its clock is the
  // twin's once there is one.
  const jobs = new JobBook({ store, now: () => now(), scenario, log });
  await jobs.restore();
  if (opts.twin) {
    twin = await startTwinDistrict({
      scenario,
      baseDir: loaded.baseDir,
      start: opts.start,
      speed: opts.speed,
      worldSeed: opts.worldSeed,
      log: (msg, detail) => log.warn(detail ?? {}, msg),
      submitJob: (j) => submitTwinJob(jobs, j),
    });
    deviceConfigs = twin.devices;
    now = () => twin!.clock.now();
  }
  const problems = registry.validateDeviceConfig(deviceConfigs);
  if (problems.length) throw new ConfigError(loaded.file, problems);
  if (!opts.twin && deviceConfigs.length === 0)
    log.warn(
      'the scenario lists no devices: the loop runs without telemetry (use --twin for the digital twin)',
    );

  const ctx = { log, now };
  const drivers: Driver[] = deviceConfigs.map((c) => registry.createDriver(c, ctx));
  await Promise.all(drivers.map((d) => d.start()));
  if (twin) await connectChargePoints(twin, Math.max(20, 1000 / opts.speed));

  // A fleet edge: the site decides on its own whatever happens upstream; the edge only reports and
  // takes commands, through an outbox on disk beside the store.
  const edge = opts.backend
    ? await fleetEdge(opts, loaded, log, (): ControlLoop => loop, now, store)
    : undefined;
  // Its feeder share reaches the loop as an import limit signal, beside the grid operator's.
  if (edge) drivers.push(edge.importLimit);

  const wallPerClock = opts.twin ? 1 / opts.speed : 1;
  // Outside controllers in shadow mode (docs/testbed.md), registered through the API.
  const { ShadowRunner, testbedChannelName } = await import('../live/shadow.ts');
  const shadow = new ShadowRunner({
    scenario,
    store,
    now,
    forecast: (): Forecast => controller.forecast,
    log,
    channel: testbedChannelName(loaded.file),
  });
  const controller = new LiveController({
    scenario,
    baseDir: loaded.baseDir,
    strategy: opts.strategy,
    store,
    now,
    wallPerClockMs: wallPerClock,
    jobs,
    replanEveryMs: opts.replanMin * 60_000,
    horizonHours: opts.horizonH,
    solveBudgetMs: opts.solveBudgetS !== undefined ? opts.solveBudgetS * 1000 : undefined,
    solver: (problem, budgetMs, signal) => solveHorizonInWorker(problem, { budgetMs }, signal),
    shadow,
    log,
  });
  await controller.restore();
  const loop = new ControlLoop({
    scenario,
    drivers,
    store,
    dispatcher: edge
      ? (await siteReporter(edge, opts, scenario, (): ControlLoop => loop)).wrap(controller)
      : controller,
    planner: controller,
    chargers: ocppChargers(deviceConfigs),
    jobs,
    now,
    staleAfterMs: opts.staleS * 1000,
    log,
    ...(edge ? { tap: edgeTap(edge) } : {}),
  });
  await loop.restore();
  // The site's KPIs and plan in force go up too, after each cycle.
  if (edge) {
    const up = await siteUpstream(edge, scenario, loop, controller, store, log);
    loop.subscribe(() => up.tick());
  }
  edge?.start();
  loop.start(opts.cycleS * 1000 * wallPerClock);

  const stopForecasts = issueForecastsEvery(controller, store, now, {
    everyWallMs: FORECAST_EVERY_S * 1000 * wallPerClock,
    // The first forecast as soon as the loop has seen the district once.
    firstAfterWallMs: opts.cycleS * 1000 * wallPerClock * 2,
    log,
  });

  const { api, apiWorker } = await startApi(opts, { loop, store, loaded, storeUrl, now, log, parseStoreUrl });
  const address = api.address;
  announce(opts, address, drivers.length, log);

  return {
    log,
    loop,
    controller,
    shadow,
    jobs,
    store,
    twin,
    drivers,
    address,
    /** The API's worker thread (absent when the API runs inline). */
    apiWorker,
    async stop() {
      stopForecasts();
      loop.stop();
      controller.stop();
      // Each part gets a bounded time to let go, so one stuck connection cannot hold the rest, and
      // buffered telemetry, events and audit reach the store before it closes.
      const parts: [string, () => Promise<unknown>][] = [
        ['api', () => api.close()],
        ['fleet edge', async () => edge && (await edge.flush(), await edge.stop())],
        ['loop', () => loop.close()],
        ['drivers', () => Promise.all(drivers.map((d) => d.stop().catch(() => undefined)))],
        ['twin', async () => twin?.stop()],
        ['planner worker', () => shutdownPlannerWorker()],
        ['shadow controllers', () => shadow.close()],
        ['store', () => store.close()],
      ];
      for (const [what, stopPart] of parts) await boundedStep(what, stopPart(), log);
    },
  };
}

/** The chargers the OCPP devices declare, so the loop can check an override against its connector. */
function ocppChargers(deviceConfigs: unknown[]) {
  return deviceConfigs.flatMap((c) => {
    const d = c as {
      type?: string;
      charge_points?: { id: string; asset: string; connectors?: number; v2g?: boolean }[];
    };
    return d.type === 'ocpp'
      ? (d.charge_points ?? []).map((cp) => ({
          assetId: cp.asset,
          chargerId: cp.id,
          connectors: cp.connectors ?? 1,
          v2g: cp.v2g ?? false,
        }))
      : [];
  });
}

/** Waits for one part of a stop at most STOP_STEP_TIMEOUT_MS, and says so when it did not finish. */
async function boundedStep(what: string, p: Promise<unknown>, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_STEP_TIMEOUT_MS)));
  const r = await Promise.race([p.catch(() => undefined), late]);
  clearTimeout(timer);
  if (r === 'late')
    log.warn({ part: what, afterMs: STOP_STEP_TIMEOUT_MS }, 'stop: part did not finish in time');
}

/**
 * Forecasts of every PV array and fixed load, the ones the planner uses, issued now and then on a
 * period of clock time and stored for the API and the dashboard. Returns the function that stops it.
 */
function issueForecastsEvery(
  controller: LiveController,
  store: Store,
  now: () => number,
  o: { everyWallMs: number; firstAfterWallMs: number; log: Logger },
): () => void {
  const issue = async () => {
    try {
      const lv = controller.view();
      if (!lv) return;
      const issueMs = now();
      const stepMs = lv.view.district.grid.intervalMinutes * 60_000;
      const steps = Math.round((FORECAST_HORIZON_HOURS * 3_600_000) / stepMs);
      const d = lv.view.district;
      const horizonEnd = d.grid.startMs + d.grid.count * stepMs;
      const n = Math.min(steps, Math.floor((horizonEnd - lv.view.timeMs) / stepMs));
      if (n < 1) return;
      const pv = controller.forecast.pvAvailableKw(lv.view, n);
      const units = [
        ...d.pv.map((u, k) => ({ id: u.id, target: 'pv_power_kw', p50: pv[k] })),
        ...d.loads.map((u) => ({
          id: u.id,
          target: 'load_power_kw',
          p50: controller.forecast.loadSeries(d, u.id, lv.view, n),
        })),
      ];
      for (const u of units)
        await store.addForecast({
          issuedMs: issueMs,
          assetId: u.id,
          target: u.target,
          model: controller.forecast.models.get(u.id) ?? 'persistence',
          startMs: lv.view.timeMs,
          intervalMs: stepMs,
          quantiles: { p50: u.p50 },
        });
    } catch (e) {
      o.log.warn({ err: (e as Error).message }, 'forecast not issued');
    }
  };
  const timer = setInterval(() => void issue(), o.everyWallMs);
  timer.unref();
  const first = setTimeout(() => void issue(), o.firstAfterWallMs);
  first.unref();
  return () => {
    clearInterval(timer);
    clearTimeout(first);
  };
}

/**
 * The HTTP API: in a worker thread of its own (so API load cannot delay control), or on the control
 * thread with --api-inline or an in-memory store (a worker cannot open the same in-memory database).
 */
async function startApi(
  opts: ServeOptions,
  c: {
    loop: ControlLoop;
    store: Store;
    loaded: LoadedScenario;
    storeUrl: string | undefined;
    now: () => number;
    log: Logger;
    parseStoreUrl: typeof import('../store/index.ts').parseStoreUrl;
  },
): Promise<{ api: { address: string; close(): Promise<unknown> }; apiWorker?: ApiWorkerHandle }> {
  const { ensureWebBuild } = await import('./web-build.ts');
  const webRoot = await ensureWebBuild(c.log);
  // createServer refuses one without the other.
  const tls =
    opts.tlsCert || opts.tlsKey ? { certFile: opts.tlsCert ?? '', keyFile: opts.tlsKey ?? '' } : undefined;
  const loc = c.parseStoreUrl(c.storeUrl, c.loaded.baseDir);
  const inMemory = loc.dialect === 'sqlite' && loc.file === ':memory:';
  if (inMemory && !opts.apiInline)
    c.log.warn(
      'in-memory store: the API runs on the control thread (a worker cannot open the same database)',
    );
  if (opts.apiInline || inMemory) {
    const { createServer } = await import('../server/index.ts');
    const app = await createServer({
      live: c.loop,
      store: c.store,
      scenario: c.loaded,
      logger: c.log,
      now: c.now,
      webRoot,
      trustProxy: opts.trustProxy,
      tls,
    });
    const address = await app.listen({ port: opts.port, host: opts.host });
    return { api: { address, close: () => app.close() } };
  }
  const { startApiWorker } = await import('../server/api-host.ts');
  const apiWorker = await startApiWorker({
    live: c.loop,
    now: c.now,
    clockPerWall: opts.twin ? opts.speed : 1,
    log: c.log,
    scenarioFile: c.loaded.file,
    storeUrl: c.storeUrl,
    storeBaseDir: c.loaded.baseDir,
    host: opts.host,
    port: opts.port,
    webRoot,
    trustProxy: opts.trustProxy,
    tls,
  });
  return { api: apiWorker, apiWorker };
}

/** A job the twin's data-center team submits, through the job book like any other (audited as the team). */
async function submitTwinJob(
  jobs: JobBook,
  j: {
    id: string;
    datacenterId: string;
    gpus: number;
    gpuHours: number;
    earliestStartMs: number;
    deadlineMs: number;
  },
): Promise<string> {
  const job = await jobs.submit(
    {
      datacenterId: j.datacenterId,
      name: j.id,
      gpus: j.gpus,
      gpuHours: j.gpuHours,
      earliestStartMs: j.earliestStartMs,
      deadlineMs: j.deadlineMs,
    },
    TWIN_DC_TEAM,
  );
  return job.id;
}

/** This site as an edge of a fleet backend (docs/fleet.md); its commands go through the loop. */
async function fleetEdge(
  opts: ServeOptions,
  loaded: LoadedScenario,
  log: Logger,
  loop: () => ControlLoop,
  now: () => number,
  store: Store,
): Promise<FleetEdge> {
  if (!opts.edgeId) throw new UsageError("--backend needs --edge-id (this site's id at the backend)");
  const { FleetEdge } = await import('../fleet/edge.ts');
  return new FleetEdge({
    edgeId: opts.edgeId,
    natsUrl: opts.backend!,
    outboxFile: join(loaded.baseDir, '.bitgrid', `fleet-outbox-${opts.edgeId}.db`),
    namespace: opts.fleetNamespace,
    log,
    now,
    // Each share the edge applies (a feeder's, or of the fleet's OpenADR event) goes in the site's audit log.
    audit: (e) => store.appendAudit({ ...e, actor: 'fleet-backend', role: 'operator' }),
    onCommand: async (cmd) => {
      const actor = { id: 'fleet-backend', role: 'operator' } as const;
      if (cmd.kind === 'override.set')
        await loop().setOverride({ ...cmd.override, kind: cmd.override.kind as SetpointKind }, actor);
      else if (cmd.kind === 'override.clear') await loop().clearOverride(cmd.overrideId, actor);
      // import_limit.*: the edge holds the share itself (edge.importLimit, a signal source of the loop).
    },
  });
}

/** The site's KPI summary and plan in force, sent up (src/fleet/site.ts). */
async function siteUpstream(
  edge: FleetEdge,
  scenario: LoadedScenario['scenario'],
  loop: ControlLoop,
  controller: LiveController,
  store: Store,
  log: Logger,
) {
  const { SiteUpstream } = await import('../fleet/site.ts');
  return new SiteUpstream({
    timezone: scenario.timezone,
    snapshot: () => loop.snapshot(),
    plannerStatus: () => controller.status(),
    schedule: (id) => store.getSchedule(id),
    publishKpi: (k) => edge.publishKpi(k),
    publishSchedule: (s) => edge.publishSchedule(s),
    log,
  });
}

/** What this site tells its feeder's coordinator each cycle (src/fleet/site.ts). */
async function siteReporter(
  edge: FleetEdge,
  opts: ServeOptions,
  scenario: LoadedScenario['scenario'],
  loop: () => ControlLoop,
) {
  const { SiteReporter } = await import('../fleet/site.ts');
  return new SiteReporter({
    connectionLimitKw: scenario.grid.import_limit_kw,
    valueKrwPerKwh: (t) => opts.flexValueKrwPerKwh ?? loop().demand.tariff.importPriceKrwPerKwh(t),
    guards: () => loop().guards,
    overrides: () => loop().overrides(),
    publish: (r) => edge.publishReport(r),
  });
}

function announce(opts: ServeOptions, address: string, devices: number, log: Logger): void {
  log.info(
    { address, twin: Boolean(opts.twin), speed: opts.speed, devices, strategy: opts.strategy },
    'bitgrid serving',
  );
  process.stdout.write(
    `bitgrid serving on ${address}${opts.twin ? ` (twin, ${opts.speed}× real time)` : ''}\n`,
  );
}

/** The live stack (protocol drivers, store, twins) loads only when serving, not for every command. */
async function loadLiveStack() {
  const [drivers, store, loop, jobs, live, planner, twins] = await Promise.all([
    import('../drivers/index.ts'),
    import('../store/index.ts'),
    import('../control/loop.ts'),
    import('../control/jobs.ts'),
    import('../live/controller.ts'),
    import('../optimize/worker.ts'),
    import('../twin/district.ts'),
  ]);
  return {
    defaultRegistry: drivers.defaultRegistry,
    openStore: store.openStore,
    parseStoreUrl: store.parseStoreUrl,
    ControlLoop: loop.ControlLoop,
    JobBook: jobs.JobBook,
    LiveController: live.LiveController,
    solveHorizonInWorker: planner.solveHorizonInWorker,
    shutdownPlannerWorker: planner.shutdownPlannerWorker,
    connectChargePoints: twins.connectChargePoints,
    startTwinDistrict: twins.startTwinDistrict,
  };
}

/** What the loop hands the fleet edge: every accepted measurement and every event. */
function edgeTap(edge: FleetEdge): NonNullable<ControlLoopOptions['tap']> {
  return {
    telemetry: (points) => edge.publishTelemetry(points),
    event: (e) => edge.publishEvent(e),
  };
}
