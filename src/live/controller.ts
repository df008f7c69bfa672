import type { Scenario } from '../model/schema.ts';
import type { Setpoint } from '../drivers/types.ts';
import type { Dispatcher, ProcessImage } from '../control/loop.ts';
import type { JobPlan } from '../control/jobs.ts';
import type { Actor, LivePlanner } from '../control/types.ts';
import type { Store, JsonValue } from '../store/index.ts';
import type { District } from '../sim/district.ts';
import type { Dispatch, Strategy } from '../sim/strategy-interface.ts';
import { getStrategy } from '../scenario/strategies.ts';
import { rulesStrategy } from '../strategy/rules.ts';
import { noneStrategy } from '../strategy/none.ts';
import { OPTIMAL_HORIZON_HOURS, OPTIMAL_TIME_LIMIT_S } from '../optimize/optimal.ts';
import { dispatchFromSchedule, plannerDefaults } from '../optimize/mpc.ts';
import { problemFromView, DEFAULT_MOVE_BLOCKING } from '../optimize/horizon.ts';
import type { Schedule } from '../optimize/build.ts';
import type { HorizonProblem } from '../optimize/problem.ts';
import { throughputAtCap } from '../sim/assets/datacenter.ts';
import { MS_PER_HOUR, MS_PER_MINUTE } from '../model/time.ts';
import { PlanningCalendar } from './window.ts';
import {
  BusTracker,
  buildLiveView,
  sessionKey,
  type KnownJob,
  type LiveView,
  type SessionNeeds,
} from './site-state.ts';
import { SessionDefaults } from './session-defaults.ts';
import { setpointsFromDispatch } from './setpoints.ts';
import { MeasuredHistory } from './history.ts';
import { LiveForecast } from './forecast.ts';
import { scheduleToJson, scheduleFromJson, jobPlanFromSchedule } from './schedule-json.ts';
import { streamKey } from '../model/measurements.ts';

// The live decision path. Every control cycle it builds the district's state from telemetry (and what
// the API was told), asks the strategy for a Dispatch — the same `decide` the simulator calls — and
// turns it into setpoints. For `optimal`, the district MILP is re-planned from the measured state
// every `replanEveryMs` of clock time and on events, off the loop in a worker; the cycle always
// dispatches from the newest valid schedule, and when none covers now, `rules` decides. Never no
// decision: a failed or overrunning solve keeps the last schedule, with an event and an audit entry.

/** Clock time between scheduled re-plans (OpenEMS's time-of-use scheduler re-plans every quarter hour). */
export const DEFAULT_REPLAN_EVERY_MS = 15 * MS_PER_MINUTE;
/** Wall time a solve may take before it is abandoned, ms. */
export const DEFAULT_SOLVE_BUDGET_MS = 2 * OPTIMAL_TIME_LIMIT_S * 1000;
/** Clock time between re-plans that events ask for, so a burst of arrivals costs one solve. */
const MIN_EVENT_REPLAN_GAP_MS = 5 * MS_PER_MINUTE;
/** Import off the plan by more than this share of the contract demand asks for a re-plan. */
const DEVIATION_REPLAN_FRACTION = 0.1;
/** Days of measured history kept for the forecasts (the load model trains on four weeks). */
const HISTORY_KEEP_DAYS = 35;
/** Asset id prefix the measured data-center job progress comes on (`job_done_gpu_hours@<job id>`). */
const JOB_PROGRESS = 'job_done_gpu_hours';

/** The job book as the controller needs it (src/control/jobs.ts implements it). */
export interface JobSource {
  pending(datacenterId: string, nowMs: number): KnownJob[];
  recordProgress(id: string, doneGpuHours: number, atMs: number): Promise<void>;
  setPlan(plan: JobPlan): void;
  onChange(listener: (reason: string) => void): () => void;
}

export type SolveOutcome = {
  status: 'optimal' | 'feasible' | 'infeasible' | 'timeout' | 'error' | 'aborted';
  schedule?: Schedule;
  solveMs: number;
  message?: string;
  objectiveKrw?: number;
  /** Simplex iterations of the plan's LP (its root relaxation), where the solver said. */
  rootIterations?: number;
  /** The solve started from the last re-plan's basis. */
  warmStarted?: boolean;
};

