import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { SERVE_LOG_REDACT } from '../server/logging.ts';
import { UsageError } from './errors.ts';
import { parseFeederOption, type FeederConfig } from '../fleet/coordinator.ts';

// `bitgrid backend`: the fleet backend (docs/fleet.md). It takes what every edge (`serve --backend`)
// sends from NATS JetStream into PostgreSQL, with the site as the first key of every table, until it
// is stopped; what arrives meanwhile waits in JetStream.

const MAX_PORT = 65_535;

/** How often the backend logs what it has taken, ms. */
const REPORT_EVERY_MS = 60_000;

function collectFeeder(v: string, prev: FeederConfig[]): FeederConfig[] {
  try {
    const f = parseFeederOption(v);
    if (prev.some((p) => p.id === f.id)) throw new Error(`feeder "${f.id}" is given twice`);
    return [...prev, f];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function backendCommand(): Command {
  return new Command('backend')
    .description(
      'Run the fleet backend: telemetry and events of every edge from NATS JetStream into PostgreSQL.',
    )
    .requiredOption(
      '--nats <url>',
      'NATS server with JetStream (nats://host:port, comma-separated for a cluster)',
    )
    .requiredOption('--db <url>', 'PostgreSQL: postgres://…')
    .option('--schema <name>', 'PostgreSQL schema of the fleet tables', 'fleet')
    .option('--namespace <name>', 'subject and stream namespace shared with the edges', 'bitgrid')
    .option(
      '--feeder <id=capKw:sites>',
      'coordinate a shared import cap: <id>=<cap kW>:<edge>,<edge>,… (repeatable), e.g. f1=9000:a,b,c',
      collectFeeder,
      [] as FeederConfig[],
    )
    .option('--http-port <n>', 'serve the read-only fleet API on this port (0 picks a free one)', port)
    .option('--http-host <addr>', 'interface of the fleet API', '127.0.0.1')
    .option('--tokens <file>', 'fleet API bearer tokens: JSON [{ name, sha256, sites: "*" | [ids] }]')
    .option(
      '--openadr-ven <file>',
      'act as one OpenADR 3 VEN for the fleet: JSON { ven: <openadr_ven device config>, sites: [ids] }, each event split among the sites',
    )
    .action(
      async (opts: {
        nats: string;
        db: string;
        schema: string;
        namespace: string;
        feeder: FeederConfig[];
        httpPort?: number;
        httpHost: string;
        tokens?: string;
        openadrVen?: string;
      }) => {
        if (opts.httpPort !== undefined && !opts.tokens)
          throw new UsageError('--http-port needs --tokens (the API answers bearer tokens only)');
        const { FleetBackend } = await import('../fleet/backend.ts');
        const { createFleetApi, loadTokensFile } = await import('../fleet/api.ts');
        // Checked before anything connects: a bad tokens file stops the command at once.
        let tokens;
        try {
          tokens = opts.tokens ? loadTokensFile(opts.tokens) : undefined;
        } catch (e) {
          throw new UsageError(`--tokens ${(e as Error).message}`);
        }
        const ven = opts.openadrVen ? await readVenFile(opts.openadrVen) : undefined;
        const log = pino(
          { level: process.env.BITGRID_LOG_LEVEL ?? 'info', redact: SERVE_LOG_REDACT },
          pino.destination(2),
        );
        const backend = new FleetBackend({
          natsUrl: opts.nats,
          pgUrl: opts.db,
          pgSchema: opts.schema,
          namespace: opts.namespace,
          feeders: opts.feeder,
          ven,
          log,
        });
        await backend.start();
        process.stdout.write(`bitgrid backend: taking namespace "${opts.namespace}" from ${opts.nats}\n`);
        for (const f of opts.feeder)
          process.stdout.write(`  feeder ${f.id}: ${f.capKw} kW shared by ${f.sites.join(', ')}\n`);
        // The fleet dashboard (web/fleet.html) comes with the API when the dashboard is built.
        const webRoot = tokens ? await (await import('./web-build.ts')).ensureWebBuild(log) : undefined;
        const api = tokens ? createFleetApi({ reader: backend, tokens, webRoot }) : undefined;
        if (api) {
          const address = await api.listen({ port: opts.httpPort, host: opts.httpHost });
          process.stdout.write(`  fleet API on ${address}/fleet (${tokens!.length} token(s))\n`);
        }
        const timer = setInterval(() => log.info(backend.stats(), 'fleet backend'), REPORT_EVERY_MS);
        const stop = async () => {
          clearInterval(timer);
          await api?.close();
          await backend.stop();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
}

/** The fleet VEN's file (src/fleet/ven.ts fleetVenConfigSchema), checked before anything connects. */
async function readVenFile(file: string) {
  const { readFileSync } = await import('node:fs');
  const { fleetVenConfigSchema } = await import('../fleet/ven.ts');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--openadr-ven ${file}: not readable JSON (${(e as Error).message})`);
  }
  const r = fleetVenConfigSchema.safeParse(json);
  if (!r.success)
    throw new UsageError(
      `--openadr-ven ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

/** A TCP port, 0–65535. */
function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_PORT)
    throw new InvalidArgumentError(`port must be an integer 0–${MAX_PORT}, got "${v}"`);
  return n;
}

/**
 * `bitgrid worker`: a simulation worker of the fleet (src/fleet/sim-jobs.ts), taking one job at a
 * time from the namespace's JetStream work queue until stopped. (Listed in commands.ts to be run.)
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description("Run a simulation worker: jobs from the fleet's NATS JetStream work queue, one at a time.")
    .requiredOption(
      '--nats <url>',
      'NATS server with JetStream (nats://host:port, comma-separated for a cluster)',
    )
    .requiredOption('--worker-id <id>', 'this worker\'s name (letters, digits, "_", "-")')
    .option('--namespace <name>', 'subject and stream namespace shared with the backend', 'bitgrid')
    .action(async (opts: { nats: string; workerId: string; namespace: string }) => {
      const { SimWorker } = await import('../fleet/sim-jobs.ts');
      const log = pino({ level: process.env.BITGRID_LOG_LEVEL ?? 'info' }, pino.destination(2));
      let worker;
      try {
        worker = new SimWorker({
          natsUrl: opts.nats,
          workerId: opts.workerId,
          namespace: opts.namespace,
          log,
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      await worker.start();
      process.stdout.write(
        `bitgrid worker ${opts.workerId}: taking simulation jobs of "${opts.namespace}"\n`,
      );
      const stop = async () => {
        await worker.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
