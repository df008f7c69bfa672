import type { ChargePointConfig } from './config.ts';
import type { Ocpp16, Ocpp201 } from './messages.ts';

// Charging profiles for a kW limit, in the charger's configured rate unit (W or A), and back.
// OCPP 1.6 limits are multiples of 0.1; negative limits (discharge) are a V2G convention that
// only chargers configured v2g receive.

export type ProfilePurpose = 'TxProfile' | 'TxDefaultProfile' | 'ChargePointMaxProfile';

export interface RateConfig {
  charging_rate_unit: ChargePointConfig['charging_rate_unit'];
  voltage_v: number;
  phases: number;
}

const round01 = (x: number) => Math.round(x * 10) / 10;

export function kwToLimit(kw: number, cp: RateConfig): { limit: number; numberPhases?: number } {
  if (cp.charging_rate_unit === 'W') return { limit: round01(kw * 1000) };
  return { limit: round01((kw * 1000) / (cp.voltage_v * cp.phases)), numberPhases: cp.phases };
}

export function limitToKw(limit: number, unit: 'W' | 'A', cp: RateConfig, numberPhases?: number): number {
  if (unit === 'W') return limit / 1000;
  return (limit * cp.voltage_v * (numberPhases ?? cp.phases)) / 1000;
}

/** Stable ids: a new profile for the same connector and purpose replaces the old one (same id). */
export function profileId(purpose: ProfilePurpose, connectorId: number): number {
  const base = purpose === 'TxProfile' ? 1000 : purpose === 'TxDefaultProfile' ? 2000 : 3000;
  return base + connectorId;
}

export interface LimitRequest {
  connectorId: number;
  purpose: ProfilePurpose;
  limitKw: number;
  nowMs: number;
  validUntilMs?: number;
  transactionId?: number | string;
}

function scheduleTiming(req: LimitRequest) {
  const startSchedule = new Date(req.nowMs).toISOString();
  if (req.validUntilMs === undefined) return { startSchedule };
  const durationS = Math.max(1, Math.ceil((req.validUntilMs - req.nowMs) / 1000));
  return { startSchedule, duration: durationS, validTo: new Date(req.validUntilMs).toISOString() };
}

export function setChargingProfile16(req: LimitRequest, cp: RateConfig): Ocpp16.SetChargingProfileRequest {
  const { startSchedule, duration, validTo } = scheduleTiming(req);
  const { limit, numberPhases } = kwToLimit(req.limitKw, cp);
  return {
    connectorId: req.purpose === 'ChargePointMaxProfile' ? 0 : req.connectorId,
    csChargingProfiles: {
      chargingProfileId: profileId(req.purpose, req.connectorId),
      ...(req.transactionId !== undefined ? { transactionId: Number(req.transactionId) } : {}),
      stackLevel: 0,
      chargingProfilePurpose: req.purpose,
      chargingProfileKind: 'Absolute',
      ...(validTo ? { validTo } : {}),
      chargingSchedule: {
        ...(duration !== undefined ? { duration } : {}),
        startSchedule,
        chargingRateUnit: cp.charging_rate_unit,
        chargingSchedulePeriod: [{ startPeriod: 0, limit, ...(numberPhases ? { numberPhases } : {}) }],
      },
    },
  };
}

export function setChargingProfile201(req: LimitRequest, cp: RateConfig): Ocpp201.SetChargingProfileRequest {
  const { startSchedule, duration, validTo } = scheduleTiming(req);
  const { limit, numberPhases } = kwToLimit(req.limitKw, cp);
  const purpose = req.purpose === 'ChargePointMaxProfile' ? 'ChargingStationMaxProfile' : req.purpose;
  const id = profileId(req.purpose, req.connectorId);
  return {
    evseId: req.purpose === 'ChargePointMaxProfile' ? 0 : req.connectorId,
    chargingProfile: {
      id,
      stackLevel: 0,
      chargingProfilePurpose: purpose,
      chargingProfileKind: 'Absolute',
      ...(validTo ? { validTo } : {}),
      ...(req.transactionId !== undefined ? { transactionId: String(req.transactionId) } : {}),
      chargingSchedule: [
        {
          id,
          startSchedule,
          ...(duration !== undefined ? { duration } : {}),
          chargingRateUnit: cp.charging_rate_unit,
          chargingSchedulePeriod: [{ startPeriod: 0, limit, ...(numberPhases ? { numberPhases } : {}) }],
        },
      ],
    },
  };
}

export interface CompositeSchedule {
  startMs: number;
  durationS?: number;
  periods: Array<{ startOffsetS: number; limitKw: number }>;
}

interface RawSchedule {
  chargingRateUnit: 'W' | 'A';
  chargingSchedulePeriod: Array<{ startPeriod: number; limit: number; numberPhases?: number }>;
  duration?: number;
}

export function parseCompositeSchedule(
  startIso: string | undefined,
  schedule: RawSchedule,
  cp: RateConfig,
  nowMs: number,
): CompositeSchedule {
  const parsed = startIso ? Date.parse(startIso) : NaN;
  return {
    startMs: Number.isFinite(parsed) ? parsed : nowMs,
    durationS: schedule.duration,
    periods: schedule.chargingSchedulePeriod.map((p) => ({
      startOffsetS: p.startPeriod,
      limitKw: limitToKw(p.limit, schedule.chargingRateUnit, cp, p.numberPhases),
    })),
  };
}
