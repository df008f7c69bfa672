import type { DatacenterJob, JobPlan } from '../control/jobs.ts';
import type { Override } from '../control/types.ts';
import { MS_PER_MINUTE, toIsoLocal } from '../model/time.ts';
import type {
  AuditEntry,
  EventRecord,
  ForecastRecord,
  ScheduleRecord,
  SimRunRecord,
  TokenRecord,
} from '../store/index.ts';

// Store and live records in their API form: ISO times with the district's offset, optional fields
// left out rather than null.

export type Iso = (ms: number) => string;

export const isoIn =
  (zone: string): Iso =>
  (ms) =>
    toIsoLocal(ms, zone);

export function overrideOut(o: Override, iso: Iso) {
  return {
    id: o.id,
    assetId: o.assetId,
    kind: o.kind,
    value: o.value,
    ...(o.channel !== undefined ? { channel: o.channel } : {}),
    start: iso(o.startMs),
    expires: iso(o.expiresMs),
    createdBy: o.createdBy,
    reason: o.reason,
  };
}

export function eventOut(e: EventRecord, iso: Iso) {
  return {
    id: e.id,
    time: iso(e.timeMs),
    severity: e.severity,
    source: e.source,
    code: e.code,
    message: e.message,
    ...(e.assetId !== undefined ? { assetId: e.assetId } : {}),
    acknowledged: e.acknowledged,
    ...(e.acknowledgedBy !== undefined ? { acknowledgedBy: e.acknowledgedBy } : {}),
    ...(e.acknowledgedMs !== undefined ? { acknowledgedAt: iso(e.acknowledgedMs) } : {}),
  };
}

export function auditOut(a: AuditEntry, iso: Iso) {
  return {
    id: a.id,
    time: iso(a.timeMs),
    actor: a.actor,
    role: a.role,
    action: a.action,
    target: a.target,
    details: a.details,
    outcome: a.outcome,
  };
}

export function tokenOut(t: TokenRecord, iso: Iso) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    created: iso(t.createdMs),
    ...(t.lastUsedMs !== undefined ? { lastUsed: iso(t.lastUsedMs) } : {}),
    ...(t.revokedMs !== undefined ? { revoked: iso(t.revokedMs) } : {}),
  };
}

export function simRunOut(r: SimRunRecord, iso: Iso, withResult = true) {
  return {
    id: r.id,
    status: r.status,
    progress: r.progress,
    params: r.params,
    ...(withResult && r.result !== undefined ? { result: r.result } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    created: iso(r.createdMs),
    updated: iso(r.updatedMs),
  };
}

export function forecastOut(f: ForecastRecord, iso: Iso) {
  return {
    id: f.id,
    issued: iso(f.issuedMs),
    assetId: f.assetId,
    target: f.target,
    model: f.model,
    start: iso(f.startMs),
    end: iso(f.endMs),
    intervalMinutes: f.intervalMs / MS_PER_MINUTE,
    quantiles: f.quantiles,
  };
}

/** What a schedule and a schedule version both say of it. */
function scheduleFieldsOut(s: ScheduleRecord, iso: Iso) {
  return {
    id: s.id,
    created: iso(s.createdMs),
    start: iso(s.startMs),
    end: iso(s.endMs),
    strategy: s.strategy,
    status: s.status,
  };
}

export function scheduleOut(s: ScheduleRecord, iso: Iso) {
  return { ...scheduleFieldsOut(s, iso), payload: s.payload };
}

/** A schedule version without its payload: what it is, and the planner's figures when it stored them. */
export function scheduleVersionOut(s: ScheduleRecord, iso: Iso) {
  const p =
    s.payload !== null && typeof s.payload === 'object' && !Array.isArray(s.payload)
      ? s.payload
      : ({} as Record<string, unknown>);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const intervalMinutes = num(p.intervalMinutes);
  const solveMs = num(p.solveMs);
  const objectiveKrw = num(p.objectiveKrw);
  const rootIterations = num(p.rootIterations);
  return {
    ...scheduleFieldsOut(s, iso),
    ...(intervalMinutes !== undefined ? { intervalMinutes } : {}),
    ...(solveMs !== undefined ? { solveMs } : {}),
    ...(objectiveKrw !== undefined ? { objectiveKrw } : {}),
    ...(typeof p.warmStarted === 'boolean' ? { warmStarted: p.warmStarted } : {}),
    ...(rootIterations !== undefined ? { rootIterations } : {}),
    ...(p.inputs !== undefined && p.inputs !== null ? { inputs: p.inputs } : {}),
  };
}

/** A job with what the current plan says about it. */
export function jobOut(j: DatacenterJob, plan: JobPlan | undefined, iso: Iso) {
  // A finished job has no plan any more, whatever the last plan said about it.
  const open = j.status === 'queued' || j.status === 'running';
  const planned = open ? plan?.jobs.find((x) => x.id === j.id) : undefined;
  return {
    id: j.id,
    datacenterId: j.datacenterId,
    name: j.name,
    gpus: j.gpus,
    gpuHours: j.gpuHours,
    earliestStart: iso(j.earliestStartMs),
    deadline: iso(j.deadlineMs),
    priority: j.priority,
    interruptible: j.interruptible,
    status: j.status,
    doneGpuHours: j.doneGpuHours,
    submitted: iso(j.submittedMs),
    submittedBy: j.submittedBy,
    ...(j.finishedMs !== undefined ? { finished: iso(j.finishedMs) } : {}),
    updated: iso(j.updatedMs),
    plannedIntervals: (planned?.intervals ?? []).map((i) => ({
      start: iso(i.startMs),
      end: iso(i.endMs),
      gpus: i.gpus,
      powerCapFraction: i.powerCapFraction,
    })),
    ...(planned?.expectedFinishMs !== undefined ? { expectedFinish: iso(planned.expectedFinishMs) } : {}),
  };
}
