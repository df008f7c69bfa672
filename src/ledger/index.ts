export {
  buildLedger,
  ledgerTotals,
  ledgerJson,
  ledgerCsv,
  onSitePvUsedKw,
  LEDGER_SUM_KEYS,
} from './ledger.ts';
export type {
  Ledger,
  LedgerHour,
  LedgerTotals,
  LedgerFlows,
  LedgerParams,
  LedgerJson,
  LedgerEnergyKey,
} from './ledger.ts';
export {
  ledgerFromTelemetry,
  ledgerGrid,
  ledgerParamsOf,
  perInterval,
  LEDGER_MAX_DAYS,
  POWER_MEASUREMENT,
  PPA_ASSET_ID,
} from './telemetry.ts';
