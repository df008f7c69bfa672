// `npx tsx src/forecast/import-kma-cli.ts --data TARGET.csv --target pv|load [--asos ASOS.csv] [--forecast VILAGE.json|csv]
//   [--issue-hour 17] [--scenario FILE] --out MERGED.csv`: the target history plus KMA observations and
// day-ahead short-range forecasts, in the forecasting CSV format.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { formatImportReport, parseForecastCsv, seriesToCsv } from './csv.ts';
import { addAsosObservations, dayAheadColumns, parseKmaShortRange } from './import-kma.ts';

function main(): number {
  try {
    const { values } = parseArgs({
      options: {
        data: { type: 'string' },
        target: { type: 'string' },
        asos: { type: 'string' },
        forecast: { type: 'string' },
        'issue-hour': { type: 'string', default: '17' },
        scenario: { type: 'string' },
        out: { type: 'string' },
      },
    });
    if (!values.data || !values.out || (values.target !== 'pv' && values.target !== 'load'))
      throw new RangeError(
        'usage: --data TARGET.csv --target pv|load [--asos ASOS.csv] [--forecast VILAGE.json] [--issue-hour 17] --out MERGED.csv',
      );
    const issueHour = Number(values['issue-hour']);
    if (!Number.isInteger(issueHour) || issueHour < 0 || issueHour > 23)
      throw new RangeError('--issue-hour must be 0–23');
    const { series, report } = parseForecastCsv(readFileSync(values.data, 'utf8'), {
      target: values.target,
      file: values.data,
    });
    process.stderr.write(formatImportReport(report) + '\n');
    if (values.asos) {
      const loc = loadScenarioFile(values.scenario ?? REFERENCE_SCENARIO_FILE).scenario.location;
      const r = addAsosObservations(series, readFileSync(values.asos), {
        latitudeDeg: loc.latitude_deg,
        longitudeDeg: loc.longitude_deg,
        altitudeM: loc.altitude_m,
      });
      process.stderr.write(
        `${values.asos}: ${r.rowsUsed}/${r.rowsRead} rows used, ${r.droppedRows.length + r.droppedRowsNotListed} dropped, ${r.missingHours} missing hours, ${r.filled.length} gaps filled\n`,
      );
      for (const d of r.droppedRows.slice(0, 10)) process.stderr.write(`  line ${d.line}: ${d.reason}\n`);
      for (const n of r.notes) process.stderr.write(`  note: ${n}\n`);
    }
    if (values.forecast) {
      const { issues, report: fr } = parseKmaShortRange(readFileSync(values.forecast, 'utf8'));
      series.forecast = dayAheadColumns(issues, series, issueHour);
      let covered = 0;
      for (const v of series.forecast.issueMs) if (Number.isFinite(v)) covered++;
      process.stderr.write(
        `${values.forecast}: ${fr.used}/${fr.rows} rows used from ${fr.issues} issue(s); ${covered}/${series.count} intervals got a day-ahead forecast\n`,
      );
      for (const d of fr.dropped.slice(0, 10)) process.stderr.write(`  ${d}\n`);
    }
    writeFileSync(values.out, seriesToCsv(series, values.target));
    return 0;
  } catch (e) {
    process.stderr.write(`import-kma: ${(e as Error).message}\n`);
    return e instanceof RangeError || (e as Error).name === 'KmaCsvError' ? 2 : 1;
  }
}

process.exitCode = main();
