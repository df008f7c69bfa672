import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import type { Failure, FailureReason } from './score-types.ts';

export type { Failure, FailureReason };

// Runs an outside controller where it cannot take the caller down. An ES module runs in a child
// process of its own, confined: an empty environment, Node's permission model (it reads its own
// file and nothing else, writes nothing, starts no process or thread) and no network (taken away
// from JavaScript before its module loads, controller-process.mjs), with a heap limit. An HTTP
// controller is asked by a worker that does the request. Between the host and the controller sits a
// worker thread (controller-worker.mjs): the simulator decides synchronously, so SyncHost blocks in
// Atomics.wait for at most the decision timeout, and the worker does the asynchronous part. When a
// decision is over time the controller's process is killed; the live shadow uses AsyncHost, which
// never blocks the event loop. Either way every failure comes back as a value with its reason.

export interface ControllerSpec {
  /** `module`: path of an ES module exporting decide(); `http`: the URL observations are POSTed to. */
  kind: 'module' | 'http';
  target: string;
  /** Shown in scorecards: the file's name or the URL. */
  label: string;
}

export interface ControllerLimits {
  /** Wall time one decision may take, ms. */
  decisionTimeoutMs: number;
  /** Wall time loading the module may take, ms. */
  loadTimeoutMs: number;
  /** Wall time all decisions of one run may take together, ms. */
  runBudgetMs: number;
  /**
   * Memory of the controller for a whole run, MB: its process's JavaScript heap
   * (`--max-old-space-size`, enforced while it allocates), and its heap and buffers together,
   * checked after every decision.
   */
  memoryMb: number;
  /** How much one decision may grow the controller's heap and buffers, MB (checked after it). */
  decisionMemoryMb: number;
  /** Largest HTTP answer read, bytes. */
  maxAnswerBytes: number;
}

/**
 * Defaults: a 15-minute interval leaves minutes to decide, but a test bed run has thousands of
 * decisions, so one gets 2 s (the live loop's cycle is 60 s; a decision that takes longer than a few
 * seconds would also hold the live loop back); a run gets 5 minutes of decisions; the heap 256 MB,
 * four times what the `rules` strategy's whole process uses; one decision may add a quarter of that
 * (64 MB: an observation is about 22 kB, so a decision that keeps more is hoarding, and a quarter
 * leaves room for what a decision allocates and the garbage collector has not yet taken back);
 * HTTP answers 1 MB (an action for the reference district is about 10 kB).
 */
export const DEFAULT_LIMITS: ControllerLimits = {
  decisionTimeoutMs: 2_000,
  loadTimeoutMs: 10_000,
  runBudgetMs: 300_000,
  memoryMb: 256,
  decisionMemoryMb: 64,
  maxAnswerBytes: 1 << 20,
};

const WORKER_URL = new URL('./controller-worker.mjs', import.meta.url);
const CONTROLLER_PROCESS_PATH = fileURLToPath(new URL('./controller-process.mjs', import.meta.url));

/**
 * The flag that turns Node's permission model on: `--permission` from Node 23.5 (and 22.13),
 * `--experimental-permission` before (Node 20 and 21). Node 24 knows only the first.
 */
export function permissionFlag(allowed: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string {
  if (allowed.has('--permission')) return '--permission';
  if (allowed.has('--experimental-permission')) return '--experimental-permission';
  throw new Error(
    `testbed: this Node.js (${process.version}) has no permission model, so a controller module cannot run confined; use Node.js 20.19 or newer`,
  );
}

/**
 * The command line of a module controller's process: the permission model with reads of the
 * runner and the controller's own file only (no writes, child processes, workers, addons or
 * WASI: none is granted), its heap limit, and no warnings on its stderr (the permission model's
 * "experimental" notice). Each path is a flag of its own: Node 20.16+ no longer takes a list.
 */
export function confinedArgs(controllerUrl: string, limits: ControllerLimits): string[] {
  const file = fileURLToPath(controllerUrl);
  return [
    permissionFlag(),
    `--allow-fs-read=${CONTROLLER_PROCESS_PATH}`,
    `--allow-fs-read=${file}`,
    `--max-old-space-size=${limits.memoryMb}`,
    '--no-warnings',
    CONTROLLER_PROCESS_PATH,
    controllerUrl,
    String(limits.memoryMb),
    String(limits.decisionMemoryMb),
  ];
}

/** Longest one check of a launcher may take, ms: it starts one Node process. */
const LAUNCHER_PROBE_TIMEOUT_MS = 10_000;
/** `unshare` options: a network namespace of its own (only a loopback that is down), in a user namespace so no privilege is needed. */
const UNSHARE_ARGS = ['--net', '--map-root-user'];
/**
 * `setpriv` options: the kernel kills the controller when the thread that started it ends — its
 * worker, or the whole server even when it is killed outright and no exit handler runs.
 */
const SETPRIV_ARGS = ['--pdeathsig', 'KILL'];

/** What a module controller's Node is started through, found once per process. */
export interface Launcher {
  /** Commands and their options before Node's own path (empty: Node is started directly). */
  prefix: string[];
  network: 'namespace' | 'javascript';
  /** Whether the controller dies with the thread that started it (setpriv --pdeathsig). */
  diesWithParent: boolean;
}

let launcher: Launcher | undefined;

function onPath(name: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, name))
    .find((f) => existsSync(f));
}

