import type { AssetOf } from '../../model/schema.ts';
import { intervalMs, MS_PER_HOUR, timeAt, type TimeGrid } from '../../model/time.ts';
import type { DatacenterLayout, TrainingJob } from '../assets/datacenter.ts';
import { InputError, Issues, parseNumber, parseTime, readCsv, type InputReport } from './csv.ts';

// A training-job trace: one job a row, the format `bitgrid export` writes from the store's job book:
//   job_id, submit, gpus, gpu_hours, duration_hours, deadline, priority
// Either gpu_hours (work at full speed) or duration_hours (at full speed on `gpus` GPUs) is given. A
// blank deadline becomes submit + duration × the asset's `deadline_slack_max` (reported). Submission is
// rounded up to the interval. `priority` (a whole number, blank 0): a job of higher priority gets GPUs
// first under `rules` and weighs more in the optimizer's prices (optimize/assets/datacenter.ts).

export const JOB_COLUMNS = {
  id: 'job_id',
  submit: 'submit',
  gpus: 'gpus',
  gpuHours: 'gpu_hours',
  duration: 'duration_hours',
  deadline: 'deadline',
  priority: 'priority',
} as const;

export interface JobTraceResult {
  jobs: TrainingJob[];
  report: InputReport;
}

export function readJobTrace(
  text: string,
  file: string,
  cfg: AssetOf<'datacenter'>,
  layout: DatacenterLayout,
  grid: TimeGrid,
): JobTraceResult {
  const table = readCsv(text, file);
  const col = {
    id: table.column(JOB_COLUMNS.id),
    submit: table.require(JOB_COLUMNS.submit),
    gpus: table.require(JOB_COLUMNS.gpus),
    gpuHours: table.column(JOB_COLUMNS.gpuHours),
    duration: table.column(JOB_COLUMNS.duration),
    deadline: table.column(JOB_COLUMNS.deadline),
    priority: table.column(JOB_COLUMNS.priority),
  };
  if (col.gpuHours < 0 && col.duration < 0)
    throw new InputError(
      file,
      1,
      `a "${JOB_COLUMNS.gpuHours}" or a "${JOB_COLUMNS.duration}" column is needed`,
    );
  const issues = new Issues();
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const jobs: TrainingJob[] = [];
  // A job is one row: a second row with its id is a second job under the same name, or (in a
  // jobs.csv of several strategies) the same job twice.
  const lineOfId = new Map<string, number>();
  // A jobs.csv names its jobs `<datacenter>/<job>`: replayed in the same data center they keep their names.
  const ownPrefix = `${cfg.id}/`;
  let outside = 0;
  for (const { line, cells } of table.rows) {
    const given = col.id >= 0 ? (cells[col.id] ?? '').trim() : '';
    if (given) {
      const first = lineOfId.get(given);
      if (first !== undefined)
        throw new InputError(
          file,
          line,
          `${JOB_COLUMNS.id} "${given}" repeats line ${first} (a jobs.csv of several strategies: keep one strategy's rows)`,
        );
      lineOfId.set(given, line);
    }
    const submitRawMs = parseTime(cells[col.submit], file, line, JOB_COLUMNS.submit);
    const gpus = parseNumber(cells[col.gpus], file, line, JOB_COLUMNS.gpus);
    if (gpus === undefined || !Number.isInteger(gpus) || gpus <= 0)
      throw new InputError(file, line, `${JOB_COLUMNS.gpus}: a whole number above 0 is needed`);
    if (gpus > layout.trainingGpus)
      throw new InputError(
        file,
        line,
        `${JOB_COLUMNS.gpus}: ${gpus} GPUs, more than the ${layout.trainingGpus} training GPUs of ${cfg.id}`,
      );
    const gpuHoursCell =
      col.gpuHours >= 0 ? parseNumber(cells[col.gpuHours], file, line, JOB_COLUMNS.gpuHours) : undefined;
    const durationCell =
      col.duration >= 0 ? parseNumber(cells[col.duration], file, line, JOB_COLUMNS.duration) : undefined;
    const gpuHours = gpuHoursCell ?? (durationCell !== undefined ? durationCell * gpus : undefined);
    if (gpuHours === undefined || !(gpuHours > 0))
      throw new InputError(
        file,
        line,
        `${JOB_COLUMNS.gpuHours} or ${JOB_COLUMNS.duration}: a value above 0 is needed`,
      );
    let priority: number | undefined;
    if (col.priority >= 0) {
      priority = parseNumber(cells[col.priority], file, line, JOB_COLUMNS.priority);
      if (priority !== undefined && !Number.isSafeInteger(priority))
        throw new InputError(file, line, `${JOB_COLUMNS.priority}: a whole number or blank is needed`);
    }
    const submitMs = grid.startMs + Math.ceil((submitRawMs - grid.startMs) / stepMs) * stepMs;
    if (submitMs < grid.startMs || submitMs >= endMs) {
      outside++;
      continue;
    }
    const deadlineCell = col.deadline >= 0 ? (cells[col.deadline] ?? '').trim() : '';
    let deadlineMs: number;
    if (deadlineCell) {
      deadlineMs = parseTime(deadlineCell, file, line, JOB_COLUMNS.deadline);
      if (deadlineMs <= submitRawMs)
        throw new InputError(file, line, `${JOB_COLUMNS.deadline} is not after ${JOB_COLUMNS.submit}`);
    } else {
      const hours = (gpuHours / gpus) * cfg.training.deadline_slack_max;
      deadlineMs = submitMs + Math.ceil((hours * MS_PER_HOUR) / stepMs) * stepMs;
      issues.add(
        'no-deadline',
        `deadline set to submit + duration × deadline_slack_max (${cfg.training.deadline_slack_max})`,
        `line ${line}`,
      );
    }
    const id = !given ? `line-${line}` : given.startsWith(ownPrefix) ? given.slice(ownPrefix.length) : given;
    jobs.push({
      id: `${cfg.id}/${id}`,
      gpus,
      gpuHours,
      submitMs,
      deadlineMs,
      ...(priority ? { priority } : {}),
    });
  }
  if (outside > 0)
    issues.add('outside-run', 'jobs submitted outside the simulated period ignored', `${outside} jobs`);
  jobs.sort((a, b) => a.submitMs - b.submitMs);
  return {
    jobs,
    report: { file, rows: table.rows.length, result: `${jobs.length} jobs`, issues: issues.list() },
  };
}
