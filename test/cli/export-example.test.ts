import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { simLedger } from '../../src/report/ledger-sim.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';

// The example district built from public measured data (scenarios/measured-carpark, sources and
// licences in its README) reads cleanly and replays; optimal is run by hand (it takes seconds a day).

const FILE = resolve(import.meta.dirname, '../../scenarios/measured-carpark/district.yaml');
/** Σ energy_kwh of scenarios/measured-carpark/sessions.csv. */
const LOG_ENERGY_KWH = 350.02;
/** Σ power_kw × 0.25 h of scenarios/measured-carpark/building-load.csv. */
const LOAD_ENERGY_KWH = 29.931;

describe('the measured car park example', () => {
  const loaded = loadScenarioFile(FILE);
  const d = prepareDistrict(loaded.scenario, { days: 1, baseDir: loaded.baseDir });

  it('reads its measured files without a problem to report', () => {
    expect(d.inputReports!.map((r) => [r.result, r.issues.length])).toEqual([
      ['96 intervals of 15 min', 0],
      ['34 sessions', 0],
    ]);
    let loadKwh = 0;
    for (const kw of d.loads[0].kw) loadKwh += kw * d.intervalHours;
    expect(loadKwh).toBeCloseTo(LOAD_ENERGY_KWH, 6);
    expect(d.ev[0].sessions.reduce((s, x) => s + x.energyKwh, 0)).toBeCloseTo(LOG_ENERGY_KWH, 6);
  });

  it.each(['none', 'rules'])('replays under %s, every session served and the ledger adding up', (name) => {
    const r = runSimulation(d, getStrategy(name)(d));
    expect(r.totals.evUnmetKwh).toBeLessThan(1e-6);
    let evKwh = 0;
    for (const kw of r.series.evKw) evKwh += kw * d.intervalHours;
    expect(evKwh).toBeCloseTo(LOG_ENERGY_KWH, 3);
    const l = simLedger(d, r);
    expect(l.totals.consumptionKwh).toBeCloseTo(LOG_ENERGY_KWH + LOAD_ENERGY_KWH, 3);
    for (const h of l.hours)
      expect(h.pvUsedKwh + h.ppaUsedKwh + h.gridResidualKwh).toBeCloseTo(h.consumptionKwh, 9);
  });
});