/** The launchers to try, strongest first; each is checked by starting Node through it. */
function candidates(): Launcher[] {
  const unshare = onPath('unshare');
  const setpriv = onPath('setpriv');
  const ns = unshare ? [unshare, ...UNSHARE_ARGS] : undefined;
  const guard = setpriv ? [setpriv, ...SETPRIV_ARGS] : undefined;
  const out: Launcher[] = [];
  if (ns && guard) out.push({ prefix: [...ns, ...guard], network: 'namespace', diesWithParent: true });
  if (ns) out.push({ prefix: ns, network: 'namespace', diesWithParent: false });
  if (guard) out.push({ prefix: guard, network: 'javascript', diesWithParent: true });
  return out;
}

const NODE_ALONE: Launcher = { prefix: [], network: 'javascript', diesWithParent: false };
const probeArgs = (l: Launcher) => [...l.prefix.slice(1), process.execPath, '-e', '0'];

/**
 * How this machine starts a module controller: inside a network namespace of its own where an
 * unprivileged process may make one (Linux with user namespaces allowed: `unshare`), killed by the
 * kernel when its starter ends where `setpriv` can ask for that, else Node alone. Each candidate is
 * checked once per process by running Node through it, so a kernel, container or AppArmor policy
 * that forbids it is found here, not per controller.
 */
export function controllerLauncher(): Launcher {
  if (launcher) return launcher;
  launcher = NODE_ALONE;
  for (const l of candidates()) {
    const [file] = l.prefix;
    const r = spawnSync(file, probeArgs(l), { env: {}, stdio: 'ignore', timeout: LAUNCHER_PROBE_TIMEOUT_MS });
    if (r.status === 0) return (launcher = l);
  }
  return launcher;
}

/**
 * The same check without blocking the event loop (the live shadow runs beside the control loop);
 * afterwards controllerLauncher() answers from what it found.
 */
export async function checkControllerLauncher(): Promise<Launcher> {
  if (launcher) return launcher;
  let found = NODE_ALONE;
  for (const l of candidates()) {
    const [file] = l.prefix;
    const ok = await new Promise<boolean>((done) => {
      const child = spawnChild(file, probeArgs(l), {
        env: {},
        stdio: 'ignore',
        timeout: LAUNCHER_PROBE_TIMEOUT_MS,
      });
      child.once('error', () => done(false));
      child.once('exit', (code) => done(code === 0));
    });
    if (ok) {
      found = l;
      break;
    }
  }
  // A synchronous check may have answered while this one ran: it stands.
  launcher ??= found;
  return launcher;
}

/** The `unshare` command when controllers run in a network namespace of their own, else undefined. */
export function networkNamespaceCommand(): string | undefined {
  const l = controllerLauncher();
  return l.network === 'namespace' ? l.prefix[0] : undefined;
}

/**
 * How a module controller's process is started: Node with confinedArgs, through the launcher
 * (controllerLauncher). `unshare` and `setpriv` exec Node in place, so the process id the host
 * kills is Node's.
 */
export function confinedCommand(
  controllerUrl: string,
  limits: ControllerLimits,
): { file: string; args: string[]; network: Launcher['network']; diesWithParent: boolean } {
  const args = confinedArgs(controllerUrl, limits);
  const l = controllerLauncher();
  if (l.prefix.length === 0)
    return { file: process.execPath, args, network: l.network, diesWithParent: l.diesWithParent };
  return {
    file: l.prefix[0],
    args: [...l.prefix.slice(1), process.execPath, ...args],
    network: l.network,
    diesWithParent: l.diesWithParent,
  };
}

