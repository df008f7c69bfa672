import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import type { Scenario } from '../model/schema.ts';
import type { GridSignal } from '../drivers/types.ts';
import type { Actor } from '../control/types.ts';
import { Guards } from '../control/guards.ts';
import type { Store, JsonValue } from '../store/index.ts';
import type { Dispatch, StepView } from '../sim/strategy-interface.ts';
import { plannedDatacenterKw } from '../strategy/common.ts';
import type { Forecast } from '../forecast/planner-standin.ts';
import {
  persistenceForecaster,
  pointForecaster,
  type ObservationForecaster,
  type Clamp,
  actionToDispatch,
  AsyncHost,
  buildObservation,
  checkAction,
  DEFAULT_LIMITS,
  loopbackUrlProblem,
  privateModuleSpec,
  type ControllerLimits,
  type ControllerSpec,
  type Failure,
} from '../testbed/index.ts';
import { MS_PER_HOUR } from '../model/time.ts';
import type { LiveView } from './site-state.ts';
import { setpointsFromDispatch } from './setpoints.ts';

// Shadow mode: outside controllers decide on the live state every control cycle without actuating.
// Their answers go through the same narrowing and the same safety guards as the acting strategy's
// setpoints (every clamp counted), and what they would have cost is estimated beside what the
// acting strategy's decisions cost, both the same way: the import each dispatch implies on the
// state measured at that cycle, priced at the tariff, plus the 12-month cost of any new billing
// peak. A controller never holds up the loop: it answers when it answers (cycles it is still busy
// with are skipped and counted), and a failure stops it with the reason, audited.
//
// The API may run in a worker thread of its own, so it reaches the runner over a BroadcastChannel
// (testbedChannelName) rather than through the live system's interface.

/** Clamps kept per shadow controller for the API (the count is always complete). */
const LAST_CLAMPS_KEPT = 5;
/** Names are ids in the API and the audit log. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** At most this many shadow controllers at once: each is a process (module) or a worker (HTTP) with its own heap. */
export const MAX_SHADOWS = 4;
/**
 * A cycle's decision counts until the next cycle, up to this long, h: a loop that paused (a restart,
 * a stopped clock) must not have a stale decision priced over the gap.
 */
const MAX_COMPARED_GAP_HOURS = 1;

export interface ShadowEstimate {
  /** Energy bought less energy sold over the compared cycles, KRW (tariff prices before VAT). */
  energyCostKrw: number;
  importKwh: number;
  /** Highest import its decisions implied in demand-charge hours, kW. */
  peakImportKw: number;
  /** What that peak above the billing demand in force would cost over the 12-month ratchet, KRW. */
  newPeakCost12MonthsKrw: number;
  totalCostKrw: number;
}

export interface ShadowStatus {
  name: string;
  kind: 'module' | 'http';
  target: string;
  registeredBy: string;
  registeredMs: number;
  state: 'starting' | 'running' | 'failed';
  failure?: Failure;
  decisions: number;
  /** Cycles it was still deciding the previous one (not compared). */
  skippedCycles: number;
  clamps: number;
  /** The newest few clamps, so a controller's authors see what was narrowed and by which limit. */
  lastClamps: Clamp[];
  meanDecisionMs: number;
  /** Cycles both decided and were compared on, and the clock hours they cover. */
  comparedCycles: number;
  comparedHours: number;
  acting: ShadowEstimate;
  shadow: ShadowEstimate;
}

export interface ShadowRegistration {
  name: string;
  /** An http:// URL on loopback, or the source of an ES module exporting decide(). */
  url?: string;
  source?: string;
  decisionTimeoutMs?: number;
}

export class ShadowError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict' | 'too_many',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface Entry {
  status: ShadowStatus;
  host: AsyncHost;
  busy: boolean;
  dir?: string;
  decisionMsSum: number;
  lastObserveMs: number;
}

export interface ShadowRunnerOptions {
  scenario: Scenario;
  store: Store;
  now: () => number;
  /** The live loop's forecasts (measured history); persistence until it is set. */
  forecast?: () => Forecast | undefined;
  limits?: Partial<ControllerLimits>;
  log?: { warn(o: object, m?: string): void };
  /** Also listen for the API on this channel (testbedChannelName); tests drive the runner directly. */
  channel?: string;
}