/** Solves one horizon off the control loop (a worker in production; tests pass their own). */
export type HorizonSolver = (
  problem: HorizonProblem,
  budgetMs: number,
  signal: AbortSignal,
) => Promise<SolveOutcome>;

export interface LiveControllerOptions {
  scenario: Scenario;
  baseDir: string;
  strategy: string;
  store: Store;
  now: () => number;
  /** Wall ms per clock ms (1 live; 1/speed in the twin), to turn clock budgets into timers. */
  wallPerClockMs?: number;
  jobs?: JobSource;
  solver?: HorizonSolver;
  replanEveryMs?: number;
  horizonHours?: number;
  solveBudgetMs?: number;
  /** Shadow controllers (src/live/shadow.ts): see every cycle's view and decision, never actuate. */
  shadow?: { observe(lv: LiveView, acting: Dispatch, signals: ProcessImage['signals']): void };
  log?: {
    info(o: object, m?: string): void;
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
  };
}

/** What decides now, as the API shows it (the LivePlanner contract of src/control/types.ts). */
export type PlannerStatus = ReturnType<LivePlanner['status']>;

interface ActivePlan {
  schedule: Schedule;
  id?: number;
  madeMs: number;
}

export class LiveController implements Dispatcher, LivePlanner {
  readonly name: string;
  private readonly calendar: PlanningCalendar;
  private readonly buses = new BusTracker();
  private readonly defaults: SessionDefaults;
  private readonly history: MeasuredHistory;
  readonly forecast: LiveForecast;
  private readonly needs = new Map<string, SessionNeeds>();
  private readonly log: NonNullable<LiveControllerOptions['log']>;
  private district?: District;
  private strategy?: Strategy;
  private fallback?: Strategy;
  private plan?: ActivePlan;
  private inFlight?: AbortController;
  private lastPlanAttemptMs = -Infinity;
  private lastEventReplanMs = -Infinity;
  private pendingReason?: string;
  private lastSessionKeys = '';
  private lastSignalKey = '';
  private inFallback = false;
  private lastView?: LiveView;
  private lastSolve?: PlannerStatus['lastSolve'];
  private lastCycleMs = NaN;
  private readonly sessionsSeen = new Map<string, { assetId: string; startMs: number; energyKwh: number }>();
  private readonly estimatedJobDone = new Map<string, number>();
  readonly counters = {
    solves: 0,
    solveFailures: 0,
    solveTimeouts: 0,
    rulesCycles: 0,
    scheduleCycles: 0,
    replansOnEvent: 0,
  };
  private readonly usesPlans: boolean;
  private readonly unsubscribeJobs?: () => void;

  constructor(private readonly o: LiveControllerOptions) {
    this.name = o.strategy;
    if (o.strategy === 'oracle')
      throw new Error('strategy "oracle" plans on the true future and cannot run live; use "optimal"');
    // Fails early on an unknown name, with the list of known ones.
    if (o.strategy !== 'optimal') getStrategy(o.strategy);
    this.usesPlans = o.strategy === 'optimal';
    this.calendar = new PlanningCalendar(o.scenario, o.baseDir);
    this.defaults = new SessionDefaults(o.scenario);
    this.history = new MeasuredHistory(o.scenario.interval_minutes * MS_PER_MINUTE, HISTORY_KEEP_DAYS);
    this.log = o.log ?? { info() {}, warn() {}, error() {} };
    this.forecast = new LiveForecast({
      history: this.history,
      horizonHours: this.horizonHours,
      log: (m) => this.log.warn({}, m),
    });
    this.unsubscribeJobs = o.jobs?.onChange((reason) => this.notify(reason));
  }

  private get horizonHours(): number {
    return this.o.horizonHours ?? OPTIMAL_HORIZON_HOURS;
  }

