import { MS_PER_HOUR, timeAt, toIsoLocal } from '../model/time.ts';
import { JOB_COLUMNS, csvCell } from '../sim/inputs/index.ts';
import type { ScenarioRun } from './scenario-run.ts';

const COLUMNS = [
  ['grid_kw', 'gridKw'],
  ['pv_kw', 'pvKw'],
  ['pv_available_kw', 'pvAvailableKw'],
  ['battery_kw', 'batteryKw'],
  ['battery_soc_kwh', 'batterySocKwh'],
  ['load_kw', 'loadKw'],
  ['ev_kw', 'evKw'],
  ['bus_kw', 'busKw'],
  ['datacenter_kw', 'datacenterKw'],
] as const;

/**
 * One row per interval and strategy, interval start in ISO 8601 with the district's offset.
 * Long format (a `strategy` column) so any number of strategies fits one file.
 */
export function timeseriesCsv(run: ScenarioRun): string {
  const d = run.district;
  const lines = [
    [
      'timestamp',
      'strategy',
      ...COLUMNS.map((c) => c[0]),
      'import_price_krw_per_kwh',
      'export_price_krw_per_kwh',
      'ppa_kw',
    ].join(','),
  ];
  const stamps = Array.from({ length: d.grid.count }, (_, i) => toIsoLocal(timeAt(d.grid, i), d.zone));
  for (const r of run.runs) {
    const s = r.result.series;
    for (let i = 0; i < d.grid.count; i++) {
      const cells = [stamps[i], r.strategy];
      for (const [, key] of COLUMNS) cells.push(round3(s[key][i]));
      cells.push(
        round3(d.prices.importPriceKrwPerKwh[i]),
        round3(d.prices.exportPriceKrwPerKwh[i]),
        round3(d.ppaKw[i]),
      );
      lines.push(cells.join(','));
    }
  }
  return lines.join('\n') + '\n';
}

function round3(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/**
 * One row per training job and strategy: when it was submitted, started and finished against its
 * deadline, how late it was, and the work left when the run ended. Times in ISO 8601 with the
 * district's offset; `started`/`finished` empty where the job never ran / did not finish. `late_hours`
 * is counted to the run's end for a job still unfinished past its deadline (at least that late).
 * One strategy's rows are a valid `job_trace` (docs/simulation.md): a run's jobs replayed in another.
 */
export function trainingJobsCsv(run: ScenarioRun): string {
  const d = run.district;
  const runEndMs = timeAt(d.grid, d.grid.count);
  const iso = (ms: number | null) => (ms === null ? '' : toIsoLocal(ms, d.zone));
  const c = JOB_COLUMNS;
  // The job's own columns carry the job trace's names: one strategy's rows replay as a `job_trace`.
  const lines = [
    [
      'strategy',
      'datacenter',
      c.id,
      c.gpus,
      c.gpuHours,
      c.submit,
      c.deadline,
      'started',
      'finished',
      'missed',
      'late_hours',
      'remaining_gpu_hours',
      c.priority,
    ].join(','),
  ];
  for (const r of run.runs)
    for (const j of r.result.trainingJobs) {
      const lateHours = j.missed ? ((j.finishedMs ?? runEndMs) - j.deadlineMs) / MS_PER_HOUR : 0;
      lines.push(
        [
          r.strategy,
          j.datacenterId,
          csvCell(j.jobId),
          j.gpus,
          round3(j.gpuHours),
          iso(j.submitMs),
          iso(j.deadlineMs),
          iso(j.startedMs),
          iso(j.finishedMs),
          j.missed ? 'yes' : 'no',
          round3(lateHours),
          round3(j.remainingGpuHours),
          j.priority,
        ].join(','),
      );
    }
  return lines.join('\n') + '\n';
}
