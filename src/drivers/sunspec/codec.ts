// Generic SunSpec decoder/encoder driven by the register-map tables in models/.
//
// Registers are 16-bit big-endian words; multi-register points are big-endian word order
// (SunSpec). "Not implemented" sentinels become `undefined`. Scale factors (sunssf points) are
// applied as value × 10^sf; a value whose scale factor is not implemented is itself undefined.

import type { SunSpecModelDef, SunSpecPointDef } from './models/types.ts';

/** "SunS" as two registers: 0x5375 0x6E53. */
export const SUNS_MARKER = [0x5375, 0x6e53] as const;
/** The model ID that ends the model chain. */
export const END_MODEL_ID = 0xffff;

export type RawValue = number | bigint | string | undefined;

function u32(regs: ArrayLike<number>, i: number): number {
  return ((regs[i] & 0xffff) * 0x10000 + (regs[i + 1] & 0xffff)) >>> 0;
}

function u64(regs: ArrayLike<number>, i: number): bigint {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 16n) | BigInt(regs[i + k] & 0xffff);
  return v;
}

/**
 * Decodes one point from the registers at `index` (index of the point's first register in
 * `regs`). Returns the raw (unscaled) value, or undefined for a "not implemented" sentinel.
 */
export function decodeRaw(p: SunSpecPointDef, regs: ArrayLike<number>, index: number): RawValue {
  if (index < 0 || index + p.size > regs.length) return undefined;
  const r = regs[index] & 0xffff;
  switch (p.type) {
    case 'int16':
    case 'sunssf':
      return r === 0x8000 ? undefined : r >= 0x8000 ? r - 0x10000 : r;
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
    case 'count':
      return r === 0xffff ? undefined : r;
    case 'acc16':
      return r === 0 ? undefined : r;
    case 'uint32':
    case 'enum32':
    case 'bitfield32': {
      const v = u32(regs, index);
      return v === 0xffffffff ? undefined : v;
    }
    case 'acc32': {
      const v = u32(regs, index);
      return v === 0 ? undefined : v;
    }
    case 'int32': {
      const v = u32(regs, index);
      return v === 0x80000000 ? undefined : v | 0;
    }
    case 'uint64':
    case 'bitfield64': {
      const v = u64(regs, index);
      return v === 0xffffffffffffffffn ? undefined : v;
    }
    case 'acc64': {
      const v = u64(regs, index);
      return v === 0n ? undefined : v;
    }
    case 'int64': {
      const v = BigInt.asIntN(64, u64(regs, index));
      return v === -0x8000000000000000n ? undefined : v;
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeUInt16BE(regs[index] & 0xffff, 0);
      buf.writeUInt16BE(regs[index + 1] & 0xffff, 2);
      const f = buf.readFloatBE(0);
      return Number.isNaN(f) ? undefined : f;
    }
    case 'string': {
      const bytes: number[] = [];
      for (let k = 0; k < p.size; k++) bytes.push((regs[index + k] >> 8) & 0xff, regs[index + k] & 0xff);
      const end = bytes.indexOf(0);
      const s = Buffer.from(end === -1 ? bytes : bytes.slice(0, end))
        .toString('latin1')
        .trimEnd();
      return s === '' ? undefined : s;
    }
    case 'pad':
      return undefined;
  }
}

/** Numeric value of a raw value (bigints converted; strings give undefined). */
export function toNumber(v: RawValue): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' ? v : undefined;
}

/** value × 10^sf without the float noise of multiplying by a negative power of ten. */
export function applyScale(value: number, sf: number): number {
  return sf >= 0 ? value * 10 ** sf : value / 10 ** -sf;
}

export interface DecodedModel {
  model: SunSpecModelDef;
  /** Raw values by point name (undefined = not implemented or beyond the device's model length). */
  raw: Record<string, RawValue>;
  /** Scaled values: numbers in the point's units, strings for string points. */
  values: Record<string, number | string | undefined>;
}

/** A scale-factor value usable for scaling: an integer in −10…10, else undefined. */
function validSf(v: RawValue): number | undefined {
  return typeof v === 'number' && v >= -10 && v <= 10 ? v : undefined;
}

