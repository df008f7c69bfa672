export { SunSpecPvInverterTwin, type SunSpecPvTwinOptions } from './pv-inverter.ts';
export { SunSpecBatteryTwin, type SunSpecBatteryTwinOptions } from './battery.ts';
export { SunSpecTwin, scaleFactorFor, type SunSpecTwinOptions } from './base.ts';
export {
  SunSpecRegisterImage,
  ModbusExceptionError,
  ILLEGAL_DATA_ADDRESS,
  ILLEGAL_DATA_VALUE,
} from './image.ts';
export type { PointWrite } from './image.ts';
export { ModbusTwinServer, type ModbusTwinServerOptions, type RegisterHandler } from './server.ts';
