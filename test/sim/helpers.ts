import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';

const cache = new Map<string, District>();

/** The reference district over `days` from its default start, prepared once per test file. */
export function referenceDistrict(days = 7, start?: string): District {
  const key = `${days}:${start}`;
  let d = cache.get(key);
  if (!d) {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days, start, baseDir });
    cache.set(key, d);
  }
  return d;
}
