import type { District } from '../sim/district.ts';
import type { Dispatch, Strategy, StepView } from '../sim/strategy-interface.ts';
import { emptyDispatch, plannedDatacenterKw } from '../strategy/common.ts';
import { rulesStrategy } from '../strategy/rules.ts';
import { noneStrategy } from '../strategy/none.ts';
import { MS_PER_HOUR } from '../model/time.ts';
import { solveHorizon, type Schedule } from './build.ts';
import { WarmBasis } from './warm-basis.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS, inRunEndDrain, type PlanOptions } from './horizon.ts';
import type { Forecast } from '../forecast/planner-standin.ts';
import type { SolveOptions } from './highs.ts';
import { busMustChargeKw, evMustChargeKw, shedFlexibleLoads } from './peak-hold.ts';
import { jobUnknownToPlan, replanReason } from './replan-trigger.ts';
import { deferrableDispatch } from './assets/deferrable.ts';
import { finishesWithinStep } from './assets/datacenter.ts';
import { higherPriorityFirst } from '../sim/assets/datacenter.ts';

// Rolling-horizon control around the horizon MILP: re-plan every `replanEveryHours` on the forecast,
// apply the current interval of the newest plan, and never go without a decision — a failed or
// timed-out solve falls back to the previous plan shifted in time, and with no plan left to the
// rules strategy. Fallbacks are logged and counted.

export interface PlannerOptions {
  name: string;
  forecast: Forecast;
  plan: PlanOptions;
  solve: SolveOptions;
  replanEveryHours: number;
  /**
   * Start each re-plan's simplex from the last one's basis (warm-basis.ts; default on). Off, every
   * re-plan starts cold: for comparing the two.
   */
  warmBasis?: boolean;
  /**
   * Skip a due re-plan while the plan in force still holds (replan-trigger.ts: no new training job,
   * batteries on plan, the same month; a new car is left to the dispatch), at most one in a row; off
   * by default. `optimal` turns it on.
   */
  skipUnchanged?: boolean;
  /** Where fallbacks are reported (default: stderr). */
  log?: (message: string) => void;
}

export interface PlannerStrategy extends Strategy {
  /** The newest plan (for inspection and tests). */
  lastSchedule(): Schedule | undefined;
}

export function plannerStrategy(d: District, o: PlannerOptions): PlannerStrategy {
  const log = o.log ?? ((m: string) => process.stderr.write(`${o.name}: ${m}\n`));
  const fallback = d.scenario.strategies.rules ? rulesStrategy(d) : noneStrategy();
  const replanEvery = Math.max(
    1,
    Math.round((o.replanEveryHours * MS_PER_HOUR) / (d.grid.intervalMinutes * 60_000)),
  );
  const counters = {
    solves: 0,
    fallbacks: 0,
    shiftedPlanFallbacks: 0,
    rulesFallbacks: 0,
    solveMs: 0,
    binarySolves: 0,
    /** Re-plans whose whole-job binaries relax and branch could not settle: HiGHS's MIP solver took over. */
    mipHandovers: 0,
    mipHandoverMs: 0,
    /** Re-plans answered at relax and branch's node limit by its best whole plan (SolveOptions.nodeLimitGap). */
    nodeLimitAnswers: 0,
    nodeLimitAnswerMs: 0,
    /** Due re-plans skipped because the plan in force still held (`skipUnchanged`). */
    skippedReplans: 0,
  };
  // The hour until the next re-plan is planned as the data center will run it: whole jobs, one cap.
  const plan: PlanOptions = { ...o.plan, wholeJobHours: o.plan.wholeJobHours ?? o.replanEveryHours };
  const warm = o.warmBasis === false ? undefined : new WarmBasis();
  let schedule: Schedule | undefined;
  let planIndex = -Infinity;
  let planMonth = 0;
  let lastAttempt = -Infinity;
  /** The step of the last skipped re-plan. */
  let skippedAt = -Infinity;

  return {
    name: o.name,
    lastSchedule: () => schedule,
    counters: () => ({
      ...counters,
      solveMs: Math.round(counters.solveMs),
      mipHandoverMs: Math.round(counters.mipHandoverMs),
      nodeLimitAnswerMs: Math.round(counters.nodeLimitAnswerMs),
    }),
    decide(view: StepView): Dispatch {
      let due = view.index - Math.max(lastAttempt, skippedAt) >= replanEvery;
      // In a run's last RUN_END_DRAIN_HOURS a job submitted since the plan is planned at once: an
      // hour it waits for the next re-plan may be an hour of its work left at the end
      // (finishWorkByRunEnd).
      if (!due && schedule && inRunEndDrain(view, plan) && jobUnknownToPlan(view, schedule) !== undefined)
        due = true;
      // Never twice in a row: the plan in force must come from the last re-plan that was due.
      if (
        due &&
        o.skipUnchanged &&
        schedule &&
        planIndex === lastAttempt &&
        skippedAt < planIndex &&
        replanReason(view, schedule, view.index - planIndex, replanEvery, planMonth) === undefined
      ) {
        skippedAt = view.index;
        counters.skippedReplans++;
        due = false;
      }
      if (due) {
        lastAttempt = view.index;
        const p = problemFromView(view, o.forecast, plan);
        const r = solveHorizon(p, o.solve, undefined, warm);
        counters.solves += r.solves;
        counters.solveMs += r.result.solveMs;
        if (r.built.withBinaries) counters.binarySolves++;
        if (r.result.relaxBranch?.stoppedAtNodeLimit) {
          counters.nodeLimitAnswers++;
          counters.nodeLimitAnswerMs += r.result.solveMs;
        }
        if (r.result.handedOver) {
          counters.mipHandovers++;
          counters.mipHandoverMs += r.result.solveMs;
        }
        if (r.schedule) {
          schedule = r.schedule;
          planIndex = view.index;
          planMonth = view.local.month;
        } else {
          counters.fallbacks++;
          log(
            `solve at ${new Date(view.timeMs).toISOString()} failed (${r.result.status}${r.result.message ? ': ' + r.result.message : ''}); ` +
              (schedule && view.index - planIndex < schedule.steps
                ? 'using the previous plan shifted'
                : 'using rules'),
          );
        }
      }
      const k = view.index - planIndex;
      if (!schedule || k >= schedule.steps) {
        counters.rulesFallbacks++;
        return fallback.decide(view);
      }
      if (planIndex !== lastAttempt) counters.shiftedPlanFallbacks++;
      return dispatchFromSchedule(view, schedule, k);
    },
  };
}

