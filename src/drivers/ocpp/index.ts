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
export { OcppCsmsDriver } from './csms.ts';
export type { FrameRecord, ChargePointInfo } from './csms.ts';
export { hashPassword } from './password.ts';
export { normalizeMeterValues } from './meter.ts';
export type { CompositeSchedule } from './profiles.ts';
