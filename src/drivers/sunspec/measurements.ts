// Which SunSpec points become which Bitgrid measurements: the device profile as data.
//
// For each measurement the sources are tried in order and the first model the device has (and
// whose point is implemented) gives the value, times `factor` (W → kW, % → fraction …). Signs:
// inverter W (101–103, 701) is positive when the device injects, i.e. PV production or battery
// discharge, which is Bitgrid's convention for both. Model 802 `W` has no sign defined by SunSpec;
// `battery_dc_power_sign` in the device config says which way the device counts.

import type { MeasurementName } from '../../model/measurements.ts';

export type SunSpecRole = 'pv' | 'battery';

export interface PointSource {
  model: number;
  point: string;
  /** Multiply by −1 when the device config says battery DC power is charge-positive. */
  batteryDcSign?: boolean;
}

export interface MeasurementMapping {
  measurement: MeasurementName;
  roles: readonly SunSpecRole[];
  factor: number;
  sources: readonly PointSource[];
}

const inverter = (point: string, point701 = point): PointSource[] => [
  { model: 103, point },
  { model: 102, point },
  { model: 101, point },
  { model: 701, point: point701 },
];

export const SUNSPEC_MEASUREMENTS: readonly MeasurementMapping[] = [
  {
    measurement: 'power_kw',
    roles: ['pv', 'battery'],
    factor: 1e-3,
    sources: [...inverter('W'), { model: 802, point: 'W', batteryDcSign: true }],
  },
  {
    measurement: 'reactive_power_kvar',
    roles: ['pv', 'battery'],
    factor: 1e-3,
    sources: inverter('VAr', 'Var'),
  },
  { measurement: 'frequency_hz', roles: ['pv', 'battery'], factor: 1, sources: inverter('Hz') },
  { measurement: 'energy_kwh', roles: ['pv'], factor: 1e-3, sources: inverter('WH', 'TotWhInj') },
  { measurement: 'voltage_v', roles: ['pv', 'battery'], factor: 1, sources: inverter('PhVphA', 'LNV') },
  { measurement: 'temperature_c', roles: ['pv', 'battery'], factor: 1, sources: inverter('TmpCab') },
  {
    measurement: 'dc_power_kw',
    roles: ['pv'],
    factor: 1e-3,
    sources: [
      { model: 103, point: 'DCW' },
      { model: 102, point: 'DCW' },
      { model: 101, point: 'DCW' },
    ],
  },
  {
    measurement: 'rated_power_kw',
    roles: ['pv'],
    factor: 1e-3,
    sources: [
      { model: 120, point: 'WRtg' },
      { model: 121, point: 'WMax' },
      { model: 702, point: 'WMaxRtg' },
      { model: 702, point: 'WMax' },
    ],
  },
  {
    measurement: 'soc_fraction',
    roles: ['battery'],
    factor: 0.01,
    sources: [
      { model: 802, point: 'SoC' },
      { model: 124, point: 'ChaState' },
    ],
  },
  {
    measurement: 'capacity_kwh',
    roles: ['battery'],
    factor: 1e-3,
    sources: [
      { model: 802, point: 'WHRtg' },
      { model: 120, point: 'WHRtg' },
    ],
  },
  {
    measurement: 'max_charge_kw',
    roles: ['battery'],
    factor: 1e-3,
    sources: [
      { model: 802, point: 'WChaRteMax' },
      { model: 124, point: 'WChaMax' },
      { model: 120, point: 'MaxChaRte' },
    ],
  },
  {
    measurement: 'max_discharge_kw',
    roles: ['battery'],
    factor: 1e-3,
    sources: [
      { model: 802, point: 'WDisChaRteMax' },
      { model: 120, point: 'MaxDisChaRte' },
    ],
  },
  { measurement: 'soh_fraction', roles: ['battery'], factor: 0.01, sources: [{ model: 802, point: 'SoH' }] },
  {
    measurement: 'dc_voltage_v',
    roles: ['battery'],
    factor: 1,
    sources: [
      { model: 802, point: 'V' },
      { model: 124, point: 'InBatV' },
    ],
  },
];
