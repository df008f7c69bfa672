import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../../src/optimize/build.ts';
import { solveSync } from '../../src/optimize/highs.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { initialView } from '../../src/optimize/view.ts';

// An exported model re-solved by an independent solver (GLPK) must give the same optimum. CI installs
// glpk-utils (Debian); without glpsol the test is skipped, saying why.
const hasGlpsol = spawnSync('glpsol', ['--version']).status === 0;

function glpsolObjective(lpText: string, mip: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-glpsol-'));
  const lp = join(dir, 'model.lp');
  const out = join(dir, 'solution.txt');
  writeFileSync(lp, lpText);
  execFileSync('glpsol', ['--lp', lp, '-o', out, ...(mip ? ['--mipgap', '0'] : [])], {
    stdio: 'pipe',
    timeout: 120_000,
  });
  const text = readFileSync(out, 'utf8');
  const m = /Objective:\s+\S+\s+=\s+(\S+)/.exec(text);
  if (!m) throw new Error(`no objective in glpsol output:\n${text.slice(0, 500)}`);
  return Number(m[1]);
}

describe.skipIf(!hasGlpsol)('exported LP re-solved by GLPK (glpsol; needs Debian package glpk-utils)', () => {
  it('a 6-hour horizon of the reference district, with battery binaries, gives the same optimum', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { days: 1, baseDir });
    const view = initialView(d, 40); // 10:00, demand-charge hours, EVs plugged in, jobs pending
    const p = problemFromView(view, perfectForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 6,
      batteryBinaries: 'always',
    });
    const built = buildModel(p);
    expect(built.model.numIntegers).toBeGreaterThan(0);
    const highs = solveSync(built.model.toModelData(), { mipRelGap: 0 });
    expect(highs.status).toBe('optimal');
    const glpk = glpsolObjective(built.model.toLp(), true);
    expect(Math.abs(glpk - highs.objective) / Math.max(1, Math.abs(highs.objective))).toBeLessThan(1e-6);
  });
});

describe.skipIf(hasGlpsol)('glpsol missing', () => {
  it.skip('install glpk-utils to cross-check exported models against GLPK', () => {});
});
