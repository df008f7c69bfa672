import type { DriverFactory } from '../types.ts';
import { openAdrVenConfigSchema, type OpenAdrVenConfig } from './config.ts';
import { OpenAdrVenDriver } from './ven.ts';

export const openAdrVenDriverFactory: DriverFactory<OpenAdrVenConfig> = {
  type: 'openadr_ven',
  configSchema: openAdrVenConfigSchema,
  create: (config, ctx) => new OpenAdrVenDriver(config, ctx),
};

export { openAdrVenConfigSchema, DEFAULT_REPORT_ASSET } from './config.ts';
export type { OpenAdrVenConfig, OpenAdrVenConfigInput } from './config.ts';
export { OpenAdrVenDriver, HttpError } from './ven.ts';
export { checkSchema, checkSchemaArray, SchemaError, OPENADR_SPEC_FILE } from './schema.ts';
export type { OpenAdrComponent, SchemaCheck } from './schema.ts';
export { eventToSignals, intervalTimes, parseDurationMs, OPEN_END_MS } from './signals.ts';
export type { OadrEvent, OadrProgram, EventPayloadDescriptor } from './signals.ts';
export { buildReport, meanPowerKw, REPORTABLE_TYPES } from './reports.ts';
export type { PowerSample, ReportDescriptor, ReportBuild } from './reports.ts';
