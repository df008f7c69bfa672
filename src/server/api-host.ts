import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { LiveSystem } from '../control/types.ts';
import type { ApiWorkerData, FromWorker, LiveCall, LiveMirror, ToWorker } from './api-worker-protocol.ts';
import { toWireError } from './api-worker-protocol.ts';

// The HTTP API in a worker thread of its own, beside the control loop. Requests, token checks, JSON
// encoding and stream fan-out then run on another core and another event loop: a burst of API load
// cannot delay a control cycle, and an API that runs out of memory dies alone (its heap is bounded)
// and is started again while the loop goes on controlling. The control thread pushes a mirror of
// what the API reads after every cycle and every write (api-worker-protocol.ts) and carries out the
// writes the API forwards. The worker opens its own connection to the same store.

/**
 * Heap of the API worker, MB. The API holds a mirror of the live state (~10 kB for the reference
 * district), token and rate-limit tables and in-flight requests; 1 GiB leaves ample room while a
 * runaway is stopped long before it could take the control process with it.
 */
export const API_WORKER_HEAP_MB = 1_024;
/** Longest the worker may take to load, open the store and listen, wall ms (it transpiles on start). */
export const API_WORKER_START_TIMEOUT_MS = 60_000;
/** Longest a clean close may take before the worker is terminated, wall ms. */
export const API_WORKER_CLOSE_TIMEOUT_MS = 2_000;
/** Restart delays after the worker died: doubled after each failed start, up to the maximum, wall ms. */
export const API_WORKER_RESTART_MIN_MS = 500;
export const API_WORKER_RESTART_MAX_MS = 30_000;

/** What the worker is started with, less what the host works out itself, plus the live side. */
export interface ApiWorkerOptions extends Omit<ApiWorkerData, 'logLevel' | 'mirror'> {
  live: LiveSystem;
  /** The live clock (the twin's under --twin). */
  now: () => number;
  log: Logger;
}

export interface ApiWorkerHandle {
  /** The address the API listens on (http(s)://host:port). */
  readonly address: string;
  /** Times the worker died and was started again. */
  readonly restarts: number;
  /** The running worker (tests stop it to show the loop does not need it). */
  worker(): Worker | undefined;
  /** Resolves when the next worker start after a death has listened (or failed). */
  nextStart(): Promise<void>;
  close(): Promise<void>;
}

/** Everything the API reads, now. */
export function mirrorOf(live: LiveSystem, now: () => number): LiveMirror {
  return {
    snapshot: live.snapshot(),
    overrides: live.overrides(),
    ...(live.planner
      ? { planner: { status: live.planner.status(), sessions: live.planner.sessions() } }
      : {}),
    ...(live.health ? { health: live.health() } : {}),
    ...(live.jobs ? { jobs: { list: live.jobs.list(), plan: live.jobs.plan() } } : {}),
    clock: { clockMs: now(), wallMs: Date.now() },
  };
}

async function carryOut(live: LiveSystem, call: LiveCall): Promise<unknown> {
  switch (call.method) {
    case 'setOverride':
      return live.setOverride(...call.args);
    case 'clearOverride':
      return live.clearOverride(...call.args);
    case 'setSessionNeeds':
      if (!live.planner) throw new Error('this live system has no planner');
      return live.planner.setSessionNeeds(...call.args);
    case 'submitJob':
      if (!live.jobs) throw new Error('this live system keeps no job book');
      return live.jobs.submit(...call.args);
    case 'cancelJob':
      if (!live.jobs) throw new Error('this live system keeps no job book');
      return live.jobs.cancel(...call.args);
  }
}

/** Starts the API in its worker thread; resolves once it listens. */
export async function startApiWorker(o: ApiWorkerOptions): Promise<ApiWorkerHandle> {
  const host = new ApiWorkerHost(o);
  await host.start();
  return host;
}

class ApiWorkerHost implements ApiWorkerHandle {
  private current?: Worker;
  private addr = '';
  private port: number;
  private restartCount = 0;
  private closing = false;
  private restartDelayMs = API_WORKER_RESTART_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  private startWaiters: (() => void)[] = [];
  private unsubscribe: () => void = () => undefined;
  private jobsUnsubscribe?: () => void;

  constructor(private readonly o: ApiWorkerOptions) {
    this.port = o.port;
  }

  get address(): string {
    return this.addr;
  }

  get restarts(): number {
    return this.restartCount;
  }

  worker(): Worker | undefined {
    return this.current;
  }

