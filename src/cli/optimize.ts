import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { prepareDistrict } from '../sim/district.ts';
import { toIsoLocal } from '../model/time.ts';
import { buildModel, extractSchedule, type Schedule } from '../optimize/build.ts';
import { solveSync, highsVersion } from '../optimize/highs.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../optimize/horizon.ts';
import { persistenceForecast, perfectForecast } from '../forecast/planner-standin.ts';
import { initialView } from '../optimize/view.ts';
import { simultaneousChargeDischarge } from '../optimize/assets/battery.ts';

// `bitgrid optimize`: plan one horizon of a district from its state at a given time and write what
// the optimizer saw and decided — schedule (CSV + JSON), model (CPLEX LP) and solve log — or re-solve
// a saved model offline.

function hours(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(h|d)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('must be a duration like 24h or 2d');
  const n = Number(m[1]) * (m[2] === 'd' ? 24 : 1);
  if (!(n > 0)) throw new InvalidArgumentError('must be positive');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

export function scheduleCsv(
  s: Schedule,
  zone: string,
  batteryIds: string[],
  deferrableIds: readonly string[] = [],
): string {
  const head = [
    'time',
    'import_kw',
    'export_kw',
    'pv_kw',
    'pv_available_kw',
    ...batteryIds.flatMap((id) => [`${id}_kw`, `${id}_soc_kwh`]),
    'ev_kw',
    'bus_kw',
    'datacenter_kw',
    ...deferrableIds.map((id) => `${id}_kw`),
  ];
  const rows = [head.join(',')];
  const stepMs = s.stepHours * 3_600_000;
  for (let k = 0; k < s.steps; k++) {
    let ev = 0;
    for (const a of s.evKw.values()) ev += a[k];
    let bus = 0;
    for (const a of s.busKw.values()) bus += a[k];
    const f = (x: number) => (Math.round(x * 1000) / 1000).toString();
    rows.push(
      [
        toIsoLocal(s.startMs + k * stepMs, zone),
        f(s.importKw[k]),
        f(s.exportKw[k]),
        f(s.pvKw[k]),
        f(s.pvAvailableKw[k]),
        ...s.batteryKw.flatMap((b, i) => [f(b[k]), f(s.batterySocKwh[i][k])]),
        f(ev),
        f(bus),
        f(s.datacenterKw[k]),
        ...s.deferrableKw.map((a) => f(a[k])),
      ].join(','),
    );
  }
  return rows.join('\n') + '\n';
}

function scheduleJson(s: Schedule, zone: string, deferrableIds: readonly string[]) {
  const arr = (a: Float64Array) => Array.from(a, (x) => Math.round(x * 1000) / 1000);
  return {
    start: toIsoLocal(s.startMs, zone),
    steps: s.steps,
    stepHours: s.stepHours,
    objectiveKrw: s.objectiveKrw,
    peakKw: s.peakKw,
    evUnmetKwh: s.evUnmetKwh,
    busUnmetKwh: s.busUnmetKwh,
    lateGpuHours: s.lateGpuHours,
    importKw: arr(s.importKw),
    exportKw: arr(s.exportKw),
    pvKw: arr(s.pvKw),
    batteryKw: s.batteryKw.map(arr),
    batterySocKwh: s.batterySocKwh.map(arr),
    evKw: Object.fromEntries([...s.evKw].map(([id, a]) => [id, arr(a)])),
    busKw: Object.fromEntries([...s.busKw].map(([b, a]) => [String(b), arr(a)])),
    datacenterKw: arr(s.datacenterKw),
    jobGpus: s.jobGpus.map((m) => Object.fromEntries([...m].map(([id, a]) => [id, arr(a)]))),
    deferrableKw: Object.fromEntries(s.deferrableKw.map((a, i) => [deferrableIds[i], arr(a)])),
    deferrableUnmetKwh: s.deferrableUnmetKwh,
    deferrableStarts: s.deferrableStarts,
  };
}

export function optimizeCommand(): Command {
  return new Command('optimize')
    .description(
      'Plan one horizon from the district state at a time and write schedule, model and solve log; or re-solve a saved model.',
    )
    .option('--scenario <file>', 'district file (YAML)', REFERENCE_SCENARIO_FILE)
    .option(
      '--at <iso>',
      'plan from this instant (ISO 8601; on the interval grid), e.g. 2026-08-03T10:00+09:00',
    )
    .option('--horizon <duration>', 'horizon length, e.g. 24h or 2d', hours, 24)
    .option(
      '--forecast <kind>',
      'persistence (what optimal uses) or perfect (what oracle uses)',
      'persistence',
    )
    .option('--time-limit <s>', 'solver time limit, seconds', seconds, 60)
    .option('--mip-gap <x>', 'relative MIP gap', (v) => Number(v), 1e-4)
    .option('--binaries', 'always model the battery with charge/discharge binaries')
    .option('--out <dir>', 'write schedule.csv, schedule.json, model.lp and solve.log here')
    .option('--replay <file>', 're-solve a saved model.lp and print its status and objective')
    .action(
      (o: {
        scenario: string;
        at?: string;
        horizon: number;
        forecast: string;
        timeLimit: number;
        mipGap: number;
        binaries?: boolean;
        out?: string;
        replay?: string;
      }) => {
        if (o.replay) {
          const lp = readFileSync(o.replay, 'utf8');
          const r = solveSync({ lp }, { timeLimitS: o.timeLimit, mipRelGap: o.mipGap, log: true });
          process.stdout.write(
            JSON.stringify({
              file: o.replay,
              status: r.status,
              objective: r.objective,
              mipGap: r.mipGap,
              solveMs: Math.round(r.solveMs),
            }) + '\n',
          );
          if (!r.ok)
            throw new Error(`replay of ${o.replay} ended ${r.status}${r.message ? ': ' + r.message : ''}`);
          return;
        }
        if (!o.at) throw new RangeError('--at is required (or --replay FILE)');
        if (o.forecast !== 'persistence' && o.forecast !== 'perfect')
          throw new RangeError('--forecast must be persistence or perfect');
        const loaded = loadScenarioFile(o.scenario);
        const zone = loaded.scenario.timezone;
        const at = DateTime.fromISO(o.at, { zone });
        if (!at.isValid) throw new RangeError(`--at: not an ISO 8601 time: "${o.at}"`);
        const startDate = at.toISODate()!;
        const days = Math.ceil(o.horizon / 24) + 1;
        const d = prepareDistrict(loaded.scenario, { start: startDate, days, baseDir: loaded.baseDir });
        const stepMs = d.grid.intervalMinutes * 60_000;
        const offset = at.toMillis() - d.grid.startMs;
        if (offset % stepMs !== 0)
          throw new RangeError(`--at must fall on the ${d.grid.intervalMinutes}-minute grid`);
        const view = initialView(d, offset / stepMs);
        const forecast = o.forecast === 'perfect' ? perfectForecast(d) : persistenceForecast(d);
        const p = problemFromView(view, forecast, {
          ...DEFAULT_PLAN_OPTIONS,
          horizonHours: o.horizon,
          batteryBinaries: o.binaries ? 'always' : 'auto',
        });
        let built = buildModel(p);
        let r = solveSync(built.model.toModelData(), {
          timeLimitS: o.timeLimit,
          mipRelGap: o.mipGap,
          log: true,
        });
        if (r.ok && !built.withBinaries && simultaneousChargeDischarge(built.battery, r.x)) {
          built = buildModel(p, true);
          r = solveSync(built.model.toModelData(), {
            timeLimitS: o.timeLimit,
            mipRelGap: o.mipGap,
            log: true,
          });
        }
        const summary = {
          at: toIsoLocal(view.timeMs, zone),
          horizonHours: o.horizon,
          forecast: forecast.name,
          solver: `HiGHS ${highsVersion()}`,
          columns: built.model.numCols,
          rows: built.model.numRows,
          nonzeros: built.model.numNonzeros,
          integers: built.model.numIntegers,
          buildMs: Math.round(built.buildMs),
          solveMs: Math.round(r.solveMs),
          status: r.status,
          objectiveKrw: r.objective,
          mipGap: r.mipGap,
        };
        if (o.out) {
          const dir = resolve(o.out);
          mkdirSync(dir, { recursive: true });
          writeFileSync(
            join(dir, 'model.lp'),
            built.model.toLp(`bitgrid ${loaded.scenario.name} at ${summary.at}, ${o.horizon} h`),
          );
          writeFileSync(
            join(dir, 'solve.log'),
            [JSON.stringify(summary, null, 2), '', ...r.log].join('\n') + '\n',
          );
          if (r.ok) {
            const s = extractSchedule(p, built, r.x, r.objective);
            const deferrableIds = (p.deferrables ?? []).map((j) => j.id);
            writeFileSync(
              join(dir, 'schedule.csv'),
              scheduleCsv(
                s,
                zone,
                d.batteries.map((b) => b.id),
                deferrableIds,
              ),
            );
            writeFileSync(
              join(dir, 'schedule.json'),
              JSON.stringify(scheduleJson(s, zone, deferrableIds)) + '\n',
            );
          }
        }
        process.stdout.write(JSON.stringify(summary) + '\n');
        if (!r.ok) throw new Error(`the solve ended ${r.status}${r.message ? ': ' + r.message : ''}`);
      },
    );
}
