import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import type { Logger } from 'pino';
import type { ControlLoop } from '../control/loop.ts';
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
import type { Driver } from '../drivers/types.ts';
import type { TwinDistrict, TwinJobSubmission } from '../twin/district.ts';
import { edgeTap, fleetEdge, siteReporter, siteUpstream } from './serve-fleet.ts';

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
/** The name under which the planner worker keeps the live re-plans' last basis (worker.ts `warmStart`). */
const LIVE_PLAN_SERIES = 'live';
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
  const stack = await loadLiveStack();
  const log = serveLogger();
  // Checked before anything starts, so a half-given TLS pair never leaves devices connected.
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
    throw new InvalidArgumentError('--tls-cert and --tls-key go together: give both or neither');
  const site = await openSite(opts, stack, log);
  const { loaded, store, now } = site;
  const drivers = await startDrivers(opts, site, stack, log);

  // A fleet edge: the site decides on its own whatever happens upstream; the edge only reports and
  // takes commands, through an outbox on disk beside the store. Its commands reach the loop, which
  // is made after it.
  const late: { loop?: ControlLoop } = {};
  const edge = opts.backend
    ? await fleetEdge(opts, loaded, log, (): ControlLoop => late.loop!, now, store)
    : undefined;
  // Its feeder share reaches the loop as an import limit signal, beside the grid operator's.
  if (edge) drivers.push(edge.importLimit);

  const wallPerClock = opts.twin ? 1 / opts.speed : 1;
  const { shadow, controller } = await startController(opts, site, stack, wallPerClock, log);
  const loop = await makeLoop(opts, site, { stack, drivers, edge, controller, log });
  late.loop = loop;
  edge?.start();
  loop.start(opts.cycleS * 1000 * wallPerClock);

  const stopForecasts = issueForecastsEvery(controller, store, now, {
    everyWallMs: FORECAST_EVERY_S * 1000 * wallPerClock,
    // The first forecast as soon as the loop has seen the district once.
    firstAfterWallMs: opts.cycleS * 1000 * wallPerClock * 2,
    log,
  });

  const { api, apiWorker } = await startApi(opts, {
    loop,
    store,
    loaded,
    storeUrl: site.storeUrl,
    now,
    log,
    parseStoreUrl: stack.parseStoreUrl,
  });
  const address = api.address;
  announce(opts, address, drivers.length, log);

  return {
    log,
    loop,
    controller,
    shadow,
    jobs: site.jobs,
    store,
    twin: site.twin,
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
        ['twin', async () => site.twin?.stop()],
        ['planner worker', () => stack.shutdownPlannerWorker()],
        ['shadow controllers', () => shadow.close()],
        ['store', () => store.close()],
      ];
      for (const [what, stopPart] of parts) await boundedStep(what, stopPart(), log);
    },
  };
}

/** JSON lines on stderr, at BITGRID_LOG_LEVEL (default info), secrets redacted. */
function serveLogger(): Logger {
  return pino(
    { level: process.env.BITGRID_LOG_LEVEL ?? 'info', redact: SERVE_LOG_REDACT },
    pino.destination(2),
  );
}

type LiveStack = Awaited<ReturnType<typeof loadLiveStack>>;
type Site = Awaited<ReturnType<typeof openSite>>;

/**
 * The scenario, the store, the job book and, with --twin, the digital twin whose devices the
 * drivers talk to; `now` is the twin's clock then, else the wall clock.
 */