  nextStart(): Promise<void> {
    return new Promise<void>((r) => this.startWaiters.push(r));
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.live.subscribe((delta) => this.pushMirror(delta));
    const jobs = this.o.live.jobs as { onChange?: (l: () => void) => () => void } | undefined;
    this.jobsUnsubscribe = jobs?.onChange?.(() => this.pushMirror());
    try {
      await this.spawn();
    } catch (e) {
      this.unsubscribe();
      this.jobsUnsubscribe?.();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.unsubscribe();
    this.jobsUnsubscribe?.();
    const w = this.current;
    if (!w) return;
    const done = new Promise<void>((r) => {
      w.on('message', (m: FromWorker) => m.t === 'closed' && r());
      w.once('exit', () => r());
    });
    this.post({ t: 'close' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((r) => (timer = setTimeout(r, API_WORKER_CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await w.terminate();
    this.current = undefined;
  }

  private post(m: ToWorker): void {
    try {
      this.current?.postMessage(m);
    } catch (e) {
      // A worker that is exiting cannot take messages; its successor gets a fresh mirror at start.
      this.o.log.debug({ err: (e as Error).message }, 'api worker: message not delivered');
    }
  }

  private pushMirror(delta?: Record<string, unknown>): void {
    if (!this.current) return;
    let mirror: LiveMirror;
    try {
      mirror = mirrorOf(this.o.live, this.o.now);
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'api worker: live state could not be read');
      return;
    }
    this.post({ t: 'mirror', mirror, ...(delta ? { delta } : {}) });
  }

  private async onCall(w: Worker, id: number, call: LiveCall): Promise<void> {
    let reply: ToWorker;
    try {
      const value = await carryOut(this.o.live, call);
      reply = { t: 'reply', id, ok: true, value };
    } catch (e) {
      reply = { t: 'reply', id, ok: false, error: toWireError(e) };
    }
    if (w !== this.current) return;
    // The mirror first: a read that follows the reply sees the write.
    this.pushMirror();
    this.post(reply);
  }

  private workerData(): ApiWorkerData {
    const { live, now, log, ...data } = this.o;
    return { ...data, port: this.port, logLevel: log.level, mirror: mirrorOf(live, now) };
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('./api-worker.mjs', import.meta.url), {
        workerData: this.workerData(),
        resourceLimits: { maxOldGenerationSizeMb: API_WORKER_HEAP_MB },
      });
      this.current = w;
      let started = false;
      const startTimer = setTimeout(() => {
        if (started) return;
        void w.terminate();
        reject(new Error(`the API worker did not start within ${API_WORKER_START_TIMEOUT_MS} ms`));
      }, API_WORKER_START_TIMEOUT_MS);
      w.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          started = true;
          clearTimeout(startTimer);
          this.addr = m.address;
          const bound = Number(new URL(m.address).port);
          // A restart binds the same port, also when the first start picked a free one (port 0).
          if (bound > 0) this.port = bound;
          resolve();
        } else if (m.t === 'failed') {
          clearTimeout(startTimer);
          reject(new Error(m.message));
        } else if (m.t === 'call') void this.onCall(w, m.id, m.call);
      });
      w.on('error', (e) => {
        this.o.log.error({ err: e.message }, 'api worker failed');
        if (!started) {
          clearTimeout(startTimer);
          reject(e);
        }
      });
      w.on('exit', (code) => {
        clearTimeout(startTimer);
        if (this.current === w) this.current = undefined;
        if (!started) {
          reject(new Error(`the API worker exited (code ${code}) before it listened`));
          return;
        }
        if (this.closing) return;
        this.o.log.error({ code }, 'api worker stopped; starting it again (control goes on meanwhile)');
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      this.spawn()
        .then(() => {
          this.restartCount++;
          this.restartDelayMs = API_WORKER_RESTART_MIN_MS;
          this.o.log.warn({ address: this.addr, restarts: this.restartCount }, 'api worker started again');
        })
        .catch((e: Error) => {
          this.o.log.error({ err: e.message, retryInMs: this.restartDelayMs }, 'api worker did not start');
          this.restartDelayMs = Math.min(this.restartDelayMs * 2, API_WORKER_RESTART_MAX_MS);
          this.scheduleRestart();
        })
        .finally(() => {
          const waiters = this.startWaiters;
          this.startWaiters = [];
          for (const w of waiters) w();
        });
    }, this.restartDelayMs);
  }
}