  /** Loads history for the forecasts and the schedule in force from the store (after a restart). */
  async restore(): Promise<void> {
    const nowMs = this.o.now();
    const ids = [...this.o.scenario.sites.flatMap((s) => s.assets)]
      .filter((a) => a.type === 'pv' || a.type === 'load')
      .map((a) => a.id);
    await this.history.seed(this.o.store, ids, nowMs, HISTORY_KEEP_DAYS);
    if (!this.usesPlans) return;
    const active = await this.o.store.listSchedules({
      status: 'active',
      strategy: this.name,
      fromMs: nowMs,
      toMs: nowMs + 1,
      limit: 1,
    });
    const rec = active[0];
    const plan = rec ? scheduleFromJson((rec.payload as { plan?: JsonValue } | null)?.plan) : undefined;
    if (rec && plan) {
      this.plan = { schedule: plan, id: rec.id, madeMs: rec.createdMs };
      this.lastPlanAttemptMs = rec.createdMs;
      this.log.info({ scheduleId: rec.id }, 'schedule in force restored');
    }
  }

  stop(): void {
    this.inFlight?.abort();
    this.unsubscribeJobs?.();
    this.forecast.close();
  }

  /** Asks for a re-plan at the next cycle (an override, a fault, a DR event, a job). */
  notify(reason: string): void {
    this.pendingReason ??= reason;
  }

  /** Departure and energy for a session whose charger cannot tell them (API). */
  setSessionNeeds(assetId: string, channel: string, needs: SessionNeeds): boolean {
    const s = this.lastView?.view.ev.find((e) => {
      const where = this.lastView!.sessionChannels.get(e.session.id);
      return where?.assetId === assetId && where.channel === channel;
    });
    if (!s) return false;
    this.needs.set(s.session.id, needs);
    this.notify(`session needs on ${assetId} ${channel}`);
    return true;
  }

  /** Sessions in progress as the planner sees them (for the API and the dashboard). */
  sessions(): ReturnType<LivePlanner['sessions']> {
    const lv = this.lastView;
    if (!lv) return [];
    return lv.view.ev.map((e) => ({
      key: e.session.id,
      assetId: e.session.assetId,
      channel: lv.sessionChannels.get(e.session.id)?.channel ?? '',
      arrivalMs: e.session.arrivalMs,
      departureMs: e.session.departureMs,
      energyKwh: e.session.energyKwh,
      deliveredKwh: e.deliveredKwh,
    }));
  }

  status(): PlannerStatus {
    return {
      strategy: this.name,
      mode: !this.usesPlans ? 'direct' : this.inFallback ? 'rules' : 'schedule',
      scheduleId: this.plan?.id,
      scheduleMadeMs: this.plan?.madeMs,
      solving: Boolean(this.inFlight),
      lastSolve: this.lastSolve,
      counters: { ...this.counters },
    };
  }

  /** The forecaster of each series and the validation behind the choice (GET /api/forecast/models). */
  forecastModels(): ReturnType<LiveForecast['choices']> {
    return this.forecast.choices();
  }

  /** The live view of the newest cycle (tests, API). */
  view(): LiveView | undefined {
    return this.lastView;
  }

  requested(image: ProcessImage): Setpoint[] {
    const nowMs = image.timeMs;
    const aheadMs = (this.horizonHours + 1) * MS_PER_HOUR;
    const d = this.calendar.at(nowMs, aheadMs);
    if (d !== this.district) {
      this.district = d;
      this.strategy = this.usesPlans ? undefined : getStrategy(this.o.strategy)(d);
      this.fallback = d.scenario.strategies.rules ? rulesStrategy(d) : noneStrategy();
      if (this.calendar.weatherNote) this.log.warn({}, this.calendar.weatherNote);
    }
    this.observeHistory(image);
    this.trackSessions(image, nowMs);
    const index = PlanningCalendar.indexAt(d, nowMs);
    const jobs = this.knownJobs(d, image, nowMs);
    const lv = buildLiveView({
      district: d,
      index,
      nowMs,
      image,
      sessions: image.sessions,
      demand: {
        monthPeakKw: image.monthPeakKw,
        monthMaxKw: image.monthMaxKw,
        billingDemandKw: image.billingDemandKw,
      },
      jobs,
      needs: this.needs,
      defaults: this.defaults,
      buses: this.buses,
    });
    this.lastView = lv;

    let dispatch: Dispatch;
    if (!this.usesPlans) dispatch = this.strategy!.decide(lv.view);
    else {
      this.maybeReplan(lv, image, nowMs);
      dispatch = this.decideFromPlan(lv, nowMs);
    }
    this.estimateJobProgress(lv, dispatch, image, nowMs);
    this.o.shadow?.observe(lv, dispatch, image.signals);
    this.lastCycleMs = nowMs;
    return setpointsFromDispatch(lv, dispatch);
  }

