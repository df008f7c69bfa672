import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyScale,
  decodeModel,
  decodeRaw,
  encodeRaw,
  findPoint,
  notImplementedRegs,
  unscale,
} from '../../src/drivers/sunspec/codec.ts';
import { DEFAULT_MODEL_DIR, loadModelDir } from '../../src/drivers/sunspec/models/generate.ts';
import {
  model1,
  model103,
  model123,
  model124,
  model704,
  model802,
  SUNSPEC_MODELS,
} from '../../src/drivers/sunspec/models/models.generated.ts';

describe('SunSpec register-map tables', () => {
  it.skipIf(!existsSync(DEFAULT_MODEL_DIR))('match the SunSpec model JSON they were generated from', () => {
    const fresh = loadModelDir(DEFAULT_MODEL_DIR);
    expect(fresh.map((m) => m.id)).toEqual([...SUNSPEC_MODELS.keys()]);
    for (const m of fresh) expect(SUNSPEC_MODELS.get(m.id)).toEqual(m);
  });

  it('have the published model lengths and point offsets', () => {
    expect(model1.length).toBe(66);
    expect(model103.length).toBe(50);
    expect(model123.length).toBe(24);
    expect(model124.length).toBe(24);
    expect(model704.length).toBe(65);
    expect(model802.length).toBe(62);
    expect(findPoint(model103, 'W')).toMatchObject({
      offset: 14,
      type: 'int16',
      units: 'W',
      sf: 'W_SF',
      access: 'R',
    });
    expect(findPoint(model103, 'WH')).toMatchObject({ offset: 24, size: 2, type: 'acc32', sf: 'WH_SF' });
    expect(findPoint(model123, 'WMaxLimPct')).toMatchObject({ offset: 5, access: 'RW', sf: 'WMaxLimPct_SF' });
    expect(findPoint(model124, 'StorCtl_Mod')).toMatchObject({
      offset: 5,
      type: 'bitfield16',
      symbols: { CHARGE: 0, DiSCHARGE: 1 },
    });
    expect(findPoint(model124, 'OutWRte')).toMatchObject({ offset: 12, type: 'int16', access: 'RW' });
    expect(findPoint(model704, 'WSet')).toMatchObject({
      type: 'int32',
      size: 2,
      access: 'RW',
      sf: 'WSet_SF',
    });
    expect(findPoint(model704, 'PFWInj.PF')).toMatchObject({ sf: 'PF_SF' });
    expect(findPoint(model802, 'SoC')).toMatchObject({ offset: 11, units: '%WHRtg', sf: 'SoC_SF' });
    // Every point lies inside the model, and points do not overlap.
    for (const m of SUNSPEC_MODELS.values()) {
      let next = 0;
      for (const p of m.points) {
        expect(p.offset).toBe(next);
        next += p.size;
        if (p.sf) expect(m.points.some((q) => q.name === p.sf && q.type === 'sunssf')).toBe(true);
      }
      expect(next).toBe(m.length + 2);
    }
  });
});

describe('SunSpec decoder', () => {
  const block = (model: typeof model103, set: Record<string, number[]>): number[] => {
    const regs = new Array<number>(model.length + 2).fill(0);
    for (const p of model.points) notImplementedRegs(p).forEach((r, k) => (regs[p.offset + k] = r));
    regs[0] = model.id;
    regs[1] = model.length;
    for (const [name, words] of Object.entries(set)) {
      const p = findPoint(model, name);
      words.forEach((w, k) => (regs[p.offset + k] = w));
    }
    return regs;
  };

  it('applies scale factors, including negative ones and negative values', () => {
    const d = decodeModel(
      model103,
      block(model103, {
        W: [0xfc18], // −1000
        W_SF: [1],
        Hz: [5999],
        Hz_SF: [0xfffe], // −2
        WH: [0x0001, 0x86a0], // 100 000
        WH_SF: [0],
        St: [4],
      }),
    );
    expect(d.values.W).toBe(-10000);
    expect(d.values.Hz).toBe(59.99);
    expect(d.values.WH).toBe(100000);
    expect(d.values.St).toBe(4);
    expect(d.values.ID).toBe(103);
  });

  it('turns "not implemented" sentinels into undefined, also through a missing scale factor', () => {
    const d = decodeModel(model103, block(model103, { W: [500], W_SF: [0x8000], A: [0xffff], A_SF: [0] }));
    expect(d.values.W).toBeUndefined(); // W_SF not implemented
    expect(d.values.A).toBeUndefined(); // 0xFFFF uint16
    expect(d.values.PhVphA).toBeUndefined();
    expect(d.values.WH).toBeUndefined(); // acc32 0
    expect(d.values.Evt1).toBeUndefined(); // bitfield32 0xFFFFFFFF
  });

  it('decodes points beyond a short (older) model as undefined', () => {
    const regs = block(model103, { W: [100], W_SF: [0] }).slice(0, 20);
    const d = decodeModel(model103, regs);
    expect(d.values.W).toBe(100);
    expect(d.values.WH).toBeUndefined();
  });

  it('decodes strings, int32 and uint64', () => {
    const sn = findPoint(model1, 'SN');
    expect(decodeRaw(sn, encodeRaw(sn, 'ABC-123'), 0)).toBe('ABC-123');
    expect(decodeRaw(sn, new Array(16).fill(0), 0)).toBeUndefined();
    const wset = findPoint(model704, 'WSet');
    expect(decodeRaw(wset, encodeRaw(wset, -123456), 0)).toBe(-123456);
    expect(decodeRaw(wset, [0x8000, 0], 0)).toBeUndefined();
    const u64 = {
      name: 'x',
      offset: 0,
      size: 4,
      type: 'uint64',
      access: 'R',
      mandatory: false,
      static: false,
    } as const;
    expect(decodeRaw(u64, [0, 0, 1, 2], 0)).toBe(65538n);
    expect(decodeRaw(u64, [0xffff, 0xffff, 0xffff, 0xffff], 0)).toBeUndefined();
  });

  it('encodes with range checks and scales without float noise', () => {
    const pct = findPoint(model123, 'WMaxLimPct');
    expect(() => encodeRaw(pct, 0xffff)).toThrow(RangeError); // that is the NI sentinel
    expect(() => encodeRaw(pct, -1)).toThrow(RangeError);
    expect(() => encodeRaw(pct, 1.5)).toThrow(RangeError);
    expect(encodeRaw(findPoint(model124, 'OutWRte'), -5000)).toEqual([0xec78]);
    expect(applyScale(12345, -2)).toBe(123.45);
    expect(unscale(123.45, -2)).toBe(12345);
    expect(unscale(63456, 1)).toBe(6346);
  });
});
