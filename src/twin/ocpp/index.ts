export { TwinChargePoint } from './charge-point.ts';
export type { EvSession, TwinChargePointOptions, TwinFrame, ConnectorSnapshot } from './charge-point.ts';
export { ManualClock, ScaledClock, systemClock } from './clock.ts';
export type { TwinClock } from './clock.ts';
