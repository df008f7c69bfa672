import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE, type LoadedScenario } from '../model/load.ts';
import { MAX_SIMULATION_DAYS } from '../model/schema.ts';
import { strategyNames } from '../scenario/strategies.ts';
import { runSummary, simulateScenario } from '../scenario/run.ts';
import { kpiTable } from '../report/table.ts';
import { renderReport } from '../report/html.ts';
import { timeseriesCsv, trainingJobsCsv } from '../report/csv.ts';
import { ledgerFiles } from '../report/ledger-files.ts';
import { createProgress } from './progress.ts';
import { formatInputReport } from '../sim/inputs/index.ts';
import { registerControllerStrategies } from '../testbed/register.ts';
import { UsageError } from './errors.ts';

/**
 * The strategies a plain `simulate` runs: the ones that answer in seconds. The optimizing ones
 * (`optimal`, `oracle`) solve a MILP every hour and take minutes for a week; ask for them by name.
 */
const DEFAULT_STRATEGIES = strategyNames().filter((n) => n === 'none' || n === 'rules');

function positiveInt(name: string, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0 || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    return n;
  };
}

function isoDate(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v)))
    throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return v;
}

/**
 * The district with one data center's training jobs read from `spec`: `<file>` where the district
 * has one data center, `<datacenter-id>=<file>` for any. The file is a job trace
 * (docs/simulation.md), such as one strategy's rows of an earlier run's jobs.csv; a path is taken
 * from the working directory, as on any command line.
 */
export function withJobTrace(loaded: LoadedScenario, spec: string): LoadedScenario {
  const scenario = structuredClone(loaded.scenario);
  const datacenters = scenario.sites.flatMap((s) => s.assets.filter((a) => a.type === 'datacenter'));
  const ids = datacenters.map((a) => a.id);
  if (datacenters.length === 0) throw new UsageError(`--job-trace: ${loaded.file} has no data center`);
  const eq = spec.indexOf('=');
  const named = eq > 0 && ids.includes(spec.slice(0, eq)) ? spec.slice(0, eq) : undefined;
  const file = named ? spec.slice(eq + 1) : spec;
  if (!file) throw new UsageError('--job-trace: a file is needed');
  if (!named && datacenters.length > 1)
    throw new UsageError(
      `--job-trace: ${loaded.file} has ${datacenters.length} data centers; name one as <id>=<file> (${ids.join(', ')})`,
    );
  datacenters[named ? ids.indexOf(named) : 0].job_trace = resolve(file);
  return { ...loaded, scenario };
}

export function simulateCommand(): Command {
  // Errors are thrown to main.ts (exit code 2 for bad arguments) rather than exiting here.
  return new Command('simulate')
    .showHelpAfterError()
    .exitOverride()
    .description('Simulate a district under each strategy and report what each costs and saves.')
    .option('--scenario <file>', 'district file (YAML)', REFERENCE_SCENARIO_FILE)
    .option('--start <date>', "first local day YYYY-MM-DD (default: the scenario's default_start)", isoDate)
    .option('--days <n>', 'days to simulate', positiveInt('--days', MAX_SIMULATION_DAYS), 7)
    .option(
      '--strategies <list>',
      `comma-separated strategies (available: ${strategyNames().join(', ')}; default: ${DEFAULT_STRATEGIES.join(',')})`,
    )
    .option(
      '--job-trace <[id=]file>',
      "replay these training jobs (a job trace, or one strategy's rows of a jobs.csv) instead of the data center's own",
    )
    .option('--seed <n>', 're-draw weather, sessions and jobs with this seed', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new InvalidArgumentError('--seed must be a whole number');
      return n;
    })
    .option(
      '--out <dir>',
      'write report.html, kpis.json, timeseries.csv, jobs.csv and ledger-<strategy>.csv/.json here',
    )
    .addOption(new Option('--json', 'print one JSON document on stdout instead of the table'))
    .action(
      async (opts: {
        scenario: string;
        start?: string;
        days: number;
        strategies?: string;
        seed?: number;
        jobTrace?: string;
        out?: string;
        json?: boolean;
      }) => {
        const asked = opts.strategies
          ? opts.strategies
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : DEFAULT_STRATEGIES;
        // Paths and URLs are outside controllers (docs/testbed.md), registered under a name fit for
        // file names (the module's file name, or the URL's host and port).
        const controllers = registerControllerStrategies(asked);
        const strategies = controllers.names;
        const known = strategyNames();
        const unknown = (strategies ?? []).filter((s) => !known.includes(s));
        if (unknown.length)
          throw new UsageError(
            `unknown strategy ${unknown.map((u) => `"${u}"`).join(', ')} (available: ${known.join(', ')})`,
          );
        const file = loadScenarioFile(opts.scenario);
        const loaded = opts.jobTrace ? withJobTrace(file, opts.jobTrace) : file;
        const progress = createProgress();
        const run = simulateScenario({
          loaded,
          start: opts.start,
          days: opts.days,
          strategies,
          seed: opts.seed,
          onProgress: (name, done, total) => progress.update(name, done, total),
        });
        progress.stop();
        // What each measured input file became, and what was fixed on the way.
        for (const r of run.district.inputReports ?? []) process.stderr.write(formatInputReport(r) + '\n');
        const controllerStats = await controllers.close();
        const summary = {
          ...runSummary(run),
          ...(controllerStats.length ? { controllers: controllerStats } : {}),
        };
        if (opts.out) {
          const dir = resolve(opts.out);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'kpis.json'), JSON.stringify(summary, null, 2) + '\n');
          writeFileSync(join(dir, 'timeseries.csv'), timeseriesCsv(run));
          if (run.runs.some((r) => r.result.trainingJobs.length > 0))
            writeFileSync(join(dir, 'jobs.csv'), trainingJobsCsv(run));
          writeFileSync(join(dir, 'report.html'), renderReport(run));
          for (const f of ledgerFiles(run)) writeFileSync(join(dir, f.name), f.text);
        }
        if (opts.json) {
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else {
          process.stdout.write(
            `${run.scenarioName}\n${run.start}, ${run.days} day(s) at ${run.intervalMinutes} min, tariff ${run.tariffSchedules.join(' + ')}\n\n`,
          );
          process.stdout.write(kpiTable(run.runs) + '\n');
          const more = strategyNames().filter((n) => !run.runs.some((r) => r.strategy === n));
          if (more.length)
            process.stdout.write(
              `\nAlso available: ${more.join(', ')} (--strategies ${[...run.runs.map((r) => r.strategy), ...more].join(',')})\n`,
            );
          if (opts.out) process.stdout.write(`\nReport: ${join(resolve(opts.out), 'report.html')}\n`);
          for (const c of controllerStats)
            process.stdout.write(
              `\n${c.label}: ${c.clamps} clamp(s), ${c.failedDecisions} decision(s) taken by rules${c.failure ? ` after it failed: ${c.failure.reason}: ${c.failure.message}` : ''}\n`,
            );
        }
      },
    );
}