function emptyEstimate(): ShadowEstimate {
  return { energyCostKrw: 0, importKwh: 0, peakImportKw: 0, newPeakCost12MonthsKrw: 0, totalCostKrw: 0 };
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : 0);

/** Grid power a dispatch implies on the state of `view`, kW (import +), with the engine's limits. */
export function impliedGridKw(view: StepView, dp: Dispatch): number {
  const dt = view.intervalHours;
  let kw = view.fixedLoadKw + plannedDatacenterKw(view, dp);
  for (const st of view.ev) {
    const s = st.session;
    kw += clamp(
      finite(dp.evKw.get(s.id)),
      -s.maxDischargeKw,
      Math.min(s.maxPowerKw, Math.max(0, st.remainingKwh) / dt),
    );
  }
  view.buses.forEach((b, k) => {
    if (b.atDepot) kw += finite(dp.busKw[k]);
  });
  view.pvAvailableKw.forEach((availKw, k) => {
    const lim = dp.pvLimitKw?.[k];
    kw -= lim === undefined || Number.isNaN(lim) ? availKw : clamp(lim, 0, availKw);
  });
  view.batteryLimits.forEach((lim, k) => {
    kw -= clamp(finite(dp.batteryKw[k]), -lim.maxChargeKw, lim.maxDischargeKw);
  });
  return kw;
}

function addCycle(e: ShadowEstimate, view: StepView, gridKw: number, hours: number): void {
  const d = view.district;
  const i = view.index;
  const importKw = Math.max(0, gridKw);
  const exportKw = Math.max(0, -gridKw);
  e.importKwh += importKw * hours;
  e.energyCostKrw +=
    (importKw * d.prices.importPriceKrwPerKwh[i] - exportKw * d.prices.exportPriceKrwPerKwh[i]) * hours;
  if (d.prices.countsForDemand[i]) {
    e.peakImportKw = Math.max(e.peakImportKw, importKw);
    const excessKw = Math.max(0, importKw - view.billingDemandKw);
    e.newPeakCost12MonthsKrw = Math.max(e.newPeakCost12MonthsKrw, excessKw * d.prices.peakCostKrwPerKw[i]);
  }
  e.totalCostKrw = e.energyCostKrw + e.newPeakCost12MonthsKrw;
}

/**
 * Names the channel's key in the environment. The process draws it once; the API's worker thread
 * inherits it with the environment, while the test bed's workers start with an empty one. An
 * uploaded module runs in a process of its own, which no BroadcastChannel of this one reaches; the
 * key keeps the channel closed to any other thread here as well.
 */
const CHANNEL_KEY_ENV = 'BITGRID_TESTBED_CHANNEL_KEY';

/** The channel the API and the runner of one district talk on. */
export function testbedChannelName(scenarioFile: string): string {
  process.env[CHANNEL_KEY_ENV] ??= randomUUID();
  return `bitgrid-testbed:${scenarioFile}:${process.env[CHANNEL_KEY_ENV]}`;
}

export type ShadowRequest =
  | { op: 'list' }
  | { op: 'register'; registration: ShadowRegistration; actor: Actor }
  | { op: 'remove'; name: string; actor: Actor };

