import type { DriverFactory } from '../types.ts';
import { mqttConfigSchema, type MqttConfig } from './config.ts';
import { MqttDriver } from './driver.ts';

export const mqttFactory: DriverFactory<MqttConfig> = {
  type: 'mqtt',
  configSchema: mqttConfigSchema,
  create: (config, ctx) => new MqttDriver(config, ctx),
};

export { mqttConfigSchema, MqttDriver };
export type { MqttConfig };
export type { MqttDriverStats } from './driver.ts';
export { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
export * from './payload.ts';
export * from './plausibility.ts';
