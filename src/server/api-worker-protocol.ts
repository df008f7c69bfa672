import { JobError, type DatacenterJob, type JobPlan, type JobSubmission } from '../control/jobs.ts';
import {
  GuardRejection,
  type Actor,
  type LiveHealth,
  type LivePlanner,
  type LiveSnapshot,
  type NewOverride,
  type Override,
} from '../control/types.ts';
import { StoreError } from '../store/index.ts';

// The messages between the control process's main thread (drivers, loop, planner) and the API's
// worker thread. The main thread pushes a mirror of everything the API reads after every control
// cycle and after every write it carried out; the worker forwards writes as calls and waits for the
// reply. Everything here is structured-cloneable: plain objects, no functions or class instances.

/** Everything the API reads of the live system, as of one moment of the control process. */
export interface LiveMirror {
  snapshot: LiveSnapshot;
  overrides: Override[];
  planner?: { status: ReturnType<LivePlanner['status']>; sessions: ReturnType<LivePlanner['sessions']> };
  health?: LiveHealth;
  jobs?: { list: DatacenterJob[]; plan?: JobPlan };
  /** The live clock (the twin's, or the wall) at a wall-clock moment, so the worker can read it. */
  clock: { clockMs: number; wallMs: number };
}

/** Writes the API forwards to the control process. */
export type LiveCall =
  | { method: 'setOverride'; args: [NewOverride, Actor] }
  | { method: 'clearOverride'; args: [string, Actor] }
  | {
      method: 'setSessionNeeds';
      args: [string, string, { departureMs?: number; energyKwh?: number }];
    }
  | { method: 'submitJob'; args: [JobSubmission, Actor] }
  | { method: 'cancelJob'; args: [string, Actor] };

/** A refusal, rebuilt on the worker's side as the class the API's error mapping knows. */
export interface WireError {
  kind: 'guard' | 'job' | 'store' | 'other';
  message: string;
  code?: string;
  field?: string;
}

export type ToWorker =
  /** `delta`: the flat key changes of a control cycle, for open streams (absent for a write's push). */
  | { t: 'mirror'; mirror: LiveMirror; delta?: Record<string, unknown> }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: WireError }
  | { t: 'close' };

export type FromWorker =
  | { t: 'ready'; address: string }
  | { t: 'failed'; message: string }
  | { t: 'call'; id: number; call: LiveCall }
  | { t: 'closed' };

/** What the worker is started with (workerData). */
export interface ApiWorkerData {
  scenarioFile: string;
  /** Store URL as given to serve (undefined: the default beside the scenario) and its base folder. */
  storeUrl?: string;
  storeBaseDir: string;
  host: string;
  port: number;
  webRoot?: string;
  trustProxy?: boolean | string | number;
  tls?: { certFile: string; keyFile: string };
  /** Requests per window per token/address (default: the API's), or false (benchmarks). */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** Twin clock speed: clock ms per wall ms (1 without a twin). */
  clockPerWall: number;
  logLevel: string;
  /** The first mirror, so the API has a state to show from its first request. */
  mirror: LiveMirror;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof GuardRejection) return { kind: 'guard', message: e.message, field: e.field };
  if (e instanceof JobError) return { kind: 'job', message: e.message, code: e.code, field: e.field };
  if (e instanceof StoreError) return { kind: 'store', message: e.message, code: e.code };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(w: WireError): Error {
  switch (w.kind) {
    case 'guard':
      return new GuardRejection(w.message, w.field ?? '');
    case 'job':
      return new JobError(w.code as JobError['code'], w.message, w.field);
    case 'store':
      return new StoreError(w.code as StoreError['code'], w.message);
    default:
      return new Error(w.message);
  }
}