/** Controllers' processes alive now: killed when this process exits, whatever way it exits. */
const livePids = new Set<number>();
process.once('exit', () => {
  for (const pid of livePids) killQuietly(pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
/** The young generation gets an eighth of the limit on top: the old one is where a flood ends up. */
const YOUNG_GENERATION_SHARE = 1 / 8;
/** Stack of the controller's thread, MB: Node's default (4 MB), stated so a change of default does not change the limits. */
const WORKER_STACK_MB = 4;

/** Hosts an http:// controller submitted through the API may be at: this machine only. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `url` is not an http:// address on this machine; undefined when it is one. */
export function loopbackUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `url: "${url}" is not a URL`;
  }
  if (u.protocol !== 'http:' || !LOOPBACK_HOSTS.has(u.hostname))
    return 'url: only http:// on this machine (127.0.0.1, localhost, [::1])';
  return undefined;
}

/**
 * A submitted controller module, written as `<name>.mjs` in a new folder `<prefix>…` of its own that only
 * this process can read; the caller removes `dir` when done with it.
 */
export function privateModuleSpec(
  prefix: string,
  name: string,
  source: string,
): { spec: ControllerSpec; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source, { mode: 0o600 });
  return { spec: { kind: 'module', target: pathToFileURL(file).href, label: `${name}.mjs` }, dir };
}

/** `./my.mjs`, `/abs/my.js` → module; `http://…` → http. Anything else is refused with the reason. */
export function controllerSpec(arg: string, cwd = process.cwd()): ControllerSpec {
  if (/^https?:\/\//i.test(arg)) {
    let url: URL;
    try {
      url = new URL(arg);
    } catch {
      throw new RangeError(`controller URL "${arg}" is not a valid URL`);
    }
    return { kind: 'http', target: url.href, label: url.href };
  }
  if (!/\.(mjs|js)$/.test(arg))
    throw new RangeError(`controller "${arg}": give an ES module (.mjs or .js) or an http:// URL`);
  const abs = isAbsolute(arg) ? arg : resolve(cwd, arg);
  if (!existsSync(abs)) throw new RangeError(`controller "${arg}": no such file`);
  return { kind: 'module', target: pathToFileURL(abs).href, label: basename(arg) };
}

/** Whether a `--strategies` entry names a controller rather than a registered strategy. */
export function looksLikeController(name: string): boolean {
  return /^https?:\/\//i.test(name) || /\.(mjs|js)$/.test(name) || name.includes('/');
}

type Reply =
  | { type: 'spawned'; pid: number }
  | { type: 'ready' }
  | { type: 'answer'; seq: number; action: unknown }
  | { type: 'error'; seq?: number; reason: FailureReason; error: string };
/** A reply about the controller's loading or a decision (not the worker's own news). */
type Answer = Exclude<Reply, { type: 'spawned' }>;

interface Spawned {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  lastError?: Error & { code?: string };
  exited: Promise<void>;
  /** The controller's process, once the worker has started it (module controllers). */
  pid?: number;
}

/** Kills the controller's process (a loop or a flood must not go on) and ends its worker. */
async function stop(s: Spawned): Promise<void> {
  if (s.pid !== undefined) {
    killQuietly(s.pid);
    livePids.delete(s.pid);
  }
  await s.worker.terminate();
  await s.exited;
}

/** Keeps the pid of a `spawned` message (and tells the caller to read on); true for any other. */
function isReply(s: Spawned, m: Reply): m is Answer {
  if (m.type !== 'spawned') return true;
  s.pid = m.pid;
  livePids.add(m.pid);
  return false;
}

