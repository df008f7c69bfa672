import type { DatacenterJob, JobPlan, JobSubmission } from '../control/jobs.ts';
import type {
  Actor,
  JobDesk,
  LiveHealth,
  LivePlanner,
  LiveSnapshot,
  LiveSystem,
  NewOverride,
  Override,
} from '../control/types.ts';
import { fromWireError, type LiveCall, type LiveMirror, type ToWorker } from './api-worker-protocol.ts';

// The live system as the API worker sees it: reads answer from the latest mirror the control process
// pushed (so a request never waits on the control thread), writes are forwarded and awaited. The
// control process pushes a fresh mirror before it replies to a write, and messages on one port
// arrive in order, so a read after a write sees that write.

/**
 * Longest a forwarded write waits for the control process, wall ms. A write is a guard check and a
 * store append there; this long means the control thread is stuck, which the operator must see as an
 * error rather than a request that never answers.
 */
export const LIVE_CALL_TIMEOUT_MS = 10_000;

type Listener = (delta: Record<string, unknown>) => void;

export class RemoteLive implements LiveSystem {
  private mirror: LiveMirror;
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextCallId = 1;
  readonly jobs?: JobDesk;
  readonly planner?: LivePlanner;

  constructor(
    first: LiveMirror,
    private readonly send: (id: number, call: LiveCall) => void,
    private readonly clockPerWall = 1,
    private readonly callTimeoutMs = LIVE_CALL_TIMEOUT_MS,
  ) {
    this.mirror = first;
    if (first.jobs) this.jobs = new RemoteJobs(this);
    if (first.planner) this.planner = new RemotePlanner(this);
  }

  /** Takes one message from the control process. */
  receive(m: ToWorker): void {
    if (m.t === 'mirror') {
      this.mirror = m.mirror;
      // The mirror is in place before listeners run: a stream that subscribes and snapshots in one
      // turn sees no gap and no delta twice.
      if (m.delta) for (const l of this.listeners) l(m.delta);
    } else if (m.t === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(fromWireError(m.error));
    }
  }

  /** The live clock, advanced from the last mirror's reading at the twin's speed. */
  now(): number {
    const c = this.mirror.clock;
    return c.clockMs + (Date.now() - c.wallMs) * this.clockPerWall;
  }

  current(): LiveMirror {
    return this.mirror;
  }

  call<T>(call: LiveCall): Promise<T> {
    const id = this.nextCallId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`the control process did not answer ${call.method} within ${this.callTimeoutMs} ms`),
        );
      }, this.callTimeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.send(id, call);
    });
  }

  /** Fails every call still waiting (the worker is closing). */
  abandon(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  snapshot(): LiveSnapshot {
    return this.mirror.snapshot;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setOverride(o: NewOverride, actor: Actor): Promise<Override> {
    return this.call({ method: 'setOverride', args: [o, actor] });
  }

  clearOverride(id: string, actor: Actor): Promise<void> {
    return this.call({ method: 'clearOverride', args: [id, actor] });
  }

  overrides(): Override[] {
    return this.mirror.overrides;
  }

  health(): LiveHealth {
    // Before the first cycle there is no report yet: an empty one, so /api/health says "starting".
    return (
      this.mirror.health ?? {
        cycles: 0,
        cyclePeriodWallMs: 0,
        cycleDurationMs: { last: 0, p50: 0, p99: 0, max: 0 },
        cyclesLate: 0,
        cyclesFailed: 0,
        store: { ok: true, bufferedPoints: 0, droppedPoints: 0 },
        telemetry: { accepted: 0, rejected: {} },
        drivers: [],
      }
    );
  }
}

class RemoteJobs implements JobDesk {
  constructor(private readonly live: RemoteLive) {}

  list(): DatacenterJob[] {
    return this.live.current().jobs?.list ?? [];
  }

  get(id: string): DatacenterJob | undefined {
    return this.list().find((j) => j.id === id);
  }

  plan(): JobPlan | undefined {
    return this.live.current().jobs?.plan;
  }

  submit(input: JobSubmission, actor: Actor): Promise<DatacenterJob> {
    return this.live.call({ method: 'submitJob', args: [input, actor] });
  }

  cancel(id: string, actor: Actor): Promise<DatacenterJob> {
    return this.live.call({ method: 'cancelJob', args: [id, actor] });
  }
}

class RemotePlanner implements LivePlanner {
  constructor(private readonly live: RemoteLive) {}

  status(): ReturnType<LivePlanner['status']> {
    const p = this.live.current().planner;
    return p?.status ?? { strategy: 'unknown', mode: 'direct', solving: false, counters: {} };
  }

  sessions(): ReturnType<LivePlanner['sessions']> {
    return this.live.current().planner?.sessions ?? [];
  }

  setSessionNeeds(
    assetId: string,
    channel: string,
    needs: { departureMs?: number; energyKwh?: number },
  ): Promise<boolean> {
    return this.live.call({ method: 'setSessionNeeds', args: [assetId, channel, needs] });
  }
}
