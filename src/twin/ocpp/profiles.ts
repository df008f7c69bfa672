import type { Ocpp16, Ocpp201 } from '../../drivers/ocpp/messages.ts';

// The charge point side of smart charging: stored profiles, the limit in force at a time, and the
// composite schedule. Both protocols are kept in one internal form.

/** ChargingStationExternalConstraints (2.0.1) is kept and cleared like the others, but never limits. */
export type TwinPurpose =
  'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile' | 'ChargingStationExternalConstraints';

export interface TwinProfile {
  id: number;
  stackLevel: number;
  purpose: TwinPurpose;
  kind: 'Absolute' | 'Recurring' | 'Relative';
  recurrency?: 'Daily' | 'Weekly';
  transactionId?: string;
  validFromMs?: number;
  validToMs?: number;
  startMs?: number;
  durationS?: number;
  unit: 'W' | 'A';
  periods: Array<{ startPeriod: number; limit: number; numberPhases?: number }>;
}

export interface ElectricalConfig {
  voltageV: number;
  phases: number;
}

const parseTime = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));

export function fromProfile16(p: Ocpp16.SetChargingProfileRequest['csChargingProfiles']): TwinProfile {
  const s = p.chargingSchedule;
  return {
    id: p.chargingProfileId,
    stackLevel: p.stackLevel,
    purpose: p.chargingProfilePurpose,
    kind: p.chargingProfileKind,
    recurrency: p.recurrencyKind,
    transactionId: p.transactionId !== undefined ? String(p.transactionId) : undefined,
    validFromMs: parseTime(p.validFrom),
    validToMs: parseTime(p.validTo),
    startMs: parseTime(s.startSchedule),
    durationS: s.duration,
    unit: s.chargingRateUnit,
    periods: s.chargingSchedulePeriod,
  };
}

export function fromProfile201(p: Ocpp201.ChargingProfileType): TwinProfile {
  const s = p.chargingSchedule[0];
  const purpose =
    p.chargingProfilePurpose === 'ChargingStationMaxProfile'
      ? 'ChargePointMaxProfile'
      : p.chargingProfilePurpose;
  return {
    id: p.id,
    stackLevel: p.stackLevel,
    purpose,
    kind: p.chargingProfileKind,
    recurrency: p.recurrencyKind,
    transactionId: p.transactionId,
    validFromMs: parseTime(p.validFrom),
    validToMs: parseTime(p.validTo),
    startMs: parseTime(s.startSchedule),
    durationS: s.duration,
    unit: s.chargingRateUnit,
    periods: s.chargingSchedulePeriod,
  };
}

export function limitToKw(
  limit: number,
  unit: 'W' | 'A',
  el: ElectricalConfig,
  numberPhases?: number,
): number {
  return unit === 'W' ? limit / 1000 : (limit * el.voltageV * (numberPhases ?? el.phases)) / 1000;
}

/** Start of the schedule in force at `nowMs`, or undefined when the profile has no start yet. */
function scheduleStart(p: TwinProfile, nowMs: number, txStartMs: number | undefined): number | undefined {
  if (p.kind === 'Relative') return txStartMs;
  if (p.startMs === undefined) return undefined;
  if (p.kind === 'Recurring') {
    const periodMs = (p.recurrency === 'Weekly' ? 7 : 1) * 86_400_000;
    if (nowMs < p.startMs) return p.startMs;
    return p.startMs + Math.floor((nowMs - p.startMs) / periodMs) * periodMs;
  }
  return p.startMs;
}

/** Limit of one profile at a time, kW; undefined when it does not apply then. */
export function profileLimitKw(
  p: TwinProfile,
  nowMs: number,
  txStartMs: number | undefined,
  el: ElectricalConfig,
): number | undefined {
  if (p.validFromMs !== undefined && nowMs < p.validFromMs) return undefined;
  if (p.validToMs !== undefined && nowMs >= p.validToMs) return undefined;
  const start = scheduleStart(p, nowMs, txStartMs);
  if (start === undefined || nowMs < start) return undefined;
  const elapsedS = (nowMs - start) / 1000;
  if (p.durationS !== undefined && elapsedS >= p.durationS) return undefined;
  let current: TwinProfile['periods'][number] | undefined;
  for (const period of p.periods) if (period.startPeriod <= elapsedS) current = period;
  return current ? limitToKw(current.limit, p.unit, el, current.numberPhases) : undefined;
}

/**
 * Limit in force on a connector: the highest-stack TxProfile of the running transaction, else the
 * highest-stack TxDefaultProfile, capped by the charger-wide maximum profile.
 */
export function effectiveLimitKw(
  connectorProfiles: readonly TwinProfile[],
  chargerProfiles: readonly TwinProfile[],
  nowMs: number,
  tx: { id: string; startMs: number } | undefined,
  el: ElectricalConfig,
): number {
  const pick = (purpose: TwinPurpose, list: readonly TwinProfile[]) => {
    let best: { level: number; kw: number } | undefined;
    for (const p of list) {
      if (p.purpose !== purpose) continue;
      if (purpose === 'TxProfile' && (!tx || (p.transactionId !== undefined && p.transactionId !== tx.id)))
        continue;
      const kw = profileLimitKw(p, nowMs, tx?.startMs, el);
      if (kw !== undefined && (!best || p.stackLevel > best.level)) best = { level: p.stackLevel, kw };
    }
    return best?.kw;
  };
  const txLimit = pick('TxProfile', connectorProfiles) ?? pick('TxDefaultProfile', connectorProfiles);
  const max = pick('ChargePointMaxProfile', chargerProfiles);
  return Math.min(txLimit ?? Infinity, max ?? Infinity);
}

/** Instants in [from, to) where some profile may change the limit. */
export function breakpoints(
  profiles: readonly TwinProfile[],
  fromMs: number,
  toMs: number,
  txStartMs?: number,
): number[] {
  const out = new Set<number>([fromMs]);
  for (const p of profiles) {
    for (const t of [p.validFromMs, p.validToMs]) if (t !== undefined && t > fromMs && t < toMs) out.add(t);
    const start = p.kind === 'Relative' ? txStartMs : p.startMs;
    if (start === undefined) continue;
    for (const period of p.periods) {
      const t = start + period.startPeriod * 1000;
      if (t > fromMs && t < toMs) out.add(t);
    }
    if (p.durationS !== undefined) {
      const end = start + p.durationS * 1000;
      if (end > fromMs && end < toMs) out.add(end);
    }
  }
  return [...out].sort((a, b) => a - b);
}
