import type { DriverFactory } from '../types.ts';
import { ocppConfigSchema, type OcppConfig } from './config.ts';
import { OcppCsmsDriver } from './csms.ts';

export const ocppDriverFactory: DriverFactory<OcppConfig> = {
  type: 'ocpp',
  configSchema: ocppConfigSchema,
  create: (config, ctx) => new OcppCsmsDriver(config, ctx),
};

export { ocppConfigSchema, chargePointConfigSchema, OCPP_PROTOCOLS } from './config.ts';
export type { OcppConfig, OcppConfigInput, ChargePointConfig, OcppProtocol } from './config.ts';
export { OcppCsmsDriver, OFFLINE_SESSION_GRACE_MS } from './csms.ts';
export type { FrameRecord, ChargePointInfo } from './csms.ts';
export { hashPassword } from './password.ts';
export { normalizeMeterValues } from './meter.ts';
export type { MeterHooks, MeterSample } from './meter.ts';
export {
  MAX_CLOCK_AHEAD_MS,
  MAX_CLOCK_BEHIND_MS,
  RATING_MARGIN,
  REFUSAL_REASONS,
  REGISTER_LIFETIME_H,
  REGISTER_RESOLUTION_KWH,
  plausibleRange,
  refusal,
} from './plausibility.ts';
export type { RefusalReason, ChargerRating } from './plausibility.ts';
export type { CompositeSchedule } from './profiles.ts';
