import type { District } from '../sim/district.ts';
import type { SimResult } from '../sim/engine.ts';
import { buildLedger, type Ledger, type LedgerFlows, type LedgerParams } from '../ledger/index.ts';

/** The ledger parameters a district file sets: its zone, certificate share and grid emission factor. */
export function ledgerParams(d: Pick<District, 'zone' | 'scenario'>): LedgerParams {
  return {
    zone: d.zone,
    certificateShare: d.scenario.contracts.certificates?.annual_share ?? 0,
    emissionFactorKgPerKwh: d.scenario.grid.emission_factor_kg_per_kwh,
  };
}

/** The flows of a simulated run, in the form the ledger reads (and the store holds when replayed). */
export function simFlows(d: District, r: SimResult): LedgerFlows {
  const s = r.series;
  const n = d.grid.count;
  const consumptionKw = new Float64Array(n);
  for (let i = 0; i < n; i++) consumptionKw[i] = s.loadKw[i] + s.evKw[i] + s.busKw[i] + s.datacenterKw[i];
  let batteryInitialSocKwh = 0;
  for (const b of d.batteries) batteryInitialSocKwh += b.cfg.soc_initial * b.cfg.capacity_kwh;
  return {
    grid: d.grid,
    consumptionKw,
    pvKw: s.pvKw,
    importKw: s.importKw,
    exportKw: s.exportKw,
    batteryKw: s.batteryKw,
    batterySocKwh: s.batterySocKwh,
    batteryInitialSocKwh,
    ppaKw: d.ppaKw,
  };
}

export function simLedger(d: District, r: SimResult): Ledger {
  return buildLedger(simFlows(d, r), ledgerParams(d));
}
