import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { parseDocument } from 'yaml';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE, type LoadedScenario } from '../model/load.ts';
import { MS_PER_MINUTE } from '../model/time.ts';
import { JOB_COLUMNS, PROFILE_COLUMNS, SESSION_COLUMNS, csvCell } from '../sim/inputs/index.ts';
import { LIST_MAX_ROWS, openStore, type Store } from '../store/index.ts';

// `bitgrid export --from --to`: a period of the live store as measured inputs of a district file, so
// `simulate --scenario <out>/replay.yaml` replays it under every strategy (docs/simulation.md):
//   - every load and PV asset's `power_kw`, averaged per district interval → `<asset>.csv` (profile);
//   - every charging asset's OCPP transactions (`session_energy_kwh` per `…tx:<id>` channel) → a session log;
//   - every data center's jobs from the job book, by submission time → a job trace;
//   - replay.yaml: the district file with those files named and `default_start` set to `--from`.

const POWER = 'power_kw';
const SESSION_ENERGY = 'session_energy_kwh';
/** The transaction part of an OCPP session channel: `tx:<id>` or `<charger>/tx:<id>`. */
const TX_CHANNEL = /^(?:(.*)\/)?tx:(.+)$/;

export interface ExportResult {
  files: string[];
  replayFile: string;
  days: number;
}

function iso(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** Writes the measured inputs of [fromMs, toMs) and replay.yaml into `outDir`. */
export async function exportStore(
  store: Store,
  loaded: LoadedScenario,
  fromMs: number,
  toMs: number,
  outDir: string,
): Promise<ExportResult> {
  const s = loaded.scenario;
  const zone = s.timezone;
  const stepMs = s.interval_minutes * MS_PER_MINUTE;
  mkdirSync(outDir, { recursive: true });
  const doc = parseDocument(readFileSync(loaded.file, 'utf8'));
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(outDir, name), text);
    files.push(name);
  };

  for (const [si, site] of s.sites.entries()) {
    for (const [ai, a] of site.assets.entries()) {
      const at = ['sites', si, 'assets', ai];
      if (a.type === 'load' || a.type === 'pv') {
        const rows = await store.readTelemetry({
          assetId: a.id,
          measurement: POWER,
          fromMs,
          toMs,
          bucketMs: stepMs,
          aggregate: 'mean',
        });
        if (rows.length === 0) continue;
        const name = `${a.id}.csv`;
        write(
          name,
          [
            `${PROFILE_COLUMNS.timestamp},${PROFILE_COLUMNS.power}`,
            ...rows.map((r) => `${iso(r.timeMs, zone)},${r.value}`),
          ].join('\n') + '\n',
        );
        doc.setIn([...at, 'measured_csv'], name);
      } else if (a.type === 'ev_chargers') {
        const series = await store.latestTelemetry({ assetId: a.id, measurement: SESSION_ENERGY });
        const lines: string[] = [];
        for (const sr of series) {
          const m = sr.channel ? TX_CHANNEL.exec(sr.channel) : null;
          if (!m) continue;
          const points = await store.readTelemetry({
            assetId: a.id,
            measurement: SESSION_ENERGY,
            channel: sr.channel,
            fromMs,
            toMs,
          });
          if (points.length === 0) continue;
          const first = points[0];
          const last = points[points.length - 1];
          const energyKwh = Math.max(...points.map((p) => p.value));
          // Peak observed charging power: the steepest rise of the session's energy between readings.
          let peakKw = 0;
          for (let i = 1; i < points.length; i++) {
            const hours = (points[i].timeMs - points[i - 1].timeMs) / 3_600_000;
            if (hours > 0) peakKw = Math.max(peakKw, (points[i].value - points[i - 1].value) / hours);
          }
          if (last.timeMs <= first.timeMs || energyKwh <= 0) continue;
          lines.push(
            [
              csvCell(m[2]),
              csvCell(m[1] ?? a.id),
              '',
              iso(first.timeMs, zone),
              iso(last.timeMs, zone),
              String(energyKwh),
              // Two readings only say the mean; the charger's own rating then applies.
              points.length > 2 && peakKw > 0 ? String(Math.round(peakKw * 1000) / 1000) : '',
            ].join(','),
          );
        }
        if (lines.length === 0) continue;
        lines.sort((x, y) => x.split(',')[3].localeCompare(y.split(',')[3]));
        const name = `${a.id}-sessions.csv`;
        const c = SESSION_COLUMNS;
        write(
          name,
          [
            [c.id, c.charger, c.connector, c.arrival, c.departure, c.energy, c.maxPower].join(','),
            ...lines,
          ].join('\n') + '\n',
        );
        doc.setIn([...at, 'session_log'], name);
      } else if (a.type === 'datacenter') {
        const jobs = (
          await store.listJobs({ datacenterId: a.id, order: 'asc', limit: LIST_MAX_ROWS })
        ).filter((j) => j.submittedMs >= fromMs && j.submittedMs < toMs);
        if (jobs.length === 0) continue;
        const c = JOB_COLUMNS;
        const name = `${a.id}-jobs.csv`;
        write(
          name,
          [
            [c.id, c.submit, c.gpus, c.gpuHours, c.duration, c.deadline, c.priority].join(','),
            // A job is submitted at its earliest start: that is when it may begin to run.
            ...jobs.map((j) =>
              [
                csvCell(j.id),
                iso(Math.max(j.submittedMs, j.earliestStartMs), zone),
                j.gpus,
                j.gpuHours,
                '',
                iso(j.deadlineMs, zone),
                j.priority,
              ].join(','),
            ),
          ].join('\n') + '\n',
        );
        doc.setIn([...at, 'job_trace'], name);
      }
    }
  }
  const fromDate = DateTime.fromMillis(fromMs, { zone });
  doc.set('default_start', fromDate.toISODate());
  doc.set('name', `${s.name} — replay of ${fromDate.toISODate()}`);
  // Relative paths in the original (a KMA weather file) must still resolve from the new folder.
  if (s.weather.source === 'kma_asos_csv')
    doc.setIn(['weather', 'path'], resolve(loaded.baseDir, s.weather.path));
  const replayFile = join(outDir, 'replay.yaml');
  writeFileSync(
    replayFile,
    `# Replay of ${iso(fromMs, zone)} to ${iso(toMs, zone)} exported from ${basename(loaded.file)}\n${doc.toString()}`,
  );
  return { files, replayFile, days: Math.round((toMs - fromMs) / 86_400_000) };
}

