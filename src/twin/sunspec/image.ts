import {
  applyScale,
  decodeRaw,
  encodeRaw,
  END_MODEL_ID,
  findPoint,
  notImplementedRegs,
  SUNS_MARKER,
  toNumber,
  unscale,
} from '../../drivers/sunspec/codec.ts';
import type { SunSpecModelDef, SunSpecPointDef } from '../../drivers/sunspec/models/types.ts';

// The holding-register image of a SunSpec device: "SunS", the model chain laid out from the
// register-map tables exactly as a device would, and the 0xFFFF end model. Reads outside the
// image and writes to anything but RW points are refused with Modbus exception 02; a validator
// may refuse a value with 03.

/** Error object modbus-serial's server turns into an exception response. */
export class ModbusExceptionError extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const ILLEGAL_DATA_ADDRESS = 2;
export const ILLEGAL_DATA_VALUE = 3;

interface PlacedModel {
  def: SunSpecModelDef;
  /** Address of the model's ID register. */
  address: number;
}

export interface PointWrite {
  modelId: number;
  point: SunSpecPointDef;
  /** Raw value as written. */
  raw: number | bigint | string | undefined;
  /** Value with scale factor applied (numbers only). */
  value: number | undefined;
}

export class SunSpecRegisterImage {
  readonly regs: Uint16Array;
  private readonly placed: PlacedModel[] = [];
  /** Checks a write before it is applied; return an exception code (3) to refuse it. */
  validate?: (w: PointWrite) => number | undefined;
  /** Called after a write has been applied (all points of one request together). */
  onWrite?: (writes: PointWrite[]) => void;

  constructor(
    readonly base: number,
    models: SunSpecModelDef[],
  ) {
    let size = 2;
    for (const m of models) size += 2 + m.length;
    size += 2;
    this.regs = new Uint16Array(size);
    this.regs[0] = SUNS_MARKER[0];
    this.regs[1] = SUNS_MARKER[1];
    let at = 2;
    for (const def of models) {
      this.placed.push({ def, address: base + at });
      // Every point starts as "not implemented"; the twin fills in what it implements.
      for (const p of def.points) this.regs.set(notImplementedRegs(p), at + p.offset);
      this.regs[at] = def.id;
      this.regs[at + 1] = def.length;
      at += 2 + def.length;
    }
    this.regs[at] = END_MODEL_ID;
    this.regs[at + 1] = 0;
  }

  get end(): number {
    return this.base + this.regs.length;
  }

  modelAddress(modelId: number): number {
    return this.model(modelId).address;
  }

  private model(modelId: number): PlacedModel {
    const m = this.placed.find((p) => p.def.id === modelId);
    if (!m) throw new Error(`model ${modelId} is not in this device`);
    return m;
  }

  private index(modelId: number, name: string): { p: SunSpecPointDef; i: number; m: PlacedModel } {
    const m = this.model(modelId);
    const p = findPoint(m.def, name);
    return { p, i: m.address - this.base + p.offset, m };
  }

  getRaw(modelId: number, name: string): number | bigint | string | undefined {
    const { p, i } = this.index(modelId, name);
    return decodeRaw(p, this.regs, i);
  }

  setRaw(modelId: number, name: string, raw: number | bigint | string): void {
    const { p, i } = this.index(modelId, name);
    this.regs.set(encodeRaw(p, raw), i);
  }

  setNotImplemented(modelId: number, name: string): void {
    const { p, i } = this.index(modelId, name);
    this.regs.set(notImplementedRegs(p), i);
  }

  /** Scaled value (units of the point), undefined when not implemented. */
  get(modelId: number, name: string): number | undefined {
    const { p } = this.index(modelId, name);
    const raw = toNumber(this.getRaw(modelId, name));
    if (raw === undefined) return undefined;
    if (!p.sf) return raw;
    const sf = toNumber(this.getRaw(modelId, p.sf));
    return sf === undefined ? undefined : applyScale(raw, sf);
  }

