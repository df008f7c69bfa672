import type { DriverFactory } from '../types.ts';
import { sunspecModbusConfigSchema, type SunSpecModbusConfig } from './config.ts';
import { SunSpecModbusDriver } from './driver.ts';

export const sunspecModbusFactory: DriverFactory<SunSpecModbusConfig> = {
  type: 'sunspec_modbus',
  configSchema: sunspecModbusConfigSchema,
  create: (config, ctx) => new SunSpecModbusDriver(config, ctx),
};

export { sunspecModbusConfigSchema, SunSpecModbusDriver };
export type { SunSpecModbusConfig };
export { discoverSunSpec, NotSunSpecError, SUNSPEC_BASE_ADDRESSES } from './discovery.ts';
export type { ModelInstance, SunSpecLayout } from './discovery.ts';
export * from './codec.ts';
export { SUNSPEC_MODELS } from './models/models.generated.ts';
export type { SunSpecModelDef, SunSpecPointDef, SunSpecPointType } from './models/types.ts';