function isoDate(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v)))
    throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return v;
}

export function exportCommand(): Command {
  return new Command('export')
    .exitOverride()
    .showHelpAfterError()
    .description(
      'Export a period of the live store as measured inputs (profiles, session logs, job traces) and a replay.yaml for simulate.',
    )
    .requiredOption('--from <date>', 'first local day YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'day after the last, YYYY-MM-DD (exclusive)', isoDate)
    .option('--out <dir>', 'folder to write', 'replay')
    .option('--scenario <file>', 'district file of the live system', REFERENCE_SCENARIO_FILE)
    .option(
      '--db <url>',
      'store: sqlite:PATH or postgres://… (default: BITGRID_DATABASE_URL or .bitgrid/bitgrid.db beside the scenario)',
    )
    .action(async (opts: { from: string; to: string; out: string; scenario: string; db?: string }) => {
      const loaded = loadScenarioFile(opts.scenario);
      const zone = loaded.scenario.timezone;
      const fromMs = DateTime.fromISO(opts.from, { zone }).toMillis();
      const toMs = DateTime.fromISO(opts.to, { zone }).toMillis();
      if (!(toMs > fromMs)) throw new RangeError('--to must be after --from');
      const store = await openStore(opts.db ?? process.env.BITGRID_DATABASE_URL, { baseDir: loaded.baseDir });
      try {
        const r = await exportStore(store, loaded, fromMs, toMs, resolve(opts.out));
        process.stdout.write(
          `${r.files.length} file(s) in ${resolve(opts.out)}: ${r.files.join(', ') || '(no data in the period)'}\n` +
            `Replay: bitgrid simulate --scenario ${r.replayFile} --days ${r.days} --strategies none,rules,optimal\n`,
        );
      } finally {
        await store.close();
      }
    });
}
