export { VtnTwin } from './vtn.ts';
export type { VtnTwinOptions, VtnExchange, Delivery, VtnFault } from './vtn.ts';