function spawn(spec: ControllerSpec, limits: ControllerLimits): Spawned {
  const sab = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_URL, {
    workerData: {
      flag: sab,
      port: port2,
      kind: spec.kind,
      target: spec.target,
      requestTimeoutMs: limits.decisionTimeoutMs,
      maxAnswerBytes: limits.maxAnswerBytes,
      child: spec.kind === 'module' ? confinedCommand(spec.target, limits) : undefined,
      heapMb: limits.memoryMb,
    },
    transferList: [port2],
    // Nothing of the caller's environment (tokens, database URLs) reaches the worker or the controller.
    env: {},
    // Its console output is its own business: it must not mix into `--json` on stdout.
    stdout: true,
    stderr: true,
    // No tsx loader, no inspector flags from the parent.
    execArgv: [],
    // The worker holds an observation and an answer at a time (an HTTP answer at most maxAnswerBytes).
    resourceLimits: {
      maxOldGenerationSizeMb: limits.memoryMb,
      maxYoungGenerationSizeMb: Math.max(1, Math.floor(limits.memoryMb * YOUNG_GENERATION_SHARE)),
      stackSizeMb: WORKER_STACK_MB,
    },
  });
  worker.stdout.resume();
  worker.stderr.resume();
  const s: Spawned = {
    worker,
    port: port1,
    flag: new Int32Array(sab),
    exited: new Promise((r) => worker.once('exit', () => r())),
  };
  worker.on('error', (e) => (s.lastError = e));
  worker.unref();
  port1.unref();
  return s;
}

