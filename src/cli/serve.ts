import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE, ConfigError } from '../model/load.ts';
import type { Driver } from '../drivers/types.ts';
import type { TwinDistrict } from '../sim/twins/district.ts';

/** Defaults of the live loop, in clock (simulated) seconds; see docs/operations.md. */
const DEFAULT_CYCLE_S = 60;
const DEFAULT_STALE_S = 300;
const DEFAULT_TWIN_DAYS = 2;
const FORECAST_HORIZON_HOURS = 48;
const FORECAST_EVERY_S = 3600;

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
  days: number;
  strategy: string;
  db?: string;
  cycleS: number;
  staleS: number;
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
    .option('--days <n>', 'twin: days of simulated time prepared', positive('--days'), DEFAULT_TWIN_DAYS)
    .option('--strategy <name>', 'strategy that plans the schedule', 'rules')
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
    .action(async (opts: ServeOptions) => {
      const running = await startServe(opts);
      const stop = async (signal: string) => {
        running.log.info({ signal }, 'stopping');
        await running.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

export async function startServe(opts: ServeOptions) {
  // The live stack (protocol drivers, store, twins) loads only when serving, not for every command.
  const [
    { prepareDistrict },
    { runSimulation },
    { getStrategy },
    { defaultRegistry },
    { openStore },
    { ControlLoop, GRID_ASSET_ID },
    { planDispatcher },
    { connectChargePoints, startTwinDistrict },
  ] = await Promise.all([
    import('../sim/district.ts'),
    import('../sim/engine.ts'),
    import('../strategy/index.ts'),
    import('../drivers/index.ts'),
    import('../store/index.ts'),
    import('../control/loop.ts'),
    import('../control/plan.ts'),
    import('../sim/twins/district.ts'),
  ]);
  const log = pino(
    {
      level: process.env.BITGRID_LOG_LEVEL ?? 'info',
      redact: ['*.client_secret', '*.password', '*.token', 'req.headers.authorization'],
    },
    pino.destination(2),
  );
  const loaded = loadScenarioFile(opts.scenario);
  const scenario = loaded.scenario;
  const registry = defaultRegistry();
  const store = await openStore(opts.db ?? process.env.BITGRID_DATABASE_URL, { baseDir: loaded.baseDir });
  const district = prepareDistrict(scenario, {
    start: opts.start,
    days: Math.ceil(opts.days),
    baseDir: loaded.baseDir,
  });
  const plan = runSimulation(district, getStrategy(opts.strategy)(district));

  let twin: TwinDistrict | undefined;
  let deviceConfigs: unknown[] = scenario.devices;
  let now = () => Date.now();
  if (opts.twin) {
    twin = await startTwinDistrict({ district, plan, speed: opts.speed });
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

  const loop = new ControlLoop({
    scenario,
    drivers,
    store,
    dispatcher: planDispatcher(district, plan),
    now,
    staleAfterMs: opts.staleS * 1000,
    importPriceKrwPerKwh: (t) =>
      district.prices.importPriceKrwPerKwh[
        Math.max(
          0,
          Math.min(
            district.grid.count - 1,
            Math.floor((t - district.grid.startMs) / (district.grid.intervalMinutes * 60_000)),
          ),
        )
      ],
    log,
  });
  // The plan is the schedule in force: stored (per asset, kW per interval, natural signs) for the
  // API and the dashboard.
  const stepMs = district.grid.intervalMinutes * 60_000;
  await store.addSchedule({
    createdMs: now(),
    startMs: district.grid.startMs,
    endMs: district.grid.startMs + district.grid.count * stepMs,
    strategy: plan.strategy,
    status: 'active',
    payload: {
      intervalMinutes: district.grid.intervalMinutes,
      assets: Object.fromEntries(
        [...plan.series.byAsset, [GRID_ASSET_ID, plan.series.gridKw] as const].map(([id, kw]) => [
          id,
          Array.from(kw, (v) => Math.round(v * 10) / 10),
        ]),
      ),
    },
  });
  await loop.restore();
  loop.start((opts.cycleS * 1000) / (opts.twin ? opts.speed : 1));

  // Forecasts of every PV array and fixed load (P10/P50/P90) from the learned forecasters, issued
  // now and every FORECAST_EVERY_S of clock time, stored for the API and the dashboard.
  const { createDistrictForecaster } = await import('../forecast/index.ts');
  const forecaster = createDistrictForecaster(district, { baseDir: loaded.baseDir });
  const issueForecasts = async () => {
    try {
      const issueMs = now();
      const endMs = district.grid.startMs + district.grid.count * district.grid.intervalMinutes * 60_000;
      const hours = Math.min(FORECAST_HORIZON_HOURS, Math.floor((endMs - issueMs) / 3_600_000));
      if (hours < 1) return;
      const f = forecaster.forecast(issueMs, hours);
      const units = [
        ...f.pv.map((u) => ({ u, target: 'pv_power_kw' })),
        ...f.loads.map((u) => ({ u, target: 'load_power_kw' })),
      ];
      for (const { u, target } of units)
        await store.addForecast({
          issuedMs: issueMs,
          assetId: u.id,
          target,
          model: 'learned',
          startMs: u.startMs,
          intervalMs: u.intervalMinutes * 60_000,
          quantiles: { p10: u.p10, p50: u.p50, p90: u.p90 },
        });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'forecast not issued');
    }
  };
  await issueForecasts();
  const forecastTimer = setInterval(
    () => void issueForecasts(),
    (FORECAST_EVERY_S * 1000) / (opts.twin ? opts.speed : 1),
  );
  forecastTimer.unref();

  const { createServer } = await import('../server/index.ts');
  const { ensureWebBuild } = await import('./web-build.ts');
  const webRoot = await ensureWebBuild(log);
  const app = await createServer({ live: loop, store, scenario: loaded, logger: log, now, webRoot });
  const address = await app.listen({ port: opts.port, host: opts.host });
  log.info(
    { address, twin: Boolean(opts.twin), speed: opts.speed, devices: drivers.length },
    'bitgrid serving',
  );
  process.stdout.write(
    `bitgrid serving on ${address}${opts.twin ? ` (twin, ${opts.speed}× real time)` : ''}\n`,
  );

  return {
    log,
    loop,
    store,
    twin,
    drivers,
    address,
    app,
    async stop() {
      clearInterval(forecastTimer);
      loop.stop();
      await app.close().catch(() => undefined);
      await Promise.all(drivers.map((d) => d.stop().catch(() => undefined)));
      await twin?.stop();
      await store.close();
    },
  };
}
