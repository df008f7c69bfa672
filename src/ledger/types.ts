// The ledger's figures as the API, `simulate --out` and the dashboard send and read them. This file
// imports nothing, so the dashboard (web/src/views/Ledger.tsx) imports these types instead of copying
// them; src/ledger/ledger.ts computes them and re-exports them.

/** One clock hour of the ledger. Energies in kWh, emissions in kg CO₂, share 0–1. */
export interface LedgerHour {
  hourStartMs: number;
  consumptionKwh: number;
  /** On-site PV consumed in the hour, directly or through the battery (at most the consumption). */
  pvUsedKwh: number;
  ppaDeliveredKwh: number;
  /** PPA delivery matched against the consumption left after on-site PV in the same hour. */
  ppaUsedKwh: number;
  /** Certificates retired against this hour: certificate share × consumption (annual instrument). */
  certificatesKwh: number;
  /** Consumption not matched in its hour: consumption − PV used − PPA used. */
  gridResidualKwh: number;
  /** (PV used + PPA used) ÷ consumption; 0 in an hour with no consumption. */
  matchingShare: number;
  /** Grid import × location-based factor. */
  emissionsKg: number;
}

export type LedgerEnergyKey =
  | 'consumptionKwh'
  | 'pvUsedKwh'
  | 'ppaDeliveredKwh'
  | 'ppaUsedKwh'
  | 'certificatesKwh'
  | 'gridResidualKwh'
  | 'emissionsKg';

export interface LedgerTotals extends Record<LedgerEnergyKey, number> {
  /** Equal to hourlyMatchingShare: the consumption-weighted mean of the hours' shares. */
  matchingShare: number;
  /** Annual RE100 accounting: (PV used + PPA delivered + certificates) ÷ consumption, at most 1. */
  annualMatchingShare: number;
  /** Hourly (24/7) matching: Σ (PV used + PPA used) ÷ Σ consumption. */
  hourlyMatchingShare: number;
}

/** The wire shape (API, `simulate --out`, dashboard): ISO 8601 with the zone's offset at every boundary. */
export interface LedgerJson {
  from: string;
  to: string;
  hours: (Omit<LedgerHour, 'hourStartMs'> & { hourStart: string })[];
  totals: LedgerTotals;
}