function memoryFailure(s: Spawned, limits: ControllerLimits, f: Failure): Failure {
  if (s.lastError?.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return { ...f, reason: 'out-of-memory', message: `ran out of its ${limits.memoryMb} MB heap` };
  return f;
}

/** A controller the simulator can call synchronously. */
export class SyncHost {
  private s?: Spawned;
  private seq = 0;
  private usedMs = 0;
  failure?: Failure;
  readonly decisionMs: number[] = [];

  constructor(
    readonly spec: ControllerSpec,
    readonly limits: ControllerLimits = DEFAULT_LIMITS,
  ) {}

  /** Starts the controller and waits for its module to load; a failure is kept in `failure`. */
  start(): boolean {
    this.s = spawn(this.spec, this.limits);
    Atomics.store(this.s.flag, 0, 0);
    // Loading answers carry no decision number (ready, or why it did not load).
    const m = this.receive(this.limits.loadTimeoutMs, (r) => r.type === 'ready' || r.seq === undefined);
    if (!m)
      return this.fail({ reason: 'timeout', message: `did not load within ${this.limits.loadTimeoutMs} ms` });
    if (m.type === 'ready') return true;
    return this.fail({
      reason: m.type === 'error' ? m.reason : 'load-failed',
      message: m.type === 'error' ? m.error : 'no answer from the worker',
    });
  }

  /** One decision: the controller's raw answer, or undefined after a failure (see `failure`). */
  decide(observation: unknown): unknown {
    if (this.failure || !this.s) return undefined;
    const decision = this.seq++;
    const leftMs = this.limits.runBudgetMs - this.usedMs;
    const waitMs = Math.min(this.limits.decisionTimeoutMs, leftMs);
    const t0 = performance.now();
    Atomics.store(this.s.flag, 0, 0);
    try {
      this.s.port.postMessage({ seq: decision, observation });
    } catch (e) {
      this.fail({ reason: 'threw', message: `observation not sent: ${(e as Error).message}`, decision });
      return undefined;
    }
    // A stale answer (from a decision that timed out earlier) is skipped.
    const m = this.receive(waitMs, (r) => r.type !== 'ready' && r.seq === decision);
    const ms = performance.now() - t0;
    this.usedMs += ms;
    this.decisionMs.push(ms);
    if (!m) {
      const overRun = waitMs < this.limits.decisionTimeoutMs;
      this.fail({
        reason: overRun ? 'run-budget' : 'timeout',
        message: overRun
          ? `decisions used the run's budget of ${this.limits.runBudgetMs} ms`
          : `no answer within ${this.limits.decisionTimeoutMs} ms (looping, or out of memory)`,
        decision,
      });
      return undefined;
    }
    if (m.type === 'error') {
      this.fail({ reason: m.reason, message: m.error, decision });
      return undefined;
    }
    return m.type === 'answer' ? m.action : undefined;
  }

  /** Records a failure found by the caller (an answer that is not a valid action). */
  reject(reason: FailureReason, message: string): void {
    this.fail({ reason, message, decision: this.seq - 1 });
  }

  /** Stops the controller and its worker; afterwards `failure` says whether it ran out of memory. */
  async close(): Promise<void> {
    const s = this.s;
    if (!s) return;
    this.s = undefined;
    await stop(s);
    if (this.failure) this.failure = memoryFailure(s, this.limits, this.failure);
    s.port.close();
  }

  /**
   * The first reply `wanted` accepts within `waitMs`, or undefined. The flag is lowered before the
   * port is read, so a reply that arrives after the read raises it again and the wait returns.
   */
  private receive(waitMs: number, wanted: (m: Answer) => boolean): Answer | undefined {
    const s = this.s!;
    const t0 = performance.now();
    for (;;) {
      for (let m = this.take(); m; m = this.take()) if (isReply(s, m) && wanted(m)) return m;
      const leftMs = waitMs - (performance.now() - t0);
      if (leftMs <= 0) return undefined;
      if (Atomics.wait(s.flag, 0, 0, leftMs) === 'timed-out') return undefined;
      Atomics.store(s.flag, 0, 0);
    }
  }

  private take(): Reply | undefined {
    return receiveMessageOnPort(this.s!.port)?.message as Reply | undefined;
  }

  private fail(f: Failure): false {
    this.failure ??= f;
    // A controller that failed is stopped now: a loop or an allocation must not go on in the background.
    if (this.s) {
      if (this.s.pid !== undefined) {
        killQuietly(this.s.pid);
        livePids.delete(this.s.pid);
      }
      void this.s.worker.terminate();
    }
    return false;
  }
}

/** A controller the live shadow calls without blocking the event loop. */
export class AsyncHost {
  private s?: Spawned;
  private seq = 0;
  private pending?: { seq: number; resolve: (m: Reply | undefined) => void };
  failure?: Failure;

  constructor(
    readonly spec: ControllerSpec,
    readonly limits: ControllerLimits = DEFAULT_LIMITS,
  ) {}

  async start(): Promise<boolean> {
    if (this.spec.kind === 'module') await checkControllerLauncher();
    const s = spawn(this.spec, this.limits);
    this.s = s;
    s.port.on('message', (m: Reply) => {
      if (!isReply(s, m)) return;
      const p = this.pending;
      if (!p) return;
      // Loading answers without a decision number (ready, or why it did not load).
      const loading = m.type === 'ready' || (m.type === 'error' && m.seq === undefined);
      if (loading ? p.seq === -1 : m.seq === p.seq) {
        this.pending = undefined;
        p.resolve(m);
      }
    });
    s.worker.once('exit', () => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(undefined);
    });
    const m = await this.next(-1, this.limits.loadTimeoutMs);
    if (m?.type === 'ready') return true;
    await this.fail({
      reason: m?.type === 'error' ? m.reason : m === undefined ? 'timeout' : 'load-failed',
      message: m?.type === 'error' ? m.error : `did not load within ${this.limits.loadTimeoutMs} ms`,
    });
    return false;
  }

  async decide(observation: unknown): Promise<{ action?: unknown; ms: number }> {
    const s = this.s;
    if (this.failure || !s) return { ms: 0 };
    const decision = this.seq++;
    const t0 = performance.now();
    try {
      s.port.postMessage({ seq: decision, observation });
    } catch (e) {
      await this.fail({
        reason: 'threw',
        message: `observation not sent: ${(e as Error).message}`,
        decision,
      });
      return { ms: 0 };
    }
    const m = await this.next(decision, this.limits.decisionTimeoutMs);
    const ms = performance.now() - t0;
    if (!m) {
      await this.fail({
        reason: 'timeout',
        message: `no answer within ${this.limits.decisionTimeoutMs} ms (looping, or out of memory)`,
        decision,
      });
      return { ms };
    }
    if (m.type === 'error') {
      await this.fail({ reason: m.reason, message: m.error, decision });
      return { ms };
    }
    return { action: (m as { action: unknown }).action, ms };
  }

  async reject(reason: FailureReason, message: string): Promise<void> {
    await this.fail({ reason, message, decision: this.seq - 1 });
  }

  async close(): Promise<void> {
    const s = this.s;
    this.s = undefined;
    if (!s) return;
    await stop(s);
    s.port.close();
  }

  private next(seq: number, timeoutMs: number): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending?.seq === seq) this.pending = undefined;
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
      this.pending = {
        seq,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }

  private async fail(f: Failure): Promise<void> {
    if (this.failure) return;
    this.failure = f;
    const s = this.s;
    this.s = undefined;
    if (!s) return;
    await stop(s);
    this.failure = memoryFailure(s, this.limits, f);
    s.port.close();
  }
}
