// `npx tsx src/forecast/make-dataset.ts --target pv|load --year 2025 --out FILE.csv`: writes the synthetic
// Gwangju year in the forecasting CSV format (docs/forecasting.md).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seriesToCsv } from './csv.ts';
import { syntheticDataset } from './dataset.ts';

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        target: { type: 'string' },
        year: { type: 'string', default: '2025' },
        out: { type: 'string' },
        scenario: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
      },
    }));
  } catch (e) {
    process.stderr.write(`make-dataset: ${(e as Error).message}\n`);
    return 2;
  }
  const usage =
    'usage: npx tsx src/forecast/make-dataset.ts --target pv|load --year 2025 --out FILE.csv [--scenario FILE] [--days N] [--seed N]';
  if (values.target !== 'pv' && values.target !== 'load') {
    process.stderr.write(`make-dataset: --target must be pv or load\n${usage}\n`);
    return 2;
  }
  const year = Number(values.year);
  if (!Number.isInteger(year) || year < 1990 || year > 2100) {
    process.stderr.write(`make-dataset: --year must be a year between 1990 and 2100\n`);
    return 2;
  }
  if (!values.out) {
    process.stderr.write(`make-dataset: --out is required\n${usage}\n`);
    return 2;
  }
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days > 0)) {
    process.stderr.write('make-dataset: --days must be a positive whole number\n');
    return 2;
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  try {
    const s = syntheticDataset({ target: values.target, year, days, seed, scenarioFile: values.scenario });
    writeFileSync(values.out, seriesToCsv(s, values.target));
    process.stderr.write(`wrote ${s.count} hourly rows of ${values.target} to ${values.out}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`make-dataset: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main();
