import { inputError } from './errors.ts';
import { unknownMeasurementProblem, type MeasurementName } from '../model/measurements.ts';
import type { JsonValue, TelemetryPoint } from './types.ts';

// Input checks shared by both implementations. Each names the call and field it refuses
// (`appendTelemetry: points[3].value: …`), and runs before any SQL, so bad input writes nothing.

/** Ids, names, codes: short identifiers, not documents. */
export const ID_MAX_CHARS = 200;
/** Messages and reasons: a paragraph, not a log dump. */
export const TEXT_MAX_CHARS = 10_000;

const show = (v: unknown) => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
};

export function requireObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw inputError(where, `must be an object (got ${show(v)})`);
  return v as Record<string, unknown>;
}

export function requireId(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw inputError(where, `must be a non-empty string (got ${show(v)})`);
  if (v.length > ID_MAX_CHARS)
    throw inputError(where, `must be at most ${ID_MAX_CHARS} characters (got ${v.length})`);
  return v;
}

export function optionalId(v: unknown, where: string): string | undefined {
  return v === undefined ? undefined : requireId(v, where);
}

export function requireText(v: unknown, where: string, { allowEmpty = false } = {}): string {
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0))
    throw inputError(where, `must be a ${allowEmpty ? '' : 'non-empty '}string (got ${show(v)})`);
  if (v.length > TEXT_MAX_CHARS)
    throw inputError(where, `must be at most ${TEXT_MAX_CHARS} characters (got ${v.length})`);
  return v;
}

/** A name from the measurement vocabulary (src/model/measurements.ts): telemetry of any other is refused. */
export function requireMeasurementName(v: unknown, where: string): MeasurementName {
  const problem = unknownMeasurementProblem(v);
  if (problem !== undefined) throw inputError(where, problem);
  return v as MeasurementName;
}

export function optionalMeasurementName(v: unknown, where: string): MeasurementName | undefined {
  return v === undefined ? undefined : requireMeasurementName(v, where);
}

export function requireFinite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw inputError(where, `must be a finite number (got ${show(v)})`);
  return v;
}

/** One telemetry point, checked field by field; the channel is '' when there is none. */
export function requireTelemetryPoint(p: unknown, where: string): Required<TelemetryPoint> {
  const o = requireObject(p, where);
  return {
    assetId: requireId(o.assetId, `${where}.assetId`),
    measurement: requireMeasurementName(o.measurement, `${where}.measurement`),
    channel: optionalId(o.channel, `${where}.channel`) ?? '',
    timeMs: requireTimeMs(o.timeMs, `${where}.timeMs`),
    value: requireFinite(o.value, `${where}.value`),
  };
}

/** UTC epoch ms: a whole number in JavaScript's safe range. */
export function requireTimeMs(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw inputError(where, `must be a whole number of UTC epoch milliseconds (got ${show(v)})`);
  return v;
}

export function optionalTimeMs(v: unknown, where: string): number | undefined {
  return v === undefined ? undefined : requireTimeMs(v, where);
}

export function requirePositiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw inputError(where, `must be a positive whole number (got ${show(v)})`);
  return v;
}

export function requireSafeInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw inputError(where, `must be a whole number (got ${show(v)})`);
  return v;
}

export function requireBoolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw inputError(where, `must be true or false (got ${show(v)})`);
  return v;
}

export function requireOneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw inputError(where, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${show(v)})`);
  }
  return v as T;
}

export function optionalOneOf<T extends string>(
  v: unknown,
  allowed: readonly T[],
  where: string,
): T | undefined {
  return v === undefined ? undefined : requireOneOf(v, allowed, where);
}

/** A row limit: positive, and never above `ceiling` (so one call cannot pull a whole table). */
export function limitOf(v: unknown, where: string, ceiling: number): number {
  if (v === undefined) return ceiling;
  return Math.min(requirePositiveInt(v, where), ceiling);
}

/**
 * Serializes JSON-safe data, refusing what JSON.stringify would silently change: NaN and ±Infinity
 * (become null), undefined and functions (vanish), Maps, Sets, typed arrays and class instances
 * (become {} or index-keyed objects), cycles.
 */
export function toJson(v: unknown, where: string): string {
  checkJson(v, where, new Set());
  return JSON.stringify(v);
}

function checkJson(v: unknown, path: string, seen: Set<object>): asserts v is JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v))
      throw inputError(path, `must be a finite number to be stored as JSON (got ${v})`);
    return;
  }
  if (typeof v !== 'object') throw inputError(path, `cannot be stored as JSON (got ${typeof v})`);
  if (seen.has(v)) throw inputError(path, 'is a circular reference');
  seen.add(v);
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(x, `${path}[${i}]`, seen));
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw inputError(
        path,
        `must be a plain object or array to be stored as JSON (got ${proto?.constructor?.name ?? 'object'})`,
      );
    }
    for (const [k, x] of Object.entries(v)) checkJson(x, `${path}.${k}`, seen);
  }
  seen.delete(v);
}
