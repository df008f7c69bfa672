import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { SERVE_LOG_REDACT } from '../server/logging.ts';
import { parseFeederOption, type FeederConfig } from '../fleet/coordinator.ts';

// `bitgrid backend`: the fleet backend (docs/fleet.md). It takes what every edge (`serve --backend`)
// sends from NATS JetStream into PostgreSQL, with the site as the first key of every table, until it
// is stopped; what arrives meanwhile waits in JetStream.

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
    .action(
      async (opts: {
        nats: string;
        db: string;
        schema: string;
        namespace: string;
        feeder: FeederConfig[];
      }) => {
        const { FleetBackend } = await import('../fleet/backend.ts');
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
          log,
        });
        await backend.start();
        process.stdout.write(`bitgrid backend: taking namespace "${opts.namespace}" from ${opts.nats}\n`);
        for (const f of opts.feeder)
          process.stdout.write(`  feeder ${f.id}: ${f.capKw} kW shared by ${f.sites.join(', ')}\n`);
        const timer = setInterval(() => log.info(backend.stats(), 'fleet backend'), REPORT_EVERY_MS);
        const stop = async () => {
          clearInterval(timer);
          await backend.stop();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
}
