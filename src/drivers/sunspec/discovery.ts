import { ModbusError, type ModbusTcpClient } from '../modbus/client.ts';
import { END_MODEL_ID, SUNS_MARKER } from './codec.ts';
import { SUNSPEC_MODELS } from './models/models.generated.ts';
import type { SunSpecModelDef } from './models/types.ts';

/** Where SunSpec devices put their "SunS" marker, in the order they are probed. */
export const SUNSPEC_BASE_ADDRESSES = [40000, 50000, 0] as const;

export interface ModelInstance {
  id: number;
  /** Address of the model's ID register. */
  address: number;
  /** L as the device reports it. */
  length: number;
  /** Register map, when Bitgrid has one for this model ID. */
  def?: SunSpecModelDef;
}

export interface SunSpecLayout {
  base: number;
  models: ModelInstance[];
}

/** The device answers, but not as a SunSpec device. */
export class NotSunSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSunSpecError';
  }
}

/**
 * Finds "SunS" at the candidate base addresses, then walks the model chain (ID, L, …) until the
 * end marker 0xFFFF. A Modbus exception while probing a base means "not here"; one while walking
 * ends the chain (some devices omit the end marker). Timeouts and lost connections propagate.
 */
export async function discoverSunSpec(
  client: ModbusTcpClient,
  bases: readonly number[] = SUNSPEC_BASE_ADDRESSES,
  maxModels = 64,
): Promise<SunSpecLayout> {
  for (const base of bases) {
    let marker: number[];
    try {
      marker = await client.readHoldingRegisters(base, 2);
    } catch (e) {
      if (e instanceof ModbusError && e.kind === 'exception') continue;
      throw e;
    }
    if (marker[0] !== SUNS_MARKER[0] || marker[1] !== SUNS_MARKER[1]) continue;
    const models: ModelInstance[] = [];
    let address = base + 2;
    while (models.length < maxModels && address + 1 <= 0xffff) {
      let head: number[];
      try {
        head = await client.readHoldingRegisters(address, 2);
      } catch (e) {
        if (e instanceof ModbusError && e.kind === 'exception') break;
        throw e;
      }
      const [id, length] = head;
      if (id === END_MODEL_ID || id === 0) break;
      models.push({ id, address, length, def: SUNSPEC_MODELS.get(id) });
      address += 2 + length;
    }
    return { base, models };
  }
  throw new NotSunSpecError(`no SunSpec marker "SunS" at ${bases.join(', ')}`);
}
