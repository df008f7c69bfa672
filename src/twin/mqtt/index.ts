export { MqttMeterTwin, type MqttMeterTwinOptions } from './meter.ts';