/**
 * Decodes a model block. `regs[0]` is the model's ID register; points that lie beyond the block
 * (a device implementing a shorter, older revision) come out undefined.
 */
export function decodeModel(model: SunSpecModelDef, regs: ArrayLike<number>): DecodedModel {
  const raw: Record<string, RawValue> = {};
  for (const p of model.points) raw[p.name] = decodeRaw(p, regs, p.offset);
  const values: Record<string, number | string | undefined> = {};
  for (const p of model.points) {
    const v = raw[p.name];
    if (p.type === 'string') values[p.name] = typeof v === 'string' ? v : undefined;
    else if (p.type === 'pad') continue;
    else if (p.sf) {
      const sf = validSf(raw[p.sf]);
      const n = toNumber(v);
      values[p.name] = sf === undefined || n === undefined ? undefined : applyScale(n, sf);
    } else values[p.name] = toNumber(v);
  }
  return { model, raw, values };
}

export function findPoint(model: SunSpecModelDef, name: string): SunSpecPointDef {
  const p = model.points.find((q) => q.name === name);
  if (!p) throw new Error(`SunSpec model ${model.id} has no point ${name}`);
  return p;
}

/** Integer range a point's raw value may take (sentinels excluded). */
export function rawRange(p: SunSpecPointDef): [number, number] {
  switch (p.type) {
    case 'int16':
    case 'sunssf':
      return [-0x7fff, 0x7fff];
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
    case 'count':
      return [0, 0xfffe];
    case 'acc16':
      return [1, 0xffff];
    case 'uint32':
    case 'enum32':
    case 'bitfield32':
      return [0, 0xfffffffe];
    case 'acc32':
      return [1, 0xffffffff];
    case 'int32':
      return [-0x7fffffff, 0x7fffffff];
    default:
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  }
}

/** Encodes a raw integer value into the point's registers; throws RangeError when it does not fit. */
export function encodeRaw(p: SunSpecPointDef, value: number | bigint | string): number[] {
  if (p.type === 'string') {
    if (typeof value !== 'string') throw new RangeError(`${p.name}: string expected`);
    const bytes = Buffer.alloc(p.size * 2);
    const src = Buffer.from(value, 'latin1');
    if (src.length > bytes.length)
      throw new RangeError(`${p.name}: string longer than ${bytes.length} bytes`);
    src.copy(bytes);
    return Array.from({ length: p.size }, (_, k) => bytes.readUInt16BE(k * 2));
  }
  if (p.size === 4) {
    const big = BigInt.asUintN(64, BigInt(value));
    return [48n, 32n, 16n, 0n].map((s) => Number((big >> s) & 0xffffn));
  }
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new RangeError(`${p.name}: integer expected, got ${String(value)}`);
  const [lo, hi] = rawRange(p);
  if (value < lo || value > hi) throw new RangeError(`${p.name}: ${value} outside ${lo}…${hi}`);
  if (p.size === 1) return [value & 0xffff];
  if (p.size === 2) {
    const u = value >>> 0;
    return [(u >>> 16) & 0xffff, u & 0xffff];
  }
  throw new RangeError(`${p.name}: cannot encode type ${p.type}`);
}

/** Raw value that represents "not implemented" for a point. */
export function notImplementedRegs(p: SunSpecPointDef): number[] {
  switch (p.type) {
    case 'int16':
    case 'sunssf':
      return [0x8000];
    case 'int32':
      return [0x8000, 0];
    case 'int64':
      return [0x8000, 0, 0, 0];
    case 'acc16':
    case 'acc32':
    case 'acc64':
    case 'string':
    case 'pad':
      return new Array<number>(p.size).fill(0);
    case 'float32':
      return [0x7fc0, 0];
    default:
      return new Array<number>(p.size).fill(0xffff);
  }
}

/** Engineering value → raw integer for a point with scale factor `sf` (rounded to nearest). */
export function unscale(value: number, sf: number): number {
  return Math.round(sf >= 0 ? value / 10 ** sf : value * 10 ** -sf);
}