export class ShadowRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly guards: Guards;
  private readonly limits: ControllerLimits;
  private readonly log: NonNullable<ShadowRunnerOptions['log']>;
  private readonly channel?: BroadcastChannel;
  private forecaster?: { district: StepView['district']; f: ObservationForecaster };

  constructor(private readonly o: ShadowRunnerOptions) {
    this.guards = new Guards(o.scenario);
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.log = o.log ?? { warn() {} };
    if (o.channel) {
      const ch = new BroadcastChannel(o.channel);
      ch.unref();
      ch.onmessage = (ev) => void this.onRequest(ch, (ev as MessageEvent).data);
      this.channel = ch;
    }
  }

  private async onRequest(ch: BroadcastChannel, m: unknown): Promise<void> {
    const msg = m as { t?: string; id?: string; request?: ShadowRequest };
    if (msg?.t !== 'req' || typeof msg.id !== 'string' || !msg.request) return;
    try {
      const value = await this.handle(msg.request);
      ch.postMessage({ t: 'res', id: msg.id, ok: true, value });
    } catch (e) {
      const err = e instanceof ShadowError ? e : new ShadowError('bad_request', (e as Error).message);
      ch.postMessage({
        t: 'res',
        id: msg.id,
        ok: false,
        error: { code: err.code, message: err.message, field: err.field },
      });
    }
  }

  async handle(r: ShadowRequest): Promise<ShadowStatus[] | ShadowStatus | { removed: string }> {
    switch (r.op) {
      case 'list':
        return this.list();
      case 'register':
        return this.register(r.registration, r.actor);
      case 'remove':
        return this.remove(r.name);
    }
  }

  list(): ShadowStatus[] {
    return [...this.entries.values()].map((e) => structuredClone(e.status));
  }

  /** Registering and removing are audited by the API route that asks for them. */
  async register(reg: ShadowRegistration, actor: Actor): Promise<ShadowStatus> {
    if (!NAME_PATTERN.test(reg.name))
      throw new ShadowError(
        'bad_request',
        'name: 1–64 characters a–z, 0–9, _ and -, starting with a letter or digit',
        'name',
      );
    if (this.entries.has(reg.name))
      throw new ShadowError(
        'conflict',
        `a shadow controller "${reg.name}" is registered already; remove it first`,
        'name',
      );
    if (this.entries.size >= MAX_SHADOWS)
      throw new ShadowError('too_many', `at most ${MAX_SHADOWS} shadow controllers run at once`);
    if (Boolean(reg.url) === Boolean(reg.source))
      throw new ShadowError(
        'bad_request',
        'give either url (an http:// controller on this machine) or source (an ES module)',
        'url',
      );
    let spec: ControllerSpec;
    let dir: string | undefined;
    if (reg.url) {
      const problem = loopbackUrlProblem(reg.url);
      if (problem) throw new ShadowError('bad_request', problem, 'url');
      const href = new URL(reg.url).href;
      spec = { kind: 'http', target: href, label: href };
    } else {
      ({ spec, dir } = privateModuleSpec('bitgrid-shadow-', reg.name, reg.source!));
    }
    const limits = {
      ...this.limits,
      ...(reg.decisionTimeoutMs ? { decisionTimeoutMs: reg.decisionTimeoutMs } : {}),
    };
    const host = new AsyncHost(spec, limits);
    const status: ShadowStatus = {
      name: reg.name,
      kind: spec.kind,
      target: spec.kind === 'http' ? spec.target : spec.label,
      registeredBy: actor.id,
      registeredMs: this.o.now(),
      state: 'starting',
      decisions: 0,
      skippedCycles: 0,
      clamps: 0,
      lastClamps: [],
      meanDecisionMs: 0,
      comparedCycles: 0,
      comparedHours: 0,
      acting: emptyEstimate(),
      shadow: emptyEstimate(),
    };
    const entry: Entry = { status, host, busy: true, dir, decisionMsSum: 0, lastObserveMs: NaN };
    this.entries.set(reg.name, entry);
    const ok = await host.start();
    entry.busy = false;
    if (!ok) this.failed(entry);
    else status.state = 'running';
    return structuredClone(status);
  }

  async remove(name: string): Promise<{ removed: string }> {
    const e = this.entries.get(name);
    if (!e) throw new ShadowError('not_found', `no shadow controller "${name}"`, 'name');
    this.entries.delete(name);
    await e.host.close();
    if (e.dir) rmSync(e.dir, { recursive: true, force: true });
    return { removed: name };
  }

  async close(): Promise<void> {
    this.channel?.close();
    for (const e of this.entries.values()) {
      await e.host.close();
      if (e.dir) rmSync(e.dir, { recursive: true, force: true });
    }
    this.entries.clear();
  }

  /**
   * The live controller's hook, once per cycle after the acting strategy decided. Never throws and
   * never waits: each shadow decides in its own process (or worker) and is compared when it answers.
   */
  observe(lv: LiveView, acting: Dispatch, signals: readonly GridSignal[]): void {
    if (this.entries.size === 0) return;
    try {
      const nowMs = lv.measuredAt;
      for (const e of this.entries.values()) {
        if (e.status.state !== 'running') continue;
        const hours = Number.isFinite(e.lastObserveMs)
          ? Math.min(MAX_COMPARED_GAP_HOURS, Math.max(0, (nowMs - e.lastObserveMs) / MS_PER_HOUR))
          : 0;
        e.lastObserveMs = nowMs;
        if (e.busy) {
          e.status.skippedCycles++;
          continue;
        }
        e.busy = true;
        void this.decide(e, lv, acting, signals, hours)
          // Ours (an observation not built), not the controller's: logged, and the next cycle tries again.
          .catch((err: Error) =>
            this.log.warn({ shadow: e.status.name, err: err.message }, 'shadow decision not made'),
          )
          .finally(() => (e.busy = false));
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'shadow controllers not run this cycle');
    }
  }

  private forecasterFor(d: StepView['district']): ObservationForecaster {
    if (this.forecaster?.district !== d) {
      const f = this.o.forecast?.();
      this.forecaster = {
        district: d,
        f: f ? pointForecaster(d, f, 'live (no band)') : persistenceForecaster(d),
      };
    }
    return this.forecaster.f;
  }

  private async decide(
    e: Entry,
    lv: LiveView,
    acting: Dispatch,
    signals: readonly GridSignal[],
    hours: number,
  ): Promise<void> {
    // After the cycle that called the hook has sent its setpoints: building the observation (the
    // forecasts) must not delay them.
    await new Promise((r) => setImmediate(r));
    const view = lv.view;
    const observation = buildObservation(view, {
      forecaster: this.forecasterFor(view.district),
      signals: () => signals,
    });
    const { action, ms } = await e.host.decide(observation);
    e.status.decisions++;
    e.decisionMsSum += ms;
    e.status.meanDecisionMs = e.decisionMsSum / e.status.decisions;
    if (e.host.failure) return this.failed(e);
    const checked = checkAction(action);
    if (!checked.ok) {
      await e.host.reject('invalid-answer', checked.error);
      return this.failed(e);
    }
    const mapped = actionToDispatch(view, checked.value);
    if (!mapped.ok) {
      await e.host.reject('invalid-answer', mapped.error);
      return this.failed(e);
    }
    // The same guards as the acting strategy's setpoints (safe mode aside: it does not actuate).
    const clamps: Clamp[] = [...mapped.clamps];
    for (const sp of setpointsFromDispatch(lv, mapped.dispatch)) {
      const k = view.district.batteries.findIndex((b) => b.id === sp.assetId);
      const socFraction =
        k >= 0 ? view.batterySocKwh[k] / view.district.batteries[k].cfg.capacity_kwh : undefined;
      const g = this.guards.apply(sp, { socFraction });
      if (g?.clampedBy)
        clamps.push({
          where: `guard ${sp.kind}/${sp.assetId}${sp.channel ? `/${sp.channel}` : ''}`,
          requested: g.requested,
          applied: g.setpoint.value,
          limit: g.clampedBy,
        });
    }
    e.status.clamps += clamps.length;
    if (clamps.length) e.status.lastClamps = [...e.status.lastClamps, ...clamps].slice(-LAST_CLAMPS_KEPT);
    e.status.comparedCycles++;
    e.status.comparedHours += hours;
    addCycle(e.status.acting, view, impliedGridKw(view, acting), hours);
    addCycle(e.status.shadow, view, impliedGridKw(view, mapped.dispatch), hours);
  }

  private failed(e: Entry): void {
    if (e.status.state === 'failed') return;
    e.status.state = 'failed';
    e.status.failure = e.host.failure;
    const f = e.host.failure;
    this.log.warn({ shadow: e.status.name, failure: f }, 'shadow controller stopped');
    void this.o.store
      .addEvent({
        timeMs: this.o.now(),
        severity: 'warning',
        source: 'testbed',
        code: 'SHADOW_FAILED',
        message: `shadow controller ${e.status.name} stopped: ${f?.reason ?? 'failed'}: ${f?.message ?? ''}`,
      })
      .catch(() => undefined);
    void this.audit({ id: 'system', role: 'system' } as Actor, 'testbed.shadow.failed', e.status.name, {
      reason: f?.reason ?? null,
      message: f?.message ?? null,
    });
  }

  /** Failures are the runner's own doing: audited under the system actor. */
  private async audit(
    actor: Actor,
    action: string,
    name: string,
    details: Record<string, JsonValue>,
  ): Promise<void> {
    try {
      await this.o.store.appendAudit({
        timeMs: this.o.now(),
        actor: actor.id,
        role: actor.role,
        action,
        target: `testbed:${name}`,
        details,
        outcome: 'failed',
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message, action }, 'testbed audit not stored');
    }
  }
}