  private decideFromPlan(lv: LiveView, nowMs: number): Dispatch {
    const p = this.plan;
    const stepMs = lv.view.district.grid.intervalMinutes * MS_PER_MINUTE;
    const k = p ? Math.floor((lv.view.timeMs - p.schedule.startMs) / stepMs) : -1;
    if (p && k >= 0 && k < p.schedule.steps) {
      if (this.inFallback) {
        this.inFallback = false;
        void this.event('info', 'PLAN_RESUMED', `following schedule ${p.id ?? ''} again`, nowMs);
      }
      this.counters.scheduleCycles++;
      return dispatchFromSchedule(lv.view, p.schedule, k);
    }
    if (!this.inFallback) {
      this.inFallback = true;
      const why = p ? 'the newest schedule has run out' : 'no schedule yet';
      void this.event('warning', 'PLAN_FALLBACK_RULES', `${why}: rules decide until a new plan is in`, nowMs);
      void this.audit('plan.fallback', { reason: why });
    }
    this.counters.rulesCycles++;
    return this.fallback!.decide(lv.view);
  }

  private maybeReplan(lv: LiveView, image: ProcessImage, nowMs: number): void {
    // Events that change what the plan should be.
    const sessionKeys = lv.view.ev
      .map((e) => e.session.id)
      .sort()
      .join(',');
    if (sessionKeys !== this.lastSessionKeys) {
      if (this.lastSessionKeys !== '' || sessionKeys !== '') this.notify('EV arrival or departure');
      this.lastSessionKeys = sessionKeys;
    }
    const signalKey = JSON.stringify(image.signals.map((s) => [s.kind, s.startMs, s.endMs, s.value]));
    if (signalKey !== this.lastSignalKey) {
      if (this.lastSignalKey !== '' || image.signals.length) this.notify('grid signal (DR event or price)');
      this.lastSignalKey = signalKey;
    }
    const p = this.plan;
    if (p) {
      const stepMs = lv.view.district.grid.intervalMinutes * MS_PER_MINUTE;
      const k = Math.floor((lv.view.timeMs - p.schedule.startMs) / stepMs);
      const gridKw = image.values.get('grid')?.get('power_kw')?.value;
      if (k >= 0 && k < p.schedule.steps && gridKw !== undefined) {
        const plannedKw = p.schedule.importKw[k] - p.schedule.exportKw[k];
        if (
          Math.abs(gridKw - plannedKw) >
          DEVIATION_REPLAN_FRACTION * this.o.scenario.grid.contract_demand_kw
        )
          this.notify(`import ${Math.round(gridKw)} kW is off the plan's ${Math.round(plannedKw)} kW`);
      }
    }
    if (this.inFlight) return;
    const every = this.o.replanEveryMs ?? DEFAULT_REPLAN_EVERY_MS;
    let reason: string | undefined;
    if (nowMs - this.lastPlanAttemptMs >= every) reason = 'scheduled';
    else if (this.pendingReason && nowMs - this.lastEventReplanMs >= MIN_EVENT_REPLAN_GAP_MS) {
      reason = this.pendingReason;
      this.counters.replansOnEvent++;
      this.lastEventReplanMs = nowMs;
    }
    if (!reason) return;
    this.pendingReason = undefined;
    this.lastPlanAttemptMs = nowMs;
    this.startSolve(lv, image, nowMs, reason);
  }

