import type { Dispatch, StepView } from '../sim/strategy-interface.ts';
import { higherPriorityFirst, throughputAtCap, trainingItKw } from '../sim/assets/datacenter.ts';

export function emptyDispatch(view: StepView): Dispatch {
  return {
    batteryKw: new Float64Array(view.batterySocKwh.length),
    evKw: new Map(),
    busKw: new Float64Array(view.buses.length),
    datacenters: view.datacenters.map(() => ({ runJobIds: [], powerCap: 1 })),
  };
}

/**
 * Training jobs as a priority queue runs them: higher priority first, first come, first served among
 * equals, at full GPU power. A job of higher priority takes the GPUs of one of lower priority at the
 * next interval if it needs them (as a preemptive cluster scheduler does).
 */
export function runJobsByPriority(view: StepView, dispatch: Dispatch): void {
  view.datacenters.forEach((dc, k) => {
    let free = dc.trainingGpus;
    const ids: string[] = [];
    // pending is in submission order and the sort is stable.
    const byPriority = dc.pending.slice().sort((a, b) => higherPriorityFirst(a.job, b.job));
    for (const js of byPriority) {
      if (js.job.gpus <= free) {
        free -= js.job.gpus;
        ids.push(js.job.id);
      }
    }
    dispatch.datacenters[k] = { runJobIds: ids, powerCap: 1 };
  });
}

/** Facility power the data centers will draw under `dispatch`, kW, to plan the rest around it. */
export function plannedDatacenterKw(view: StepView, dispatch: Dispatch): number {
  let kw = 0;
  view.datacenters.forEach((dc, k) => {
    const unit = view.district.datacenters[k];
    const cmd = dispatch.datacenters[k];
    const run = new Set(cmd.runJobIds);
    const speed = throughputAtCap(unit.cfg, cmd.powerCap);
    let busyCap = 0;
    for (const js of dc.pending) {
      if (!run.has(js.job.id)) continue;
      const share = Math.min(1, js.remainingGpuHours / (js.job.gpus * speed * view.intervalHours));
      busyCap += js.job.gpus * cmd.powerCap * share;
    }
    kw += (dc.inferenceItKw + trainingItKw(unit.cfg, unit.layout, busyCap)) * dc.pue;
  });
  return kw;
}