async function openSite(opts: ServeOptions, stack: LiveStack, log: Logger) {
  const loaded = loadScenarioFile(opts.scenario);
  const scenario = loaded.scenario;
  const storeUrl = opts.db ?? process.env.BITGRID_DATABASE_URL;
  const store = await stack.openStore(storeUrl, { baseDir: loaded.baseDir });
  let twin: TwinDistrict | undefined;
  let deviceConfigs: unknown[] = scenario.devices;
  let now = () => Date.now();
  // The job book exists before the twin, whose data-center team submits through it; its clock is the
  // twin's once there is one.
  const jobs = new stack.JobBook({ store, now: () => now(), scenario, log });
  await jobs.restore();
  if (opts.twin) {
    twin = await stack.startTwinDistrict({
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
  return { loaded, scenario, storeUrl, store, jobs, twin, deviceConfigs, now };
}

/** A driver for each device the site (or its twin) lists, checked first and then started. */
async function startDrivers(
  opts: ServeOptions,
  site: Site,
  stack: LiveStack,
  log: Logger,
): Promise<Driver[]> {
  const registry = stack.defaultRegistry();
  const problems = registry.validateDeviceConfig(site.deviceConfigs);
  if (problems.length) throw new ConfigError(site.loaded.file, problems);
  if (!opts.twin && site.deviceConfigs.length === 0)
    log.warn(
      'the scenario lists no devices: the loop runs without telemetry (use --twin for the digital twin)',
    );
  const ctx = { log, now: site.now };
  const drivers: Driver[] = site.deviceConfigs.map((c) => registry.createDriver(c, ctx));
  await Promise.all(drivers.map((d) => d.start()));
  if (site.twin) await stack.connectChargePoints(site.twin, Math.max(20, 1000 / opts.speed));
  return drivers;
}

/** What decides (the live controller, its strategy and planner) and the outside controllers it shadows. */
async function startController(
  opts: ServeOptions,
  site: Site,
  stack: LiveStack,
  wallPerClock: number,
  log: Logger,
) {
  const { scenario, store, now } = site;
  // Outside controllers in shadow mode (docs/testbed.md), registered through the API.
  const { ShadowRunner, testbedChannelName } = await import('../live/shadow.ts');
  const shadow = new ShadowRunner({
    scenario,
    store,
    now,
    forecast: (): Forecast => controller.forecast,
    log,
    channel: testbedChannelName(site.loaded.file),
  });
  const controller = new stack.LiveController({
    scenario,
    baseDir: site.loaded.baseDir,
    strategy: opts.strategy,
    store,
    now,
    wallPerClockMs: wallPerClock,
    jobs: site.jobs,
    replanEveryMs: opts.replanMin * 60_000,
    horizonHours: opts.horizonH,
    solveBudgetMs: opts.solveBudgetS !== undefined ? opts.solveBudgetS * 1000 : undefined,
    // Relax and branch first: the whole-job binaries of the interval carried out cost about an LP.
    // Each re-plan starts from the last one's basis (the worker keeps it under this series' name).
    solver: (problem, budgetMs, signal) =>
      stack.solveHorizonInWorker(
        problem,
        { budgetMs, relaxBranch: true, warmStart: LIVE_PLAN_SERIES },
        signal,
      ),
    shadow,
    log,
  });
  await controller.restore();
  return { shadow, controller };
}

/** The control loop, restored but not yet started; a fleet edge reports through it. */
async function makeLoop(
  opts: ServeOptions,
  site: Site,
  p: { stack: LiveStack; drivers: Driver[]; edge?: FleetEdge; controller: LiveController; log: Logger },
): Promise<ControlLoop> {
  const { scenario, store } = site;
  const edge = p.edge;
  const loop = new p.stack.ControlLoop({
    scenario,
    drivers: p.drivers,
    store,
    dispatcher: edge
      ? (await siteReporter(edge, opts, scenario, (): ControlLoop => loop)).wrap(p.controller)
      : p.controller,
    planner: p.controller,
    chargers: ocppChargers(site.deviceConfigs),
    jobs: site.jobs,
    now: site.now,
    staleAfterMs: opts.staleS * 1000,
    log: p.log,
    ...(edge ? { tap: edgeTap(edge) } : {}),
  });
  await loop.restore();
  // The site's KPIs and plan in force go up too, after each cycle.
  if (edge) {
    const up = await siteUpstream(edge, scenario, loop, p.controller, store, p.log);
    loop.subscribe(() => up.tick());
  }
  return loop;
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
async function submitTwinJob(jobs: JobBook, j: TwinJobSubmission): Promise<string> {
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
