import { assetSchema, type AssetOf } from '../../src/model/schema.ts';
import type { DatacenterInput, HorizonProblem, JobInput } from '../../src/optimize/problem.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { initialView } from '../../src/optimize/view.ts';
import type { StepView } from '../../src/sim/strategy-interface.ts';

// Small hand-checkable assets for the optimizer's tests.

/**
 * A data center of `nodes` × `gpusPerNode` GPUs, all for training, 1 kW per GPU at full cap, PUE 1:
 * power and work can be worked out by hand.
 */
export function trainingDatacenter(
  nodes: number,
  gpusPerNode: number,
  gpuPowerCapMin: number,
): AssetOf<'datacenter'> {
  return assetSchema.parse({
    id: 'dc',
    type: 'datacenter',
    nodes,
    gpus_per_node: gpusPerNode,
    node_full_kw: gpusPerNode,
    node_idle_kw: 0,
    pue_cold: 1,
    pue_hot: 1,
    pue_cold_temperature_c: 0,
    pue_hot_temperature_c: 30,
    gpu_power_cap_min: gpuPowerCapMin,
    throughput_exponent: 0.5,
    inference: {
      gpu_fraction: 0,
      peak_start_hour: 0,
      peak_end_hour: 0,
      peak_utilisation: 0,
      off_peak_utilisation: 0,
    },
    training: {
      gpu_fraction: 1,
      jobs_per_day: 1,
      job_gpus: [gpusPerNode],
      job_hours_min: 1,
      job_hours_max: 1,
      deadline_slack_min: 1,
      deadline_slack_max: 1,
    },
  }) as AssetOf<'datacenter'>;
}

/** The data center of `cfg` as a horizon's input over `steps` steps, with these jobs. */
export function datacenterInput(
  cfg: AssetOf<'datacenter'>,
  steps: number,
  jobs: JobInput[],
): DatacenterInput {
  const trainingGpus = cfg.nodes * cfg.gpus_per_node;
  return {
    id: cfg.id,
    cfg,
    layout: { inferenceNodes: 0, trainingNodes: cfg.nodes, trainingGpus, gpuDynamicKw: 1 },
    inferenceItKw: new Float64Array(steps),
    pue: new Float64Array(steps).fill(1),
    jobs,
  };
}

/**
 * A battery of 100 kWh and 50 kW each way, 81 % round trip (90 % each way), empty, free of wear:
 * arbitrage and peak cases are worked out by hand on it; `over` changes any field.
 */
export function testBattery(over: Partial<AssetOf<'battery'>> = {}): AssetOf<'battery'> {
  return assetSchema.parse({
    id: 'b',
    type: 'battery',
    capacity_kwh: 100,
    max_charge_kw: 50,
    max_discharge_kw: 50,
    round_trip_efficiency: 0.81,
    soc_min: 0,
    soc_max: 1,
    soc_initial: 0,
    degradation_cost_krw_per_kwh: 0,
    ...over,
  }) as AssetOf<'battery'>;
}

/**
 * The reference district over 2 days and what a strategy sees at 10:00 on its first weekday (interval
 * 40, after `rules` ran until then): demand-charge hours, cars plugged in, buses at the depot, training
 * jobs running.
 */
export function referenceWeekdayMorning(): { d: District; view: StepView } {
  const { scenario, baseDir } = loadScenarioFile();
  const d = prepareDistrict(scenario, { days: 2, baseDir });
  return { d, view: initialView(d, 40) };
}

/**
 * The 24-hour horizon `optimal` solves from interval `index` of `d` (whole jobs in the first hour,
 * moves blocked after 4 hours), on a perfect forecast.
 */
export function referenceHourlyPlan(d: District, index: number): HorizonProblem {
  return problemFromView(initialView(d, index), perfectForecast(d), {
    ...DEFAULT_PLAN_OPTIONS,
    horizonHours: 24,
    wholeJobHours: 1,
    moveBlocking: { fineHours: 4, blockHours: 1 },
  });
}
