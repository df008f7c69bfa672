import type { HorizonProblem } from './problem.ts';

/**
 * A problem with nothing in it: `steps` steps of `stepHours`, flat prices, no assets. For tests,
 * benches and warming the planner worker.
 */
export function emptyProblem(steps: number, stepHours: number, importPriceKrwPerKwh = 100): HorizonProblem {
  return {
    startMs: 0,
    steps,
    stepHours,
    importPriceKrwPerKwh: new Float64Array(steps).fill(importPriceKrwPerKwh),
    exportPriceKrwPerKwh: new Float64Array(steps),
    countsForDemand: new Uint8Array(steps),
    demandWindowSteps: 1,
    hourKey: Int32Array.from({ length: steps }, (_, k) => Math.floor((k * stepHours) / 1)),
    fixedLoadKw: new Float64Array(steps),
    pvAvailableKw: [],
    pvIds: [],
    ppaKw: new Float64Array(steps),
    importLimitKw: new Float64Array(steps).fill(1e6),
    exportLimitKw: new Float64Array(steps),
    importTargetKw: new Float64Array(steps).fill(Infinity),
    importTargetPenaltyKrwPerKwh: 1e6,
    peakReserveKw: new Float64Array(steps),
    billingDemandKw: 0,
    peakCostKrwPerKw: 0,
    taxFactor: 1,
    emissionFactorKgPerKwh: new Float64Array(steps).fill(0.4),
    consumptionCostKrwPerKwh: 0,
    terminalValueKrwPerKwh: 0,
    unmetPenaltyKrwPerKwh: 1e6,
    latePenaltyKrwPerGpuHour: 1e6,
    lateDelayKrwPerGpuHourHour: 0,
    busBelowFloorPenaltyKrwPerKwh: 1e6,
    overloadPenaltyKrwPerKw: 1e7,
    weights: { cost: 1, emissionsKrwPerKg: 0, re100KrwPerKwh: 0 },
    batteries: [],
    ev: [],
    depots: [],
    datacenters: [],
    evFleetThreshold: Infinity,
    wholeJobSteps: 0,
    batteryBinaries: 'auto',
  };
}
