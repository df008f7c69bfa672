import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { strategyNames } from '../scenario/strategies.ts';
import {
  ACTION_SCHEMA,
  controllerSpec,
  DEFAULT_CHALLENGE_SET,
  DEFAULT_LIMITS,
  OBSERVATION_SCHEMA,
  QUICK_CHALLENGE_SET,
  renderScorecard,
  runTestbed,
  SCORE_COLUMNS,
  type Scorecard,
} from '../testbed/index.ts';

// `bitgrid testbed`: scores an outside controller over the challenge set beside the built-ins.

/** Upper bounds of the limit flags: a decision over a minute, a run over a day, a heap over 16 GB are mistakes. */
const MAX_DECISION_TIMEOUT_MS = 60_000;
const MAX_RUN_BUDGET_S = 86_400;
const MAX_MEMORY_MB = 16_384;
/** Smallest heap a worker starts with (V8 needs a few MB for itself). */
const MIN_MEMORY_MB = 16;

function bounded(flag: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}`);
    return n;
  };
}

/** The scorecard without the per-interval series (those are for report.html). */
export function scorecardJson(sc: Scorecard) {
  return {
    ...sc,
    cases: sc.cases.map(({ timesMs: _t, ...c }) => c),
    results: sc.results.map(({ importKw: _i, ...r }) => r),
  };
}

function table(sc: Scorecard): string {
  const cols = [
    { label: 'contender', get: (c: Scorecard['leaderboard'][number]) => c.strategy },
    { label: 'status', get: (c: Scorecard['leaderboard'][number]) => c.status },
    ...SCORE_COLUMNS.map((col) => ({
      label: col.label,
      get: (c: Scorecard['leaderboard'][number]) =>
        col.value(c).toLocaleString('en-US', { maximumFractionDigits: col.digits }),
    })),
  ];
  // One contender per column, one figure per row: fits a terminal with five contenders.
  const width = Math.max(...cols.map((c) => c.label.length));
  const cellWidth = Math.max(14, ...sc.leaderboard.flatMap((c) => cols.map((col) => col.get(c).length + 2)));
  return cols
    .map(
      (col) => col.label.padEnd(width) + sc.leaderboard.map((c) => col.get(c).padStart(cellWidth)).join(''),
    )
    .join('\n');
}

export function testbedCommand(): Command {
  return (
    new Command('testbed')
      .description('Score an outside controller (ES module or HTTP URL) beside the built-in strategies.')
      // Bad flags reach main's handler (exit code 2), as the top-level commands' do.
      .exitOverride()
      .option(
        '--controller <path-or-url>',
        'an ES module exporting decide(observation), or http://host:port/path',
      )
      .option('--scenario <file>', 'district file (YAML)', REFERENCE_SCENARIO_FILE)
      .option('--quick', 'one day, none and rules only, persistence forecasts (a first try, tests)')
      .option('--baselines <list>', `built-ins to score beside it (default: the challenge set's)`)
      .option('--out <dir>', 'write scorecard.json and report.html here')
      .option(
        '--decision-timeout-ms <n>',
        'wall time one decision may take',
        bounded('--decision-timeout-ms', 1, MAX_DECISION_TIMEOUT_MS),
        DEFAULT_LIMITS.decisionTimeoutMs,
      )
      .option(
        '--run-budget-s <n>',
        'wall time all decisions of one case may take',
        bounded('--run-budget-s', 1, MAX_RUN_BUDGET_S),
        DEFAULT_LIMITS.runBudgetMs / 1000,
      )
      .option(
        '--memory-mb <n>',
        "heap of the controller's worker",
        bounded('--memory-mb', MIN_MEMORY_MB, MAX_MEMORY_MB),
        DEFAULT_LIMITS.memoryMb,
      )
      .addOption(
        new Option(
          '--schema <which>',
          'print the JSON Schema of the observation or the action and exit',
        ).choices(['observation', 'action']),
      )
      .addOption(new Option('--json', 'print the scorecard as one JSON document'))
      .option(
        '--queue <nats-url>',
        "run on the fleet's workers (bitgrid worker): queue it on NATS JetStream, wait for the answer",
      )
      .option('--namespace <name>', 'the fleet namespace of --queue', 'bitgrid')
      .action(
        async (opts: {
          controller?: string;
          scenario: string;
          quick?: boolean;
          baselines?: string;
          out?: string;
          decisionTimeoutMs: number;
          runBudgetS: number;
          memoryMb: number;
          schema?: 'observation' | 'action';
          json?: boolean;
          queue?: string;
          namespace: string;
        }) => {
          if (opts.schema) {
            const s = opts.schema === 'observation' ? OBSERVATION_SCHEMA : ACTION_SCHEMA;
            process.stdout.write(JSON.stringify(s, null, 2) + '\n');
            return;
          }
          if (!opts.controller)
            throw new RangeError('--controller is needed: a .mjs/.js module or an http:// URL');
          const controller = controllerSpec(opts.controller);
          const set = opts.quick ? QUICK_CHALLENGE_SET : DEFAULT_CHALLENGE_SET;
          const baselines = opts.baselines
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const known = strategyNames();
          const unknown = (baselines ?? []).filter((b) => !known.includes(b));
          if (unknown.length)
            throw new RangeError(
              `--baselines: unknown strategy ${unknown.map((u) => `"${u}"`).join(', ')} (available: ${known.join(', ')})`,
            );
          const limits = {
            ...DEFAULT_LIMITS,
            decisionTimeoutMs: opts.decisionTimeoutMs,
            runBudgetMs: opts.runBudgetS * 1000,
            memoryMb: opts.memoryMb,
          };
          if (opts.queue) return queuedRun(opts.queue, opts, baselines, limits);
          const loaded = loadScenarioFile(opts.scenario);
          const sc = await runTestbed({
            scenario: loaded.scenario,
            baseDir: loaded.baseDir,
            set,
            controller,
            baselines,
            limits,
            onProgress: (what) => process.stderr.write(`testbed: ${what}\n`),
            warn: (m) => process.stderr.write(m + '\n'),
          });
          if (opts.out) {
            const dir = resolve(opts.out);
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, 'scorecard.json'), JSON.stringify(scorecardJson(sc), null, 2) + '\n');
            writeFileSync(join(dir, 'report.html'), renderScorecard(sc, loaded.scenario.timezone));
          }
          if (opts.json) process.stdout.write(JSON.stringify(scorecardJson(sc)) + '\n');
          else {
            process.stdout.write(
              `${sc.scenario}: challenge set ${sc.challengeSet.name} ${sc.challengeSet.version}, ${sc.cases.length} case(s)\n\n`,
            );
            process.stdout.write(table(sc) + '\n');
            for (const c of sc.leaderboard)
              for (const f of c.failures)
                process.stdout.write(
                  `\n${c.strategy} failed in ${f.caseId}${f.decision !== undefined ? ` at decision ${f.decision}` : ''}: ${f.reason}: ${f.message}`,
                );
            if (opts.out) process.stdout.write(`\n\nReport: ${join(resolve(opts.out), 'report.html')}`);
            process.stdout.write('\n');
          }
        },
      )
  );
}

/** `--queue`: the run on a fleet worker (src/fleet/sim-jobs.ts); its leaderboard printed when it answers. */
async function queuedRun(
  natsUrl: string,
  opts: { controller?: string; scenario: string; quick?: boolean; json?: boolean; namespace: string },
  baselines: string[] | undefined,
  limits: typeof DEFAULT_LIMITS,
): Promise<void> {
  const { queueTestbedRun } = await import('../fleet/sim-jobs.ts');
  const r = await queueTestbedRun({
    natsUrl,
    namespace: opts.namespace,
    scenarioFile: opts.scenario,
    controller: opts.controller!,
    set: opts.quick ? 'quick' : 'full',
    baselines,
    limits,
    onQueued: (id) => process.stderr.write(`testbed: queued as ${id}, waiting for a worker\n`),
  });
  if (!r.ok) throw new Error(`the worker ${r.workerId} could not run it: ${r.error}`);
  if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
  else
    for (const c of r.leaderboard ?? [])
      process.stdout.write(
        `${c.strategy.padEnd(24)} ${c.status.padEnd(7)} total ${Math.round(c.totalCostKrw).toLocaleString('en-US')} KRW  (worker ${r.workerId})\n`,
      );
}
