// The one place where driver types are registered. Each protocol adds its factory here.

import { mqttFactory } from './mqtt/index.ts';
import { createRegistry, type DriverRegistry } from './registry.ts';
import { sunspecModbusFactory } from './sunspec/index.ts';
import { ocppDriverFactory } from './ocpp/index.ts';
import { openAdrVenDriverFactory } from './openadr/index.ts';

/** A registry with every built-in driver type. Throws if two factories claim the same type. */
export function defaultRegistry(): DriverRegistry {
  const registry = createRegistry();
  registry.register(sunspecModbusFactory);
  registry.register(mqttFactory);
  registry.register(ocppDriverFactory);
  registry.register(openAdrVenDriverFactory);
  return registry;
}

export * from './types.ts';
export { createRegistry, DeviceConfigError, deviceIdSchema, assetIdSchema } from './registry.ts';
export type { DriverRegistry, ConfigProblem } from './registry.ts';
export { sunspecModbusFactory, SunSpecModbusDriver } from './sunspec/index.ts';
export type { SunSpecModbusConfig } from './sunspec/index.ts';
export { mqttFactory, MqttDriver, startEmbeddedBroker } from './mqtt/index.ts';
export type { MqttConfig, EmbeddedBroker } from './mqtt/index.ts';
