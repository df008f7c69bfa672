import { ledgerCsv, ledgerJson } from '../ledger/index.ts';
import { simLedger } from './ledger-sim.ts';
import type { ScenarioRun } from './scenario-run.ts';

/**
 * The hourly RE100 ledger of every strategy of a run, as `simulate --out` writes it: `ledger-<strategy>.csv`
 * and `ledger-<strategy>.json` (the JSON in the shape of `GET /api/ledger`).
 */
export function ledgerFiles(run: ScenarioRun): { name: string; text: string }[] {
  return run.runs.flatMap((r) => {
    const ledger = simLedger(run.district, r.result);
    return [
      { name: `ledger-${r.strategy}.csv`, text: ledgerCsv(ledger) },
      { name: `ledger-${r.strategy}.json`, text: JSON.stringify(ledgerJson(ledger), null, 2) + '\n' },
    ];
  });
}