/**
 * The plan's step `k` as setpoints. EVs take their planned power (one that plugged in after the plan
 * was made charges at the steady rate that finishes it by departure). Buses track their planned SoC;
 * when more want a charger than the depot has, the most urgent get them. Training jobs cover the
 * plan's busy GPUs as whole jobs: every job behind its planned work, then higher priority, then least
 * laxity first, at one power cap per data center: the highest the plan gives a job it runs; in the
 * steps the plan ran whole jobs (its first hour), exactly those jobs at its cap. The battery follows
 * the plan and also covers any surprise that would lift import above the planned peak (in demand-charge hours), above the
 * import limit in force (a DR limit or the connection's), or above a DR import target; what it cannot
 * cover, EV and bus charging and the GPU caps give way for (peak-hold.ts).
 */
export function dispatchFromSchedule(view: StepView, s: Schedule, k: number): Dispatch {
  const d = view.district;
  const dt = view.intervalHours;
  const dp = emptyDispatch(view);

  for (const st of view.ev) {
    const planned = s.evKw.get(st.session.id);
    let kw: number;
    if (planned) kw = planned[k];
    else {
      const hoursLeft = Math.max(dt, (st.session.departureMs - view.timeMs) / MS_PER_HOUR);
      kw = Math.min(st.session.maxPowerKw, Math.max(0, st.remainingKwh) / hoursLeft);
    }
    // A car the real-time layer held back since the plan was made catches up before it is too late
    // (March 2026: two cars cut at 18:15 were planned 0 kW until 19:00 and left 1.75 and 0.26 kWh short).
    dp.evKw.set(st.session.id, Math.max(kw, evMustChargeKw(st, view.timeMs, dt)));
  }

  d.depots.forEach((dep, di) => {
    const cfg = dep.cfg;
    const eta = cfg.charging_efficiency;
    const wants: { b: number; kw: number; laxityH: number }[] = [];
    view.buses.forEach((bus, b) => {
      if (bus.depotIndex !== di || !bus.atDepot) return;
      const plannedKw = s.busKw.get(b)?.[k] ?? 0;
      const socPlan = s.busSocKwh.get(b)?.[k];
      // Track the planned SoC: a bus behind its plan (charger denied, a clamp) catches up, one ahead
      // of it holds back.
      let kw = plannedKw;
      if (socPlan !== undefined) {
        const gapKwh = socPlan - bus.socKwh;
        kw = gapKwh >= 0 ? gapKwh / (eta * dt) : (gapKwh * eta) / dt;
        if (plannedKw >= 0) kw = Math.max(0, kw);
        kw = Math.max(-cfg.charger_kw, Math.min(cfg.charger_kw, kw));
      }
      // Never below what still gets the bus its departure SoC at full power afterwards: a plan
      // answered within a gap, or a peak hold since it was made, may leave it short otherwise.
      // (Where it need not charge now, the plan's discharge stands.)
      const mustKw = busMustChargeKw(bus, cfg, view.timeMs, dt);
      if (mustKw > 0) kw = Math.max(kw, mustKw);
      if (Math.abs(kw) < 1e-3) return;
      // Time to spare: hours to departure less those its energy still takes at the charger's power.
      const needKwh = Math.max(0, bus.requiredSocKwh - bus.socKwh);
      const hoursLeft = bus.nextBlock ? (bus.nextBlock.startMs - view.timeMs) / MS_PER_HOUR : Infinity;
      wants.push({ b, kw, laxityH: hoursLeft - needKwh / (cfg.charger_kw * eta) });
    });
    // More buses wanting a charger than the depot has: the least time to spare first, so every bus
    // that must charge now (its floor above) gets one before any that could wait. (By the rate of
    // energy still needed instead, October 2026 sent a bus 2.5 kWh short: it needed 10 kW in its
    // last interval while 32 others, hours from leaving, wanted more.)
    const charging = wants.filter((w) => w.kw > 0).sort((x, y) => x.laxityH - y.laxityH || y.kw - x.kw);
    // The plan discharges at most v2g_chargers buses a step (assets/bus.ts) and a bus discharges here
    // only where its plan does; the cut keeps the simulator's limit whatever plan it is given.
    const discharging = wants
      .filter((w) => w.kw < 0)
      .sort((x, y) => x.kw - y.kw)
      .slice(0, cfg.v2g_chargers);
    const chargeSlots = Math.max(0, cfg.chargers - discharging.length);
    const chosen = charging.slice(0, chargeSlots);
    for (const w of [...chosen, ...discharging]) dp.busKw[w.b] = w.kw;
  });

  dispatchTrainingJobs(view, s, k, dp);

  // Deferrable loads run as planned (NaN past the plan: the simulator runs them as early as allowed).
  let deferrableKw = 0;
  if (s.deferrableKw.length > 0) {
    dp.deferrableKw = deferrableDispatch(s.deferrableKw, k);
    for (const v of dp.deferrableKw) if (Number.isFinite(v)) deferrableKw += v;
  }

  // Battery: the plan, corrected so import stays within the planned peak, the limit and the target.
  let evKw = 0;
  for (const v of dp.evKw.values()) evKw += v;
  let busKw = 0;
  for (const v of dp.busKw) busKw += v;
  const dcKw = plannedDatacenterKw(view, dp);
  let pvKw = 0;
  for (const v of view.pvAvailableKw) pvKw += v;
  let battKw = 0;
  view.batteryLimits.forEach((lim, b) => {
    const kw = Math.max(-lim.maxChargeKw, Math.min(lim.maxDischargeKw, s.batteryKw[b]?.[k] ?? 0));
    dp.batteryKw[b] = kw;
    battKw += kw;
  });
  const importKw = view.fixedLoadKw + deferrableKw + evKw + busKw + dcKw - pvKw - battKw;
  // The import the battery defends, the lowest that applies: the planned peak in demand-charge
  // intervals; an active import limit (DR or the connection's); a DR import target, where the plan
  // itself stays above the target only by what it could not avoid, so it is defended from there.
  let capKw = Infinity;
  if (d.prices.countsForDemand[view.index] === 1) capKw = Math.max(s.peakKw, view.billingDemandKw);
  const limitKw = s.importLimitKw[k];
  if (Number.isFinite(limitKw)) capKw = Math.min(capKw, limitKw);
  const dispatchTargetKw = s.importTargetKw[k];
  if (Number.isFinite(dispatchTargetKw)) capKw = Math.min(capKw, Math.max(dispatchTargetKw, s.importKw[k]));
  if (importKw > capKw) {
    let excess = importKw - capKw;
    view.batteryLimits.forEach((lim, b) => {
      const add = Math.min(excess, lim.maxDischargeKw - dp.batteryKw[b]);
      if (add > 0) {
        dp.batteryKw[b] += add;
        excess -= add;
      }
    });
    // What the battery cannot cover, the flexible loads give way for (peak-hold.ts).
    if (excess > 0) shedFlexibleLoads(view, dp, excess);
  }
  return dp;
}

