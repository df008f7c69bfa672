import { readFileSync } from 'node:fs';
import { loadScenarioFile } from '../model/load.ts';
import type { Scenario } from '../model/schema.ts';
import type { PvArraySpec, PvSiteSpec } from './pv-physics.ts';

// Where a PV target's physics comes from: the district file (all PV arrays, or chosen ones) or a small
// JSON file { latitudeDeg, longitudeDeg, altitudeM, arrays: [{ id, capacityKwp, tiltDeg, azimuthDeg, inverterKw }] }.

export function pvSiteFromScenario(scenario: Scenario, arrayIds?: readonly string[]): PvSiteSpec {
  const arrays: PvArraySpec[] = [];
  for (const site of scenario.sites)
    for (const a of site.assets)
      if (a.type === 'pv' && (!arrayIds || arrayIds.includes(a.id)))
        arrays.push({
          id: a.id,
          capacityKwp: a.capacity_kwp,
          tiltDeg: a.tilt_deg,
          azimuthDeg: a.azimuth_deg,
          inverterKw: a.inverter_kw,
          systemLossFraction: a.system_loss_fraction,
          inverterEfficiency: a.inverter_efficiency,
        });
  if (arrayIds)
    for (const id of arrayIds)
      if (!arrays.some((a) => a.id === id)) throw new RangeError(`no PV array "${id}" in the district`);
  return {
    latitudeDeg: scenario.location.latitude_deg,
    longitudeDeg: scenario.location.longitude_deg,
    altitudeM: scenario.location.altitude_m ?? 0,
    arrays,
  };
}

function num(v: unknown, what: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    throw new RangeError(`${what} must be a number in ${lo}…${hi}, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a JSON PV site description. */
export function parsePvSiteJson(value: unknown, file = 'site config'): PvSiteSpec {
  const o = value as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new RangeError(`${file}: expected a JSON object`);
  if (!Array.isArray(o.arrays) || o.arrays.length === 0)
    throw new RangeError(`${file}: "arrays" must list at least one PV array`);
  return {
    latitudeDeg: num(o.latitudeDeg, `${file}: latitudeDeg`, -90, 90),
    longitudeDeg: num(o.longitudeDeg, `${file}: longitudeDeg`, -180, 180),
    altitudeM: o.altitudeM === undefined ? 0 : num(o.altitudeM, `${file}: altitudeM`, -500, 9000),
    arrays: o.arrays.map((a: Record<string, unknown>, i: number) => ({
      id: typeof a.id === 'string' ? a.id : `array-${i + 1}`,
      capacityKwp: num(a.capacityKwp, `${file}: arrays[${i}].capacityKwp`, 1e-6, 1e7),
      tiltDeg: num(a.tiltDeg, `${file}: arrays[${i}].tiltDeg`, 0, 90),
      azimuthDeg:
        a.azimuthDeg === undefined ? 180 : num(a.azimuthDeg, `${file}: arrays[${i}].azimuthDeg`, 0, 360),
      inverterKw:
        a.inverterKw === undefined
          ? undefined
          : num(a.inverterKw, `${file}: arrays[${i}].inverterKw`, 1e-6, 1e7),
    })),
  };
}

/** A PV site from a district YAML or a JSON site file. */
export function loadPvSite(file: string): PvSiteSpec {
  if (/\.ya?ml$/i.test(file)) return pvSiteFromScenario(loadScenarioFile(file).scenario);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RangeError(`cannot read site config ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return parsePvSiteJson(json, file);
}
