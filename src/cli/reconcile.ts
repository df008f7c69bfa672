import { Command, Option } from 'commander';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { toIsoLocal } from '../model/time.ts';
import { openStore } from '../store/index.ts';
import { readKepcoBill, reconcileBill, type Reconciliation } from '../ledger/reconcile.ts';

// `bitgrid reconcile --bill bill.yaml`: the KEPCO bill against Bitgrid's bill of the same meter-reading
// period from the stored grid meter (docs/ledger.md).

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function formatReconciliation(r: Reconciliation, zone: string): string {
  const fmt = (unit: string, v: number) => (unit === 'KRW' ? int : one).format(v);
  const head = ['Component', 'Unit', 'KEPCO', 'Bitgrid', 'Bitgrid − KEPCO'];
  const body = r.lines.map((l) => [
    l.label,
    l.unit,
    fmt(l.unit, l.kepco),
    fmt(l.unit, l.bitgrid),
    (l.difference > 0 ? '+' : '') + fmt(l.unit, l.difference),
  ]);
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [
    `Billing month ${r.billingMonth}: ${toIsoLocal(r.startMs, zone)} to ${toIsoLocal(r.endMs, zone)} (meter-reading period)`,
    `Grid meter coverage ${one.format(r.coverage * 100)} % of 15-minute intervals; billing demand set by ${r.bitgrid.billingDemandSource}`,
    '',
    line(head),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .exitOverride()
    .showHelpAfterError()
    .description(
      "Compare a KEPCO monthly bill (YAML, docs/ledger.md) with Bitgrid's bill of the same meter-reading period from the stored grid meter.",
    )
    .requiredOption('--bill <file>', 'the KEPCO bill as YAML')
    .option('--scenario <file>', 'district file (tariff, contract, zone)', REFERENCE_SCENARIO_FILE)
    .option(
      '--db <url>',
      'store: sqlite:PATH or postgres://… (default: BITGRID_DATABASE_URL or .bitgrid/bitgrid.db beside the scenario)',
    )
    .addOption(new Option('--json', 'print the reconciliation as JSON'))
    .action(async (opts: { bill: string; scenario: string; db?: string; json?: boolean }) => {
      const bill = readKepcoBill(opts.bill);
      const loaded = loadScenarioFile(opts.scenario);
      const store = await openStore(opts.db ?? process.env.BITGRID_DATABASE_URL, { baseDir: loaded.baseDir });
      try {
        const r = await reconcileBill(store, loaded.scenario, bill);
        const zone = loaded.scenario.timezone;
        if (opts.json) {
          const { startMs, endMs, ...rest } = r;
          process.stdout.write(
            JSON.stringify({ ...rest, from: toIsoLocal(startMs, zone), to: toIsoLocal(endMs, zone) }) + '\n',
          );
        } else process.stdout.write(formatReconciliation(r, zone) + '\n');
      } finally {
        await store.close();
      }
    });
}