  /** Sets a value in the point's units, scaled by its (already set) scale factor and clamped to its type. */
  set(modelId: number, name: string, value: number): void {
    const { p } = this.index(modelId, name);
    const sf = p.sf ? toNumber(this.getRaw(modelId, p.sf)) : 0;
    if (sf === undefined) throw new Error(`${name}: scale factor ${p.sf} not set`);
    let raw = unscale(value, sf);
    if (p.type === 'acc32') raw = Math.max(1, raw % 0x100000000);
    else if (p.type === 'uint16') raw = Math.min(0xfffe, Math.max(0, raw));
    else if (p.type === 'int16') raw = Math.min(0x7fff, Math.max(-0x7fff, raw));
    this.setRaw(modelId, name, raw);
  }

  /** Holding-register read; throws exception 02 outside the image. */
  read(address: number, count: number): number[] {
    const i = address - this.base;
    if (count < 1 || i < 0 || i + count > this.regs.length)
      throw new ModbusExceptionError(
        ILLEGAL_DATA_ADDRESS,
        `no registers at ${address}…${address + count - 1}`,
      );
    return Array.from(this.regs.subarray(i, i + count));
  }

  /**
   * Holding-register write: every register must belong to an RW point and the write must cover
   * whole points (02 otherwise); each point's new value passes `validate` (03 otherwise). The
   * write is applied only when all of it is acceptable.
   */
  write(address: number, values: number[]): void {
    const end = address + values.length;
    if (values.length < 1 || address < this.base || end > this.end)
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no registers at ${address}…${end - 1}`);
    const writes: PointWrite[] = [];
    let covered = address;
    const next = this.regs.slice();
    next.set(values, address - this.base);
    for (const m of this.placed) {
      for (const p of m.def.points) {
        const at = m.address + p.offset;
        if (at + p.size <= address || at >= end) continue;
        if (at < address || at + p.size > end)
          throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `write covers part of ${m.def.id}.${p.name}`);
        if (p.access !== 'RW')
          throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `${m.def.id}.${p.name} is read-only`);
        if (at !== covered)
          throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no writable register at ${covered}`);
        covered = at + p.size;
        const raw = decodeRaw(p, next, at - this.base);
        let value = toNumber(raw);
        if (value !== undefined && p.sf) {
          const sf = toNumber(
            decodeRaw(findPoint(m.def, p.sf), next, m.address - this.base + findPoint(m.def, p.sf).offset),
          );
          value = sf === undefined ? undefined : applyScale(value, sf);
        }
        writes.push({ modelId: m.def.id, point: p, raw, value });
      }
    }
    if (covered !== end || writes.length === 0)
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no writable register at ${covered}`);
    for (const w of writes) {
      if (w.point.symbols && (w.point.type === 'enum16' || w.point.type === 'enum32')) {
        if (typeof w.raw !== 'number' || !Object.values(w.point.symbols).includes(w.raw))
          throw new ModbusExceptionError(
            ILLEGAL_DATA_VALUE,
            `${w.point.name}: ${String(w.raw)} is not a defined value`,
          );
      }
      if (w.point.symbols && (w.point.type === 'bitfield16' || w.point.type === 'bitfield32')) {
        const allowed = Object.values(w.point.symbols).reduce((a, bit) => a | (1 << bit), 0);
        if (typeof w.raw !== 'number' || (w.raw & ~allowed) !== 0)
          throw new ModbusExceptionError(
            ILLEGAL_DATA_VALUE,
            `${w.point.name}: bits ${String(w.raw)} not defined`,
          );
      }
      const code = this.validate?.(w);
      if (code !== undefined)
        throw new ModbusExceptionError(code, `${w.point.name}: value ${String(w.value ?? w.raw)} refused`);
    }
    this.regs.set(values, address - this.base);
    this.onWrite?.(writes);
  }
}