  private startSolve(lv: LiveView, image: ProcessImage, nowMs: number, reason: string): void {
    const solver = this.o.solver;
    if (!solver) return;
    this.forecast.setFutureJobs(lv.futureJobs);
    let problem: HorizonProblem;
    try {
      problem = problemFromView(
        lv.view,
        this.forecast,
        {
          ...plannerDefaults(this.horizonHours),
          moveBlocking: DEFAULT_MOVE_BLOCKING,
          // Until the next scheduled re-plan the data center runs whole jobs at one cap, as planned.
          wholeJobHours: (this.o.replanEveryMs ?? DEFAULT_REPLAN_EVERY_MS) / MS_PER_HOUR,
        },
        lv.view.batterySocKwh,
        image.signals,
      );
    } catch (e) {
      this.failSolve(nowMs, reason, 'error', 0, `problem not built: ${(e as Error).message}`);
      return;
    }
    const ac = new AbortController();
    this.inFlight = ac;
    const budgetMs = this.o.solveBudgetMs ?? DEFAULT_SOLVE_BUDGET_MS;
    const inputs = {
      reason,
      evSessions: lv.view.ev.length,
      busesPlugged: lv.buses.filter((b) => b.atDepot).length,
      jobs: lv.view.datacenters.reduce((n, dc) => n + dc.pending.length, 0) + lv.futureJobs.flat().length,
      signals: image.signals.length,
      batterySocKwh: Array.from(lv.view.batterySocKwh, (x) => Math.round(x)),
      billingDemandKw: Math.round(lv.view.billingDemandKw),
      forecast: Object.fromEntries(this.forecast.models),
    };
    solver(problem, budgetMs, ac.signal)
      .then(async (r) => {
        this.counters.solves++;
        if (!r.schedule || (r.status !== 'optimal' && r.status !== 'feasible')) {
          this.failSolve(nowMs, reason, r.status, r.solveMs, r.message);
          return;
        }
        await this.adopt(r.schedule, nowMs, r, inputs);
      })
      .catch((e: unknown) => this.failSolve(nowMs, reason, 'error', 0, (e as Error).message))
      .finally(() => {
        if (this.inFlight === ac) this.inFlight = undefined;
      });
  }

  private failSolve(atMs: number, reason: string, status: string, solveMs: number, message?: string): void {
    if (status === 'timeout') this.counters.solveTimeouts++;
    else this.counters.solveFailures++;
    this.lastSolve = { atMs, status, solveMs: Math.round(solveMs), reason };
    const keeps = this.plan ? `keeping schedule ${this.plan.id ?? ''}` : 'rules decide';
    this.log.warn({ status, reason, message }, `re-plan failed; ${keeps}`);
    void this.event(
      'warning',
      'PLAN_FAILED',
      `re-plan (${reason}) ${status}${message ? ': ' + message : ''}; ${keeps}`,
      this.o.now(),
    );
    void this.audit('plan.failed', { status, reason, message: message ?? null });
  }

  private async adopt(
    s: Schedule,
    madeMs: number,
    r: SolveOutcome,
    inputs: Record<string, JsonValue>,
  ): Promise<void> {
    const previous = this.plan;
    this.plan = { schedule: s, madeMs };
    this.lastSolve = {
      atMs: madeMs,
      status: r.status,
      solveMs: Math.round(r.solveMs),
      reason: String(inputs.reason),
    };
    if (this.o.jobs && this.district) this.o.jobs.setPlan(jobPlanFromSchedule(s, this.district, madeMs));
    const stepMs = s.stepHours * MS_PER_HOUR;
    try {
      const rec = await this.o.store.addSchedule({
        createdMs: madeMs,
        startMs: s.startMs,
        endMs: s.startMs + s.steps * stepMs,
        strategy: this.name,
        status: 'active',
        payload: {
          ...scheduleToJson(s, this.district!),
          solveMs: Math.round(r.solveMs),
          objectiveKrw: Math.round(r.objectiveKrw ?? s.objectiveKrw),
          solveStatus: r.status,
          ...(r.rootIterations !== undefined ? { rootIterations: r.rootIterations } : {}),
          ...(r.warmStarted !== undefined ? { warmStarted: r.warmStarted } : {}),
          inputs,
        },
      });
      // The replaced one is marked before the new id is announced (status(), the API), so a reader
      // that sees the new id also sees the old one superseded.
      if (previous?.id !== undefined) await this.o.store.setScheduleStatus(previous.id, 'superseded');
      if (this.plan.schedule === s) this.plan.id = rec.id;
    } catch (e) {
      // The plan is in force whether or not the store took it: control never waits on the store.
      this.log.warn({ err: (e as Error).message }, 'schedule not stored');
    }
  }

