import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isMeasurementName,
  isSessionStreamKey,
  MEASUREMENT_NAMES,
  MEASUREMENTS,
  measurementOfKey,
  sessionChannel,
  setpointMeasurement,
  streamKey,
  unknownMeasurementProblem,
} from '../../src/model/measurements.ts';
import { SUNSPEC_MEASUREMENTS } from '../../src/drivers/sunspec/measurements.ts';
import { QUANTITIES } from '../../src/drivers/mqtt/payload.ts';
import { PHYSICAL_RANGE } from '../../src/drivers/mqtt/plausibility.ts';
import type { SetpointKind } from '../../src/drivers/types.ts';

// The closed vocabulary of measurement names and stream keys (docs/measurements.md).

describe('measurement vocabulary', () => {
  it('names each measurement with the unit it is in', () => {
    const suffix: Record<string, string> = {
      kW: '_kw',
      kWh: '_kwh',
      kvar: '_kvar',
      fraction: '_fraction',
      V: '_v',
      A: '_a',
      Hz: '_hz',
      '°C': '_c',
      'GPU-hours': '_gpu_hours',
      GPUs: '_gpus',
    };
    for (const name of MEASUREMENT_NAMES) {
      const { unit, meaning } = MEASUREMENTS[name];
      expect(meaning.length, name).toBeGreaterThan(0);
      // `online` is a flag; every other name ends with its unit.
      if (name !== 'online') expect(name.endsWith(suffix[unit]), `${name} in ${unit}`).toBe(true);
    }
  });

  it('tells names in the vocabulary from others, and says why one is refused', () => {
    expect(isMeasurementName('soc_fraction')).toBe(true);
    expect(isMeasurementName('soc')).toBe(false);
    expect(isMeasurementName('toString')).toBe(false);
    expect(isMeasurementName(42)).toBe(false);
    expect(unknownMeasurementProblem('power_kw')).toBeUndefined();
    expect(unknownMeasurementProblem('Power_KW')).toMatch(
      /unknown measurement "Power_KW".*did you mean "power_kw"/,
    );
    expect(unknownMeasurementProblem('soc')).toMatch(/did you mean "soc_fraction"\?$/);
    expect(unknownMeasurementProblem('power_kwh')).toMatch(/did you mean "power_kw"\?$/);
    expect(unknownMeasurementProblem('soc_percent')).toMatch(/did you mean "soc_fraction"\?$/);
    expect(unknownMeasurementProblem('zzz')).toBe(
      'unknown measurement "zzz": not in the measurement vocabulary (docs/measurements.md)',
    );
    expect(unknownMeasurementProblem(undefined)).toMatch(/unknown measurement undefined/);
  });

  it('builds and takes apart stream keys', () => {
    expect(streamKey('power_kw')).toBe('power_kw');
    expect(streamKey('power_kw', 'cp-1/2')).toBe('power_kw@cp-1/2');
    expect(measurementOfKey('power_kw@cp-1/2')).toBe('power_kw');
    expect(measurementOfKey('soc_fraction')).toBe('soc_fraction');
    const session = streamKey('session_energy_kwh', `cp-1/${sessionChannel('42')}`);
    expect(session).toBe('session_energy_kwh@cp-1/tx:42');
    expect(isSessionStreamKey(session)).toBe(true);
    expect(isSessionStreamKey(streamKey('session_energy_kwh', sessionChannel('7')))).toBe(true);
    expect(isSessionStreamKey('power_kw@cp-1/2')).toBe(false);
    // Delta keys of the live stream carry the stream key as one path segment.
    expect(isSessionStreamKey('assets.campus-ev.measurements.session_energy_kwh@tx:7.value')).toBe(true);
  });

  it('has a setpoint_… name for every setpoint kind', () => {
    const kinds: Record<SetpointKind, true> = {
      battery_power_kw: true,
      pv_power_limit_kw: true,
      charging_limit_kw: true,
      load_limit_kw: true,
      gpu_power_cap_fraction: true,
      job_gpus: true,
    };
    for (const kind of Object.keys(kinds) as SetpointKind[])
      expect(isMeasurementName(setpointMeasurement(kind)), kind).toBe(true);
  });

  it('is listed whole in docs/measurements.md', () => {
    const doc = readFileSync(new URL('../../docs/measurements.md', import.meta.url), 'utf8');
    expect(MEASUREMENT_NAMES.filter((n) => !doc.includes(`| \`${n}\``))).toEqual([]);
  });

  it('holds every name the driver tables map to', () => {
    const named = [
      ...SUNSPEC_MEASUREMENTS.map((m) => m.measurement),
      ...Object.values(QUANTITIES).map((q) => q.measurement),
      ...Object.keys(PHYSICAL_RANGE),
    ];
    expect(named.filter((n) => !isMeasurementName(n))).toEqual([]);
  });
});