/**
 * The data centers' run sets and caps for the plan's step `k`: in whole-job steps exactly the plan's;
 * past them, whole jobs covering the plan's busy GPUs (behind-plan first, then priority, then least
 * laxity).
 */
function dispatchTrainingJobs(view: StepView, s: Schedule, k: number, dp: Dispatch): void {
  const d = view.district;
  const dt = view.intervalHours;
  view.datacenters.forEach((dc, di) => {
    const unit = d.datacenters[di];
    const gpus = s.jobGpus[di];
    const caps = s.jobCapSum[di];
    const finishing = (js: (typeof dc.pending)[number]) =>
      finishesWithinStep(js.remainingGpuHours, js.job.gpus, unit.cfg, dt);
    // Where the plan ran whole jobs, the data center runs exactly those, at the plan's cap, and the
    // jobs that finish within this step where the GPUs the plan leaves free allow (the plan held
    // room for those pending when it was made: horizon.ts).
    if (k < s.wholeJobSteps && Number.isFinite(s.dcPowerCap[di]?.[k])) {
      const planned = new Set(
        dc.pending.filter((js) => (gpus?.get(js.job.id)?.[k] ?? 0) >= js.job.gpus / 2).map((js) => js.job.id),
      );
      let free = dc.trainingGpus;
      for (const js of dc.pending) if (planned.has(js.job.id)) free -= js.job.gpus;
      for (const js of dc.pending)
        if (!planned.has(js.job.id) && js.job.gpus <= free && finishing(js)) {
          planned.add(js.job.id);
          free -= js.job.gpus;
        }
      dp.datacenters[di] = {
        runJobIds: dc.pending.filter((js) => planned.has(js.job.id)).map((js) => js.job.id),
        powerCap: Math.min(1, Math.max(unit.cfg.gpu_power_cap_min, s.dcPowerCap[di][k])),
      };
      return;
    }
    // The plan's total GPUs busy this step, covered by whole jobs: those behind their planned work
    // first, then higher priority, then least laxity (least time to spare before running flat out to
    // meet the deadline).
    let plannedGpus = 0;
    const cand = dc.pending.map((js) => {
      const n = gpus?.get(js.job.id)?.[k] ?? 0;
      const g = caps?.get(js.job.id)?.[k] ?? 0;
      plannedGpus += n;
      // Work behind the plan (GPU-hours): what the plan would have done by the end of this step
      // minus what is done since it was made.
      const w = s.jobWork[di]?.get(js.job.id);
      const start = s.jobRemainingGpuHours[di]?.get(js.job.id);
      let deficit = 0;
      if (w && start !== undefined) {
        for (let j = 0; j <= k; j++) deficit += w[j] * dt;
        deficit -= start - js.remainingGpuHours;
      }
      const laxityH = (js.job.deadlineMs - view.timeMs) / MS_PER_HOUR - js.remainingGpuHours / js.job.gpus;
      // Behind its plan, or finishing within the step: runs whatever the plan's total.
      const behind = deficit > 1e-6 || finishing(js);
      return { js, n, g, laxityH, behind };
    });
    cand.sort(
      (a, b) =>
        (b.behind ? 1 : 0) - (a.behind ? 1 : 0) ||
        higherPriorityFirst(a.js.job, b.js.job) ||
        a.laxityH - b.laxityH,
    );
    let free = dc.trainingGpus;
    let capMax = 0;
    let running = 0;
    const ids: string[] = [];
    for (const c of cand) {
      if (c.js.job.gpus > free) continue;
      // A job behind always runs; others when that brings the running total nearer the plan's.
      if (!c.behind && Math.abs(running + c.js.job.gpus - plannedGpus) >= Math.abs(running - plannedGpus))
        continue;
      free -= c.js.job.gpus;
      running += c.js.job.gpus;
      ids.push(c.js.job.id);
      if (c.n > 1e-6) capMax = Math.max(capMax, c.g / c.n);
    }
    // One cap for all: the highest the plan gives any job it runs, so the most pressed job keeps its
    // pace (the others then finish early, which the next plan sees). With none planned busy: full.
    const cap = capMax > 0 ? Math.min(1, Math.max(unit.cfg.gpu_power_cap_min, capMax)) : 1;
    // Keep submission order: the simulator hands out GPUs in that order.
    const chosen = new Set(ids);
    dp.datacenters[di] = {
      runJobIds: dc.pending.filter((js) => chosen.has(js.job.id)).map((js) => js.job.id),
      powerCap: cap,
    };
  });
}

export function plannerDefaults(horizonHours: number): PlanOptions {
  return { ...DEFAULT_PLAN_OPTIONS, horizonHours };
}