  private observeHistory(image: ProcessImage): void {
    for (const site of this.o.scenario.sites)
      for (const a of site.assets) {
        if (a.type !== 'pv' && a.type !== 'load') continue;
        const v = image.values.get(a.id)?.get('power_kw');
        if (v) this.history.observe(a.id, Math.max(v.timeMs, image.timeMs - 1), v.value);
      }
  }

  /** Learns dwell and energy from sessions as they end. */
  private trackSessions(image: ProcessImage, nowMs: number): void {
    const live = new Set<string>();
    for (const s of image.sessions) {
      const key = sessionKey(s);
      live.add(key);
      this.sessionsSeen.set(key, { assetId: s.assetId, startMs: s.startMs, energyKwh: s.energyKwh });
    }
    for (const [key, s] of this.sessionsSeen) {
      if (live.has(key)) continue;
      this.defaults.learn(s.assetId, s.startMs, nowMs, s.energyKwh);
      this.sessionsSeen.delete(key);
      this.needs.delete(key);
    }
  }

  /** Jobs from the job book, with the data center's measured progress where it reports it. */
  private knownJobs(d: District, image: ProcessImage, nowMs: number): KnownJob[] {
    const jobs = this.o.jobs;
    if (!jobs) return [];
    const out: KnownJob[] = [];
    for (const u of d.datacenters)
      for (const j of jobs.pending(u.id, nowMs)) {
        const measured = image.values.get(u.id)?.get(streamKey(JOB_PROGRESS, j.id))?.value;
        const estimated = this.estimatedJobDone.get(j.id);
        const done = Math.max(j.doneGpuHours, measured ?? estimated ?? 0);
        if (done > j.doneGpuHours + 1e-6)
          void jobs.recordProgress(j.id, Math.min(done, j.gpuHours), nowMs).catch(() => undefined);
        out.push({ ...j, doneGpuHours: done });
      }
    return out;
  }

  /**
   * Work a data center that does not report progress has done: what was commanded since the last
   * cycle at the commanded cap (the same physics the simulator uses).
   */
  private estimateJobProgress(lv: LiveView, dp: Dispatch, image: ProcessImage, nowMs: number): void {
    if (!Number.isFinite(this.lastCycleMs) || nowMs <= this.lastCycleMs) return;
    const hours = (nowMs - this.lastCycleMs) / MS_PER_HOUR;
    lv.view.datacenters.forEach((dc, k) => {
      const unit = lv.view.district.datacenters[k];
      const cmd = dp.datacenters[k];
      if (!cmd) return;
      const speed = throughputAtCap(unit.cfg, cmd.powerCap);
      const run = new Set(cmd.runJobIds);
      for (const js of dc.pending) {
        if (!run.has(js.job.id)) continue;
        if (image.values.get(unit.id)?.has(streamKey(JOB_PROGRESS, js.job.id))) continue;
        const doneBefore = js.job.gpuHours - js.remainingGpuHours;
        this.estimatedJobDone.set(
          js.job.id,
          Math.min(js.job.gpuHours, doneBefore + js.job.gpus * speed * hours),
        );
      }
    });
  }

  private async event(
    severity: 'info' | 'warning' | 'alarm',
    code: string,
    message: string,
    timeMs: number,
  ): Promise<void> {
    try {
      await this.o.store.addEvent({ timeMs, severity, source: 'planner', code, message });
    } catch (e) {
      this.log.warn({ err: (e as Error).message, code }, 'planner event not stored');
    }
  }

  private async audit(action: string, details: Record<string, JsonValue>): Promise<void> {
    const actor: Actor = { id: 'system', role: 'system' };
    try {
      await this.o.store.appendAudit({
        timeMs: this.o.now(),
        actor: actor.id,
        role: 'system',
        action,
        target: `planner:${this.name}`,
        details,
        outcome: action === 'plan.failed' ? 'failed' : 'ok',
      });
    } catch (e) {
      this.log.warn({ err: (e as Error).message, action }, 'planner audit not stored');
    }
  }
}
