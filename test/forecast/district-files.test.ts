import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { createDistrictForecaster } from '../../src/forecast/index.ts';

// The forecasters prepare the weeks before the run again; a district's measured series are named
// relative to its own file, so they must be read from there, not from wherever bitgrid was started.

const CARPARK = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../scenarios/measured-carpark/district.yaml',
);

describe('district forecaster and the district’s files', () => {
  it('reads the measured series from the district’s folder', () => {
    const { scenario, baseDir } = loadScenarioFile(CARPARK);
    const d = prepareDistrict(scenario, { days: 1, baseDir });
    // The carpark's building load starts with the run, so the history before it has no reading:
    // the forecaster must say so of the file beside the district, not fail to find one in the cwd.
    expect(() => createDistrictForecaster(d)).toThrow(
      `${join(baseDir, 'building-load.csv')}: no reading inside the simulated period`,
    );
  });
});
