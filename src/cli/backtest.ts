import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import {
  DEFAULT_HORIZON_HOURS,
  DEFAULT_ISSUE_HOUR,
  DEFAULT_MIN_TRAIN_DAYS,
  DEFAULT_REFIT_DAYS,
  formatBacktest,
  formatImportReport,
  loadPvSite,
  parseForecastCsv,
  runBacktest,
  type Target,
} from '../forecast/index.ts';

// `bitgrid backtest`: rolling-origin evaluation of the forecasters on a CSV of a site's history.

function intIn(name: string, lo: number, hi: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new InvalidArgumentError(`${name} must be a whole number ${lo}–${hi}`);
    return n;
  };
}

interface Opts {
  data: string;
  target: Target;
  siteConfig?: string;
  issueHour: number;
  horizonHours: number;
  trainDays?: number;
  minTrainDays: number;
  refitDays: number;
  zone: string;
  json?: boolean;
}

export function backtestCommand(): Command {
  // addCommand() does not pass the program's settings down: throw on bad arguments like the built-in commands.
  return new Command('backtest')
    .exitOverride()
    .showHelpAfterError()
    .description(
      'Rolling-origin backtest of the PV or load forecaster and its baselines on a CSV history (format: docs/forecasting.md).',
    )
    .requiredOption(
      '--data <file>',
      'CSV with timestamp, pv_kw or load_kw, optional weather and forecast-weather columns',
    )
    .addOption(
      new Option('--target <target>', 'what to forecast').choices(['pv', 'load']).makeOptionMandatory(),
    )
    .option(
      '--site-config <file>',
      `PV arrays and location: a district YAML or a JSON site file (PV; default ${REFERENCE_SCENARIO_FILE})`,
    )
    .option(
      '--issue-hour <h>',
      'local hour the day-ahead forecast is issued',
      intIn('--issue-hour', 0, 23),
      DEFAULT_ISSUE_HOUR,
    )
    .option(
      '--horizon-hours <h>',
      'forecast horizon from the issue time',
      intIn('--horizon-hours', 24, 168),
      DEFAULT_HORIZON_HOURS,
    )
    .option(
      '--train-days <n>',
      'train on at most this many days before each issue (default: all history)',
      intIn('--train-days', 14, 3650),
    )
    .option(
      '--min-train-days <n>',
      'history before the first scored day',
      intIn('--min-train-days', 14, 3650),
      DEFAULT_MIN_TRAIN_DAYS,
    )
    .option(
      '--refit-days <n>',
      'refit the models every n issues',
      intIn('--refit-days', 1, 365),
      DEFAULT_REFIT_DAYS,
    )
    .option('--zone <iana>', 'zone of the local calendar', 'Asia/Seoul')
    .addOption(new Option('--json', 'print one JSON document on stdout instead of the table'))
    .action((o: Opts) => {
      let text: string;
      try {
        text = readFileSync(o.data, 'utf8');
      } catch (e) {
        throw new RangeError(`cannot read ${o.data}: ${(e as Error).message}`);
      }
      const { series, report } = parseForecastCsv(text, { target: o.target, zone: o.zone, file: o.data });
      process.stderr.write(formatImportReport(report) + '\n');
      const pvSite = o.target === 'pv' ? loadPvSite(o.siteConfig ?? REFERENCE_SCENARIO_FILE) : undefined;
      let lastQuarter = 0;
      const t0 = Date.now();
      const result = runBacktest(series, {
        target: o.target,
        pvSite,
        issueHour: o.issueHour,
        horizonHours: o.horizonHours,
        trainDays: o.trainDays,
        minTrainDays: o.minTrainDays,
        refitDays: o.refitDays,
        onProgress: (done, total) => {
          const q = Math.floor((10 * done) / total);
          if (q > lastQuarter) {
            lastQuarter = q;
            process.stderr.write(
              `backtest: ${done}/${total} days (${q * 10} %, ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
            );
          }
        },
      });
      if (o.json) {
        process.stdout.write(
          JSON.stringify({
            target: result.target,
            points: result.points,
            models: result.models,
            ...(result.choices ? { choices: result.choices } : {}),
          }) + '\n',
        );
      } else {
        process.stdout.write(formatBacktest(result) + '\n');
      }
    });
}
