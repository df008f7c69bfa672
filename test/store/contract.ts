import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTelemetryWriter,
  MIGRATIONS,
  StoreError,
  type Migration,
  type NewJob,
  type Store,
  type StoreErrorCode,
  type TelemetryPoint,
  type TelemetryQuery,
} from '../../src/store/index.ts';
import type { MeasurementName } from '../../src/model/measurements.ts';
import type { HarnessFactory, StoreHarness } from './harness.ts';

// The one suite both implementations must pass. Every test gets an empty database of its own.

const T0 = Date.UTC(2026, 7, 3, 0, 0, 0); // 2026-08-03T09:00+09:00
const MIN = 60_000;

export async function expectStoreError(p: Promise<unknown>, code: StoreErrorCode, message?: RegExp) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected the call to fail').toBeInstanceOf(StoreError);
  expect((e as StoreError).code).toBe(code);
  if (message) expect((e as StoreError).message).toMatch(message);
  return e as StoreError;
}

/** The call fails as bad input (BITGRID_ERR_STORE_INPUT), with a message matching `message`. */
export function expectInputError(p: Promise<unknown>, message?: RegExp) {
  return expectStoreError(p, 'BITGRID_ERR_STORE_INPUT', message);
}

const pts = (
  assetId: string,
  measurement: MeasurementName,
  values: [number, number][],
  channel?: string,
): TelemetryPoint[] =>
  values.map(([timeMs, value]) => ({ assetId, measurement, timeMs, value, ...(channel ? { channel } : {}) }));

export function storeContract(name: string, factory: HarnessFactory) {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    const extra: Store[] = [];
    const reopen = async () => {
      const s = await h.open();
      extra.push(s);
      return s;
    };

    beforeEach(async () => {
      h = await factory();
      store = await h.open();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await h.cleanup();
    });

    describe('migrations', () => {
      it('applies every migration once and records it', async () => {
        const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
        expect(await store.schemaVersion()).toBe(latest);
        await store.close();
        store = await h.open();
        expect(await store.schemaVersion()).toBe(latest);
        const rows = await h.query<{ version: number; name: string }>(
          'SELECT version, name FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((r) => [Number(r.version), r.name])).toEqual(
          MIGRATIONS.map((m) => [m.version, m.name]),
        );
      });

      it('applies added migrations in order, and only those', async () => {
        await store.appendTelemetry(pts('pv1', 'power_kw', [[T0, 5]]));
        await store.close();
        const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
        const more: Migration[] = [
          ...MIGRATIONS,
          {
            version: latest + 1,
            name: 'notes',
            sqlite: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)',
            postgres: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)',
          },
          {
            version: latest + 2,
            name: 'notes author',
            sqlite: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'system'",
            postgres: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'system'",
          },
        ];
        store = await h.open({ migrations: more });
        expect(await store.schemaVersion()).toBe(latest + 2);
        await store.close();
        store = await h.open({ migrations: more }); // second open: nothing to apply, nothing fails
        await h.exec("INSERT INTO notes (id, body) VALUES (1, 'x')");
        expect(await h.query('SELECT author FROM notes')).toEqual([{ author: 'system' }]);
        expect(
          (await h.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map(
            (r) => Number(r.version),
          ),
        ).toEqual([...MIGRATIONS.map((m) => m.version), latest + 1, latest + 2]);
        expect(
          await store.readTelemetry({ assetId: 'pv1', measurement: 'power_kw', fromMs: T0, toMs: T0 + 1 }),
        ).toHaveLength(1);
      });

      it('a failing migration applies nothing of itself', async () => {
        await store.close();
        const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
        const broken: Migration = {
          version: latest + 1,
          name: 'broken',
          sqlite: 'CREATE TABLE half (a INTEGER); INSERT INTO no_such_table VALUES (1);',
          postgres: 'CREATE TABLE half (a INTEGER); INSERT INTO no_such_table VALUES (1);',
        };
        await expectStoreError(
          h.open({ migrations: [...MIGRATIONS, broken] }),
          'BITGRID_ERR_STORE_SCHEMA',
          new RegExp(`migration ${latest + 1} "broken" failed`),
        );
        store = await h.open();
        expect(await store.schemaVersion()).toBe(latest);
        await expect(h.query('SELECT * FROM half')).rejects.toThrow(/half/);
      });

      it('refuses a database written by newer code, clearly', async () => {
        await store.close();
        await h.exec(
          "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, 'from the future', 0)",
        );
        const e = await expectStoreError(
          h.open(),
          'BITGRID_ERR_STORE_SCHEMA',
          new RegExp(
            `version 999, newer than this Bitgrid understands \\(up to ${MIGRATIONS[MIGRATIONS.length - 1].version}\\)`,
          ),
        );
        expect(e.message).toMatch(/at least as new/);
      });

      it('refuses a database whose history differs', async () => {
        await store.close();
        await h.exec("UPDATE schema_migrations SET name = 'something else' WHERE version = 1");
        await expectStoreError(
          h.open(),
          'BITGRID_ERR_STORE_SCHEMA',
          /migration 1 "something else".*"initial schema"/,
        );
      });
    });

    describe('telemetry', () => {
      it('stores a batch and reads a range [from, to) in time order, per series', async () => {
        await store.appendTelemetry([
          ...pts('bat1', 'power_kw', [
            [T0 + 2 * MIN, 30],
            [T0, 10],
            [T0 + MIN, 20],
            [T0 + 3 * MIN, 40],
          ]),
          ...pts('bat1', 'soc_fraction', [[T0, 0.5]]),
          ...pts('ev1', 'power_kw', [[T0, 7]], 'c1'),
          ...pts('ev1', 'power_kw', [[T0, 11]], 'c2'),
        ]);
        const read = (q: Partial<Parameters<Store['readTelemetry']>[0]> = {}) =>
          store.readTelemetry({
            assetId: 'bat1',
            measurement: 'power_kw',
            fromMs: T0,
            toMs: T0 + 3 * MIN,
            ...q,
          });
        expect(await read()).toEqual([
          { timeMs: T0, value: 10, count: 1 },
          { timeMs: T0 + MIN, value: 20, count: 1 },
          { timeMs: T0 + 2 * MIN, value: 30, count: 1 },
        ]);
        expect((await read({ fromMs: T0 + MIN, toMs: T0 + MIN + 1 })).map((s) => s.value)).toEqual([20]);
        expect(await read({ limit: 2 })).toHaveLength(2);
        expect(await read({ assetId: 'nope' })).toEqual([]);
        expect((await read({ assetId: 'ev1', channel: 'c2' })).map((s) => s.value)).toEqual([11]);
        // No channel given means the series without a channel, not all channels.
        expect(await read({ assetId: 'ev1' })).toEqual([]);
      });

      it('keeps values exactly', async () => {
        const values = [0.1, -123.456789012345, 1e-300, 1.7976931348623157e308, 5e-324, 2 ** 53, -7];
        await store.appendTelemetry(
          values.map((value, i) => ({ assetId: 'm', measurement: 'power_kw', timeMs: T0 + i, value })),
        );
        const got = await store.readTelemetry({
          assetId: 'm',
          measurement: 'power_kw',
          fromMs: T0,
          toMs: T0 + values.length,
        });
        expect(got.map((s) => s.value)).toEqual(values);
      });

      it('replaces a point written again for the same series and time (retries are harmless)', async () => {
        await store.appendTelemetry(
          pts('pv1', 'power_kw', [
            [T0, 1],
            [T0 + MIN, 2],
          ]),
        );
        await store.appendTelemetry(
          pts('pv1', 'power_kw', [
            [T0, 5],
            [T0, 6],
          ]),
        );
        const got = await store.readTelemetry({
          assetId: 'pv1',
          measurement: 'power_kw',
          fromMs: T0,
          toMs: T0 + 2 * MIN,
        });
        expect(got.map((s) => s.value)).toEqual([6, 2]);
      });

      it('downsamples into buckets aligned to the range start: mean, min, max, last', async () => {
        // 15-min buckets from 09:00 local; points at irregular times, an empty bucket in the middle.
        const from = T0;
        const data: [number, number][] = [
          [from + 1 * MIN, 4],
          [from + 14 * MIN, 2],
          [from + 5 * MIN, 9],
          [from + 45 * MIN, -3],
          [from + 59 * MIN + 59_999, 7],
          [from + 60 * MIN, 100], // outside [from, from + 60 min)
          [from - 1, 100], // before the range
        ];
        await store.appendTelemetry(pts('load1', 'power_kw', data));
        const read = (aggregate: 'mean' | 'min' | 'max' | 'last') =>
          store.readTelemetry({
            assetId: 'load1',
            measurement: 'power_kw',
            fromMs: from,
            toMs: from + 60 * MIN,
            bucketMs: 15 * MIN,
            aggregate,
          });
        expect(await read('mean')).toEqual([
          { timeMs: from, value: 5, count: 3 },
          { timeMs: from + 45 * MIN, value: 2, count: 2 },
        ]);
        expect((await read('min')).map((s) => s.value)).toEqual([2, -3]);
        expect((await read('max')).map((s) => s.value)).toEqual([9, 7]);
        expect((await read('last')).map((s) => s.value)).toEqual([2, 7]);
        // Alignment follows fromMs, not the epoch.
        const shifted = await store.readTelemetry({
          assetId: 'load1',
          measurement: 'power_kw',
          fromMs: from + 2 * MIN,
          toMs: from + 62 * MIN,
          bucketMs: 15 * MIN,
          aggregate: 'max',
        });
        expect(shifted).toEqual([
          { timeMs: from + 2 * MIN, value: 9, count: 2 },
          { timeMs: from + 32 * MIN, value: -3, count: 1 },
          { timeMs: from + 47 * MIN, value: 100, count: 2 },
        ]);
      });

      it('downsampling agrees with a direct computation on random data', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.tuple(
                fc.integer({ min: 0, max: 3_600_000 }),
                fc.double({ min: -1e6, max: 1e6, noNaN: true }),
              ),
              { minLength: 1, maxLength: 60 },
            ),
            fc.integer({ min: 1, max: 900_000 }),
            fc.integer({ min: 0, max: 1_800_000 }),
            async (raw, bucketMs, offset) => {
              const asset = `prop${run++}`;
              const byTime = new Map<number, number>();
              for (const [t, v] of raw) byTime.set(T0 + t, v);
              await store.appendTelemetry(
                raw.map(([t, v]) => ({ assetId: asset, measurement: 'power_kw', timeMs: T0 + t, value: v })),
              );
              const fromMs = T0 + offset;
              const toMs = T0 + 3_600_001;
              const buckets = new Map<number, [number, number][]>();
              for (const [t, v] of byTime) {
                if (t < fromMs || t >= toMs) continue;
                const b = fromMs + Math.floor((t - fromMs) / bucketMs) * bucketMs;
                buckets.set(b, [...(buckets.get(b) ?? []), [t, v]]);
              }
              const keys = [...buckets.keys()].sort((a, b) => a - b);
              for (const aggregate of ['mean', 'min', 'max', 'last'] as const) {
                const got = await store.readTelemetry({
                  assetId: asset,
                  measurement: 'power_kw',
                  fromMs,
                  toMs,
                  bucketMs,
                  aggregate,
                });
                expect(got.map((s) => s.timeMs)).toEqual(keys);
                got.forEach((s, i) => {
                  const pts = buckets.get(keys[i])!;
                  const vs = pts.map((p) => p[1]);
                  expect(s.count).toBe(pts.length);
                  const want =
                    aggregate === 'mean'
                      ? vs.reduce((a, b) => a + b, 0) / vs.length
                      : aggregate === 'min'
                        ? Math.min(...vs)
                        : aggregate === 'max'
                          ? Math.max(...vs)
                          : pts.reduce((a, b) => (b[0] > a[0] ? b : a))[1];
                  expect(s.value).toBeCloseTo(want, 6);
                });
              }
            },
          ),
          { numRuns: 25, seed: 20260803 },
        );
      });

      it('gives the latest value of every series, filtered by asset and measurement', async () => {
        await store.appendTelemetry([
          ...pts('bat1', 'power_kw', [
            [T0, 1],
            [T0 + 2 * MIN, 3],
            [T0 + MIN, 2],
          ]),
          ...pts('bat1', 'soc_fraction', [[T0, 0.4]]),
          ...pts('ev1', 'power_kw', [[T0 + 5 * MIN, 7]], 'c1'),
          ...pts('ev1', 'power_kw', [[T0 + 4 * MIN, 9]]),
        ]);
        expect(await store.latestTelemetry()).toEqual([
          { assetId: 'bat1', measurement: 'power_kw', timeMs: T0 + 2 * MIN, value: 3 },
          { assetId: 'bat1', measurement: 'soc_fraction', timeMs: T0, value: 0.4 },
          { assetId: 'ev1', measurement: 'power_kw', timeMs: T0 + 4 * MIN, value: 9 },
          { assetId: 'ev1', measurement: 'power_kw', channel: 'c1', timeMs: T0 + 5 * MIN, value: 7 },
        ]);
        expect(
          (await store.latestTelemetry({ assetId: 'bat1', measurement: 'power_kw' })).map((v) => v.value),
        ).toEqual([3]);
        expect((await store.latestTelemetry({ measurement: 'power_kw' })).map((v) => v.assetId)).toEqual([
          'bat1',
          'ev1',
          'ev1',
        ]);
        expect(await store.latestTelemetry({ assetId: 'none' })).toEqual([]);
      });

      it('refuses a batch with any bad point and writes none of it', async () => {
        const good = pts('bat1', 'power_kw', [
          [T0, 1],
          [T0 + MIN, 2],
        ]);
        const bad: [unknown, RegExp][] = [
          [
            { assetId: 'bat1', measurement: 'power_kw', timeMs: T0 + 2 * MIN, value: NaN },
            /points\[2\]\.value: must be a finite number \(got NaN\)/,
          ],
          [
            { assetId: 'bat1', measurement: 'power_kw', timeMs: T0 + 2 * MIN, value: Infinity },
            /points\[2\]\.value/,
          ],
          [
            { assetId: 'bat1', measurement: 'power_kw', timeMs: T0 + 2 * MIN, value: '3' },
            /points\[2\]\.value: must be a finite number \(got "3"\)/,
          ],
          [
            { assetId: 'bat1', measurement: 'power_kw', timeMs: T0 + 0.5, value: 1 },
            /points\[2\]\.timeMs: must be a whole number/,
          ],
          [
            { measurement: 'power_kw', timeMs: T0, value: 1 },
            /points\[2\]\.assetId: must be a non-empty string \(got undefined\)/,
          ],
          [{ assetId: 'bat1', timeMs: T0, value: 1 }, /points\[2\]\.measurement/],
          [
            { assetId: 'bat1', measurement: 'power_kwh', timeMs: T0, value: 1 },
            /points\[2\]\.measurement: unknown measurement "power_kwh": not in the measurement vocabulary/,
          ],
          [
            { assetId: 'bat1', measurement: 'power_kw', channel: '', timeMs: T0, value: 1 },
            /points\[2\]\.channel/,
          ],
          [null, /points\[2\]: must be an object/],
        ];
        for (const [p, msg] of bad) {
          await expectStoreError(
            store.appendTelemetry([...good, p as TelemetryPoint]),
            'BITGRID_ERR_STORE_INPUT',
            msg,
          );
        }
        await expectInputError(
          store.appendTelemetry('nope' as unknown as TelemetryPoint[]),
          /points: must be an array/,
        );
        expect(await store.latestTelemetry()).toEqual([]);
        await store.appendTelemetry([]);
        await store.appendTelemetry(good);
        expect(
          await store.readTelemetry({
            assetId: 'bat1',
            measurement: 'power_kw',
            fromMs: T0,
            toMs: T0 + 10 * MIN,
          }),
        ).toHaveLength(2);
      });

      it('refuses bad read queries', async () => {
        const q: TelemetryQuery = { assetId: 'a', measurement: 'power_kw', fromMs: T0, toMs: T0 + MIN };
        await expectInputError(
          store.readTelemetry({ ...q, toMs: T0 - 1 }),
          /toMs: must not be before fromMs/,
        );
        await expectInputError(
          store.readTelemetry({ ...q, bucketMs: 0 }),
          /bucketMs: must be a positive whole number/,
        );
        await expectInputError(
          store.readTelemetry({ ...q, bucketMs: 1000, aggregate: 'median' as 'mean' }),
          /aggregate: must be one of "mean", "min", "max", "last"/,
        );
        await expectInputError(store.readTelemetry({ ...q, fromMs: NaN }), /fromMs/);
        await expectInputError(
          store.readTelemetry({ ...q, measurement: 'soc' as MeasurementName }),
          /readTelemetry: query\.measurement: unknown measurement "soc".*did you mean "soc_fraction"/,
        );
      });

      it('deletes points older than a time', async () => {
        await store.appendTelemetry([
          ...pts('a', 'power_kw', [
            [T0, 1],
            [T0 + MIN, 2],
            [T0 + 2 * MIN, 3],
          ]),
          ...pts('b', 'power_kw', [[T0, 1]]),
        ]);
        expect(await store.deleteTelemetryBefore(T0 + MIN)).toBe(2);
        expect(
          (
            await store.readTelemetry({
              assetId: 'a',
              measurement: 'power_kw',
              fromMs: 0,
              toMs: T0 + 10 * MIN,
            })
          ).map((s) => s.value),
        ).toEqual([2, 3]);
        expect((await store.latestTelemetry()).map((v) => v.assetId)).toEqual(['a']);
      });

      it('serves concurrent writers and readers without mixing transactions', async () => {
        const writes = Array.from({ length: 20 }, (_, w) =>
          store.appendTelemetry(
            Array.from({ length: 50 }, (_, i) => ({
              assetId: `w${w % 4}`,
              measurement: 'power_kw',
              timeMs: T0 + w * 1000 + i,
              value: w,
            })),
          ),
        );
        const bad = store
          .appendTelemetry([{ assetId: 'w0', measurement: 'power_kw', timeMs: T0 + 999_999, value: NaN }])
          .then(
            () => 'written',
            (e: unknown) => e,
          );
        const reads = Array.from({ length: 5 }, () => store.latestTelemetry());
        await Promise.all([...writes, ...reads]);
        expect(await bad).toBeInstanceOf(StoreError);
        let total = 0;
        for (let w = 0; w < 4; w++)
          total += (
            await store.readTelemetry({
              assetId: `w${w}`,
              measurement: 'power_kw',
              fromMs: T0,
              toMs: T0 + 10_000_000,
            })
          ).length;
        expect(total).toBe(1000);
      });
    });

    describe('telemetry writer', () => {
      const read = (s: Store, assetId = 'w') =>
        s.readTelemetry({ assetId, measurement: 'power_kw', fromMs: T0, toMs: T0 + 1e9 });
      const point = (i: number, assetId = 'w'): TelemetryPoint => ({
        assetId,
        measurement: 'power_kw',
        timeMs: T0 + i * 1000,
        value: i,
      });

      it('writes a batch when M points are buffered, the rest on flush()', async () => {
        const w = createTelemetryWriter(store, { maxBatchPoints: 10, flushIntervalMs: 3_600_000 });
        for (let i = 0; i < 9; i++) w.write(point(i));
        await new Promise((r) => setTimeout(r, 20));
        expect(await read(store)).toHaveLength(0);
        w.write([point(9), point(10), point(11)]);
        await new Promise((r) => setTimeout(r, 50));
        expect((await read(store)).length).toBeGreaterThanOrEqual(10);
        w.write(point(12));
        await w.flush();
        expect(w.buffered).toBe(0);
        expect((await read(store)).map((s) => s.value)).toEqual(Array.from({ length: 13 }, (_, i) => i));
        await w.close();
      });

      it('flushes on its own every N ms', async () => {
        const w = createTelemetryWriter(store, { maxBatchPoints: 1000, flushIntervalMs: 25 });
        w.write([point(1), point(2)]);
        const deadline = Date.now() + 2000;
        while ((await read(store)).length < 2 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        expect(await read(store)).toHaveLength(2);
        await w.close();
      });

      it('refuses a bad point at write(), buffering nothing of that call', async () => {
        const w = createTelemetryWriter(store, { flushIntervalMs: 3_600_000 });
        w.write(point(1));
        expect(() => w.write([point(2), { ...point(3), value: NaN }])).toThrow(
          /points\[1\]\.value: must be a finite number/,
        );
        expect(w.buffered).toBe(1);
        await w.close();
        expect((await read(store)).map((s) => s.value)).toEqual([1]);
        expect(() => w.write(point(4))).toThrow(StoreError);
      });

      it('keeps a failed batch and writes it on a later flush; drops the oldest beyond its ceiling', async () => {
        let failures = 2;
        // The store under test stays real; only its append fails twice, as a database that is briefly down.
        const flaky: Store = Object.create(store, {
          appendTelemetry: {
            value: (p: TelemetryPoint[]) =>
              failures-- > 0 ? Promise.reject(new Error('database is down')) : store.appendTelemetry(p),
          },
        });
        const errors: [string, number][] = [];
        const w = createTelemetryWriter(flaky, {
          maxBatchPoints: 5,
          maxBufferedPoints: 8,
          flushIntervalMs: 3_600_000,
          onError: (e, n) => errors.push([e.message, n]),
        });
        w.write([point(0), point(1), point(2)]);
        await expect(w.flush()).rejects.toThrow('database is down');
        expect(w.buffered).toBe(3);
        w.write([point(3), point(4), point(5), point(6), point(7), point(8), point(9)]); // 10 > 8: two oldest dropped
        await new Promise((r) => setTimeout(r, 20));
        expect(errors.some(([m, n]) => /buffer over 8 points/.test(m) && n === 2)).toBe(true);
        await w.flush();
        expect(w.buffered).toBe(0);
        expect((await read(store)).map((s) => s.value)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
        await w.close();
      });
    });

    describe('forecasts', () => {
      const f = (issuedMs: number, p50: number[], extra = {}) => ({
        issuedMs,
        assetId: 'pv1',
        target: 'pv_power_kw',
        model: 'ridge',
        startMs: issuedMs + 15 * MIN,
        intervalMs: 15 * MIN,
        quantiles: { p10: p50.map((v) => v - 1), p50, p90: p50.map((v) => v + 1) },
        ...extra,
      });

      it('stores horizons with quantiles and finds the latest issued by a time', async () => {
        const a = await store.addForecast(f(T0, [1, 2, 3]));
        expect(a.endMs).toBe(T0 + 15 * MIN + 3 * 15 * MIN);
        await store.addForecast(f(T0 + 60 * MIN, [4, 5, 6]));
        await store.addForecast({ ...f(T0 + 90 * MIN, [9]), target: 'load_power_kw' });
        await store.addForecast({
          ...f(T0, [0.5]),
          quantiles: { p50: new Float64Array([0.5]) as unknown as number[] },
          assetId: 'pv2',
        });
        expect((await store.latestForecast('pv1', 'pv_power_kw'))!.quantiles.p50).toEqual([4, 5, 6]);
        const at = (await store.latestForecast('pv1', 'pv_power_kw', T0 + 59 * MIN))!;
        expect(at).toEqual({ ...a });
        expect(await store.latestForecast('pv1', 'pv_power_kw', T0 - 1)).toBeUndefined();
        expect((await store.latestForecast('pv2', 'pv_power_kw'))!.quantiles).toEqual({ p50: [0.5] });
        expect((await store.listForecasts({ assetId: 'pv1' })).map((x) => x.issuedMs)).toEqual([
          T0 + 90 * MIN,
          T0 + 60 * MIN,
          T0,
        ]);
        expect(
          await store.listForecasts({ target: 'load_power_kw', issuedFromMs: T0 + 90 * MIN }),
        ).toHaveLength(1);
        expect(await store.listForecasts({ issuedToMs: T0 })).toHaveLength(0);
      });

      it('refuses malformed horizons', async () => {
        await expectInputError(
          store.addForecast(f(T0, [1, NaN])),
          /quantiles\.p10\[1\]: must be a finite number/,
        );
        await expectInputError(
          store.addForecast({ ...f(T0, [1, 2]), quantiles: { p50: [1, 2], p90: [3] } }),
          /p90: has 1 values, other quantiles have 2/,
        );
        await expectInputError(
          store.addForecast({ ...f(T0, [1]), quantiles: { p10: [1] } }),
          /must include p50/,
        );
        await expectInputError(
          store.addForecast({ ...f(T0, [1]), quantiles: { median: [1], p50: [1] } }),
          /quantiles\.median/,
        );
        await expectInputError(store.addForecast({ ...f(T0, [1]), intervalMs: 0 }), /intervalMs/);
        await expectInputError(
          store.addForecast({ ...f(T0, [1]), quantiles: { p50: [] } }),
          /at least one value/,
        );
        expect(await store.listForecasts()).toEqual([]);
      });
    });

    describe('schedules', () => {
      const s = (startMs: number, extra = {}) => ({
        createdMs: startMs - MIN,
        startMs,
        endMs: startMs + 24 * 60 * MIN,
        strategy: 'optimal',
        payload: { batteryKw: [[1.5, -2]], note: '한글' },
        ...extra,
      });

      it('stores, finds by horizon and changes status', async () => {
        const a = await store.addSchedule(s(T0));
        const b = await store.addSchedule(s(T0 + 12 * 60 * MIN, { status: 'active' }));
        expect(a.status).toBe('proposed');
        expect(await store.getSchedule(a.id)).toEqual(a);
        expect(await store.getSchedule(b.id + 1000)).toBeUndefined();
        expect((await store.listSchedules({ fromMs: T0 + 25 * 60 * MIN })).map((x) => x.id)).toEqual([b.id]);
        expect((await store.listSchedules({ toMs: T0 + 12 * 60 * MIN })).map((x) => x.id)).toEqual([a.id]);
        expect((await store.listSchedules()).map((x) => x.id)).toEqual([b.id, a.id]);
        expect((await store.listSchedules({ status: 'active' })).map((x) => x.id)).toEqual([b.id]);
        expect((await store.setScheduleStatus(b.id, 'superseded')).status).toBe('superseded');
        expect((await store.getSchedule(b.id))!.payload).toEqual({ batteryKw: [[1.5, -2]], note: '한글' });
        await expectStoreError(store.setScheduleStatus(b.id + 1000, 'active'), 'BITGRID_ERR_STORE_NOT_FOUND');
        await expectInputError(store.setScheduleStatus(a.id, 'done' as 'active'), /status: must be one of/);
      });

      it('refuses payloads JSON would silently change, and bad horizons', async () => {
        await expectInputError(
          store.addSchedule(s(T0, { payload: { batteryKw: [1, NaN] } })),
          /payload\.batteryKw\[1\]: must be a finite number/,
        );
        await expectInputError(
          store.addSchedule(s(T0, { payload: { ev: new Map([['a', 1]]) } })),
          /payload\.ev: must be a plain object or array.*Map/,
        );
        await expectInputError(
          store.addSchedule(s(T0, { payload: { x: new Float64Array(2) } })),
          /Float64Array/,
        );
        await expectInputError(store.addSchedule(s(T0, { payload: undefined })), /payload: is required/);
        await expectInputError(store.addSchedule(s(T0, { endMs: T0 })), /endMs: must be after startMs/);
        await expectInputError(store.addSchedule(s(T0, { status: 'draft' })), /status/);
        expect(await store.listSchedules()).toEqual([]);
      });
    });

    describe('events', () => {
      it('stores, filters and acknowledges once', async () => {
        const e1 = await store.addEvent({
          timeMs: T0,
          severity: 'info',
          source: 'control',
          code: 'STARTED',
          message: 'control loop started',
        });
        const e2 = await store.addEvent({
          timeMs: T0 + MIN,
          severity: 'alarm',
          source: 'modbus-bat1',
          code: 'BATTERY_SOC_LOW',
          message: 'SoC 4 %',
          assetId: 'bat1',
        });
        const e3 = await store.addEvent({
          timeMs: T0 + 2 * MIN,
          severity: 'critical',
          source: 'control',
          code: 'WATCHDOG',
          message: 'no setpoint for 60 s',
        });
        expect(e2).toMatchObject({ assetId: 'bat1', acknowledged: false });
        expect((await store.listEvents()).map((e) => e.id)).toEqual([e3.id, e2.id, e1.id]);
        expect((await store.listEvents({ minSeverity: 'alarm' })).map((e) => e.id)).toEqual([e3.id, e2.id]);
        expect((await store.listEvents({ assetId: 'bat1' })).map((e) => e.id)).toEqual([e2.id]);
        expect((await store.listEvents({ fromMs: T0 + MIN, toMs: T0 + 2 * MIN })).map((e) => e.id)).toEqual([
          e2.id,
        ]);
        expect((await store.listEvents({ source: 'control', limit: 1 })).map((e) => e.id)).toEqual([e3.id]);
        const ack = await store.acknowledgeEvent(e2.id, 'tok1', T0 + 5 * MIN);
        expect(ack).toMatchObject({
          acknowledged: true,
          acknowledgedBy: 'tok1',
          acknowledgedMs: T0 + 5 * MIN,
        });
        expect(await store.acknowledgeEvent(e2.id, 'tok2', T0 + 9 * MIN)).toEqual(ack);
        expect((await store.listEvents({ unacknowledgedOnly: true })).map((e) => e.id)).toEqual([
          e3.id,
          e1.id,
        ]);
        await expectStoreError(
          store.acknowledgeEvent(e3.id + 100, 'tok1', T0),
          'BITGRID_ERR_STORE_NOT_FOUND',
          /event/,
        );
      });

      it('refuses bad events', async () => {
        const ok = { timeMs: T0, severity: 'alarm' as const, source: 's', code: 'C', message: 'm' };
        await expectInputError(
          store.addEvent({ ...ok, severity: 'fatal' as 'alarm' }),
          /severity: must be one of "info", "warning", "alarm", "critical" \(got "fatal"\)/,
        );
        await expectInputError(store.addEvent({ ...ok, message: undefined as unknown as string }), /message/);
        await expectInputError(
          store.addEvent({ ...ok, code: 'x'.repeat(201) }),
          /code: must be at most 200 characters/,
        );
        expect(await store.listEvents()).toEqual([]);
      });
    });

    describe('audit log', () => {
      it('appends entries and lists them both ways', async () => {
        const a = await store.appendAudit({
          timeMs: T0,
          actor: 'system',
          role: 'system',
          action: 'schedule.apply',
          target: 'schedule:1',
          outcome: 'ok',
        });
        const b = await store.appendAudit({
          timeMs: T0 + MIN,
          actor: 'tok_ab',
          role: 'operator',
          action: 'override.create',
          target: 'bat1',
          details: { valueKw: -50, reason: 'test' },
          outcome: 'ok',
        });
        const c = await store.appendAudit({
          timeMs: T0 + 2 * MIN,
          actor: 'tok_cd',
          role: 'viewer',
          action: 'override.create',
          target: 'bat1',
          outcome: 'denied',
        });
        expect(a.details).toBeNull();
        expect(b.details).toEqual({ valueKw: -50, reason: 'test' });
        expect((await store.listAudit()).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
        expect((await store.listAudit({ order: 'asc', afterId: a.id })).map((e) => e.id)).toEqual([
          b.id,
          c.id,
        ]);
        expect((await store.listAudit({ beforeId: c.id, limit: 1 })).map((e) => e.id)).toEqual([b.id]);
        expect((await store.listAudit({ action: 'override.create', actor: 'tok_cd' }))[0]).toEqual(c);
        expect(await store.listAudit({ fromMs: T0 + MIN, toMs: T0 + 2 * MIN })).toEqual([b]);
      });

      it('is append-only: the database refuses updates and deletes', async () => {
        await store.appendAudit({
          timeMs: T0,
          actor: 'system',
          role: 'system',
          action: 'start',
          target: 'bitgrid',
          outcome: 'ok',
        });
        await expect(h.exec("UPDATE audit_log SET outcome = 'failed'")).rejects.toThrow(/append-only/);
        await expect(h.exec('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
        expect(await store.listAudit()).toHaveLength(1);
      });

      it('refuses bad entries', async () => {
        const ok = {
          timeMs: T0,
          actor: 'tok_a',
          role: 'admin' as const,
          action: 'x',
          target: 'y',
          outcome: 'ok' as const,
        };
        await expectInputError(
          store.appendAudit({ ...ok, role: 'root' as 'admin' }),
          /role: must be one of "viewer", "operator", "admin", "system"/,
        );
        await expectInputError(store.appendAudit({ ...ok, actor: 'system' }), /role: must be "system"/);
        await expectInputError(store.appendAudit({ ...ok, role: 'system' }), /actor: must be "system"/);
        await expectInputError(store.appendAudit({ ...ok, outcome: 'maybe' as 'ok' }), /outcome/);
        await expectInputError(
          store.appendAudit({ ...ok, details: { at: new Date(0) } as never }),
          /details\.at: .*Date/,
        );
        await expectInputError(
          store.appendAudit({ ...ok, action: '' }),
          /action: must be a non-empty string/,
        );
        expect(await store.listAudit()).toEqual([]);
      });
    });

    describe('API tokens', () => {
      it('stores only a hash; verifies live tokens, refuses wrong, malformed and revoked ones', async () => {
        const { token, record } = await store.createToken({ name: 'scada', role: 'operator', createdMs: T0 });
        expect(token).toMatch(/^bgt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
        expect(record).toEqual({ id: token.slice(4, 20), name: 'scada', role: 'operator', createdMs: T0 });
        const rows = await h.query<Record<string, unknown>>('SELECT * FROM api_tokens');
        expect(rows).toHaveLength(1);
        expect(JSON.stringify(rows)).not.toContain(token.slice(21));
        expect(rows[0].hash).toBe(createHash('sha256').update(token).digest('hex'));

        expect(await store.verifyToken(token, T0 + 1)).toEqual({ ...record, lastUsedMs: T0 + 1 });
        const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
        expect(await store.verifyToken(wrong, T0 + 2)).toBeUndefined();
        expect(await store.verifyToken('bgt_nonsense', T0 + 2)).toBeUndefined();
        expect(await store.verifyToken(42 as unknown as string, T0 + 2)).toBeUndefined();
        // last_used is rewritten at most once a minute.
        expect((await store.verifyToken(token, T0 + 30_000))!.lastUsedMs).toBe(T0 + 1);
        expect((await store.verifyToken(token, T0 + 61_001))!.lastUsedMs).toBe(T0 + 61_001);

        const other = await store.createToken({ name: 'dashboard', role: 'viewer', createdMs: T0 + 1 });
        const revoked = await store.revokeToken(record.id, T0 + 100_000);
        expect(revoked.revokedMs).toBe(T0 + 100_000);
        expect((await store.revokeToken(record.id, T0 + 200_000)).revokedMs).toBe(T0 + 100_000);
        expect(await store.verifyToken(token, T0 + 100_001)).toBeUndefined();
        expect((await store.verifyToken(other.token, T0 + 100_001))!.role).toBe('viewer');
        expect((await store.listTokens()).map((t) => [t.name, t.revokedMs !== undefined])).toEqual([
          ['scada', true],
          ['dashboard', false],
        ]);
        await expectStoreError(store.revokeToken('0000000000000000', T0), 'BITGRID_ERR_STORE_NOT_FOUND');
      });

      it('refuses an unknown role', async () => {
        await expectInputError(
          store.createToken({ name: 'x', role: 'superuser' as 'admin', createdMs: T0 }),
          /role: must be one of "viewer", "operator", "admin" \(got "superuser"\)/,
        );
        await expectInputError(store.createToken({ name: '', role: 'admin', createdMs: T0 }), /name/);
        expect(await store.listTokens()).toEqual([]);
      });
    });

    describe('overrides', () => {
      const o = (extra = {}) => ({
        assetId: 'bat1',
        kind: 'battery_power_kw',
        value: -100,
        startMs: T0,
        expiryMs: T0 + 60 * MIN,
        createdBy: 'tok_ab',
        reason: 'grid test',
        createdMs: T0 - MIN,
        ...extra,
      });

      it('stores, lists those in force, clears once', async () => {
        const a = await store.addOverride(o());
        const b = await store.addOverride(
          o({ assetId: 'pv1', kind: 'pv_power_limit_kw', value: 200, startMs: T0 + 30 * MIN }),
        );
        expect(a.cleared).toBe(false);
        expect((await store.listOverrides({ activeAtMs: T0 + 10 * MIN })).map((x) => x.id)).toEqual([a.id]);
        expect((await store.listOverrides({ activeAtMs: T0 + 40 * MIN })).map((x) => x.id)).toEqual([
          b.id,
          a.id,
        ]);
        expect((await store.listOverrides({ activeAtMs: T0 + 60 * MIN })).map((x) => x.id)).toEqual([]);
        expect((await store.listOverrides({ assetId: 'pv1' })).map((x) => x.id)).toEqual([b.id]);
        const c = await store.clearOverride(a.id, 'tok_cd', T0 + 20 * MIN);
        expect(c).toMatchObject({ cleared: true, clearedBy: 'tok_cd', clearedMs: T0 + 20 * MIN });
        expect(await store.clearOverride(a.id, 'system', T0 + 25 * MIN)).toEqual(c);
        expect((await store.listOverrides({ activeAtMs: T0 + 40 * MIN })).map((x) => x.id)).toEqual([b.id]);
        await expectStoreError(
          store.clearOverride(b.id + 10, 'x', T0),
          'BITGRID_ERR_STORE_NOT_FOUND',
          /override/,
        );
      });

      it('keeps the channel an override holds across a reopen; none means the whole asset', async () => {
        const one = await store.addOverride(
          o({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 3.5, channel: 'campus-ev-ac-001/2' }),
        );
        const charger = await store.addOverride(
          o({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 0, channel: 'campus-ev-dc-001' }),
        );
        const whole = await store.addOverride(
          o({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 2 }),
        );
        expect(one.channel).toBe('campus-ev-ac-001/2');
        expect('channel' in whole).toBe(false);
        await store.close();
        store = await h.open();
        const byId = new Map(
          (await store.listOverrides({ assetId: 'campus-ev', activeAtMs: T0 })).map((r) => [r.id, r]),
        );
        expect(byId.get(one.id)).toEqual(one);
        expect(byId.get(charger.id)?.channel).toBe('campus-ev-dc-001');
        expect(byId.get(whole.id)).toEqual(whole);
        expect(byId.get(whole.id)?.channel).toBeUndefined();
        const cleared = await store.clearOverride(one.id, 'tok_cd', T0 + MIN);
        expect(cleared.channel).toBe('campus-ev-ac-001/2');
      });

      it('refuses an empty or non-text channel, and the database refuses an empty one too', async () => {
        await expectInputError(
          store.addOverride(o({ channel: '' })),
          /addOverride: override\.channel: must be a non-empty string/,
        );
        await expectInputError(store.addOverride(o({ channel: 7 })), /override\.channel/);
        expect(await store.listOverrides()).toEqual([]);
        await expect(
          h.exec(
            "INSERT INTO overrides (asset_id, kind, value, channel, start_ms, expiry_ms, created_by, reason, created_ms) VALUES ('a', 'k', 1, '', 0, 1, 'x', 'y', 0)",
          ),
        ).rejects.toThrow(/CHECK|check/);
      });

      it('an override stored before the channel column existed reads back as asset-wide', async () => {
        const old = await factory();
        try {
          const v2 = await old.open({ migrations: MIGRATIONS.filter((m) => m.version < 3) });
          expect(await v2.schemaVersion()).toBe(2);
          await v2.close();
          await old.exec(
            `INSERT INTO overrides (asset_id, kind, value, start_ms, expiry_ms, created_by, reason, created_ms) VALUES ('bat1', 'battery_power_kw', -50, ${T0}, ${T0 + 60 * MIN}, 'tok_ab', 'before v3', ${T0})`,
          );
          const current = await old.open();
          try {
            expect(await current.schemaVersion()).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
            const [r] = await current.listOverrides();
            expect(r).toMatchObject({ assetId: 'bat1', value: -50, reason: 'before v3', cleared: false });
            expect('channel' in r).toBe(false);
            const next = await current.addOverride(o({ channel: 'campus-ev-ac-001' }));
            expect((await current.listOverrides()).find((x) => x.id === next.id)?.channel).toBe(
              'campus-ev-ac-001',
            );
          } finally {
            await current.close();
          }
        } finally {
          await old.cleanup();
        }
      });

      it('refuses overrides that never expire or carry bad values', async () => {
        await expectInputError(store.addOverride(o({ expiryMs: T0 })), /expiryMs: must be after startMs/);
        await expectInputError(
          store.addOverride(o({ expiryMs: undefined })),
          /expiryMs: must be a whole number/,
        );
        await expectInputError(store.addOverride(o({ value: NaN })), /value: must be a finite number/);
        await expectInputError(store.addOverride(o({ reason: '' })), /reason/);
        expect(await store.listOverrides()).toEqual([]);
      });
    });

    describe('simulation runs', () => {
      it('creates, progresses and finishes runs', async () => {
        const a = await store.createSimRun({ createdMs: T0, params: { scenario: 'gwangju', days: 7 } });
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(a).toMatchObject({ status: 'queued', progress: 0 });
        const b = await store.createSimRun({ id: 'run-b', createdMs: T0 + 1, params: null });
        await store.updateSimRun(a.id, { updatedMs: T0 + 10, status: 'running', progress: 0.25 });
        const done = await store.updateSimRun(a.id, {
          updatedMs: T0 + 20,
          status: 'done',
          progress: 1,
          result: { costKrw: 1.5e9, kpis: [1, 2] },
        });
        expect(done).toEqual({
          id: a.id,
          status: 'done',
          progress: 1,
          params: { scenario: 'gwangju', days: 7 },
          result: { costKrw: 1.5e9, kpis: [1, 2] },
          createdMs: T0,
          updatedMs: T0 + 20,
        });
        expect(await store.getSimRun(a.id)).toEqual(done);
        const failed = await store.updateSimRun('run-b', {
          updatedMs: T0 + 30,
          status: 'failed',
          error: 'HiGHS: infeasible',
        });
        expect(failed).toMatchObject({ status: 'failed', error: 'HiGHS: infeasible', params: null });
        expect((await store.listSimRuns()).map((r) => r.id)).toEqual([b.id, a.id]);
        expect((await store.listSimRuns({ status: 'done' })).map((r) => r.id)).toEqual([a.id]);
        expect(await store.getSimRun('nope')).toBeUndefined();
      });

      it('refuses bad updates and duplicate ids, changing nothing', async () => {
        const a = await store.createSimRun({ id: 'r1', createdMs: T0, params: {} });
        await expectInputError(store.createSimRun({ id: 'r1', createdMs: T0, params: {} }), /already exists/);
        await expectInputError(
          store.updateSimRun('r1', { updatedMs: T0, progress: 1.5 }),
          /progress: must be a fraction from 0 to 1/,
        );
        await expectInputError(
          store.updateSimRun('r1', { updatedMs: T0, status: 'running', result: { x: NaN } }),
          /result\.x/,
        );
        await expectInputError(
          store.updateSimRun('r1', { updatedMs: T0, status: 'paused' as 'running' }),
          /status/,
        );
        await expectStoreError(
          store.updateSimRun('r2', { updatedMs: T0, progress: 0.5 }),
          'BITGRID_ERR_STORE_NOT_FOUND',
        );
        await expectInputError(
          store.createSimRun({ createdMs: T0, params: { f: () => 1 } as never }),
          /params\.f: cannot be stored as JSON/,
        );
        expect(await store.getSimRun('r1')).toEqual(a);
        expect(await store.listSimRuns()).toHaveLength(1);
      });
    });

    describe('data-center jobs', () => {
      const HOUR = 60 * MIN;
      const job = (over: Partial<NewJob> = {}): NewJob => ({
        datacenterId: 'dc-gpu',
        name: 'llm-finetune',
        gpus: 64,
        gpuHours: 640,
        earliestStartMs: T0,
        deadlineMs: T0 + 24 * HOUR,
        submittedMs: T0,
        submittedBy: 'tok_1',
        ...over,
      });

      it('adds jobs with defaults, reads them back, lists by submission with filters', async () => {
        const a = await store.addJob(job());
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(a).toEqual({
          id: a.id,
          datacenterId: 'dc-gpu',
          name: 'llm-finetune',
          gpus: 64,
          gpuHours: 640,
          earliestStartMs: T0,
          deadlineMs: T0 + 24 * HOUR,
          priority: 0,
          interruptible: true,
          status: 'queued',
          doneGpuHours: 0,
          submittedMs: T0,
          submittedBy: 'tok_1',
          updatedMs: T0,
        });
        expect(await store.getJob(a.id)).toEqual(a);
        // Same submission time: the order is still the order of submission.
        const b = await store.addJob(
          job({ id: 'job-b', priority: -3, interruptible: false, gpuHours: 12.5, name: 'eval' }),
        );
        const c = await store.addJob(job({ id: 'job-c', datacenterId: 'dc-2', priority: 7 }));
        expect(await store.getJob('job-c')).toEqual(c);
        expect(b).toMatchObject({ id: 'job-b', priority: -3, interruptible: false, gpuHours: 12.5 });
        expect(await store.getJob('job-b')).toEqual(b);
        expect((await store.listJobs()).map((j) => j.id)).toEqual(['job-c', 'job-b', a.id]);
        expect((await store.listJobs({ order: 'asc' })).map((j) => j.id)).toEqual([a.id, 'job-b', 'job-c']);
        expect((await store.listJobs({ datacenterId: 'dc-gpu', limit: 1 })).map((j) => j.id)).toEqual([
          'job-b',
        ]);
        await store.updateJob('job-b', {
          updatedMs: T0 + HOUR,
          status: 'done',
          doneGpuHours: 12.5,
          finishedMs: T0 + HOUR,
        });
        expect((await store.listJobs({ status: 'done' })).map((j) => j.id)).toEqual(['job-b']);
        expect(
          (await store.listJobs({ status: ['queued', 'running'], order: 'asc' })).map((j) => j.id),
        ).toEqual([a.id, 'job-c']);
        expect(await store.getJob('nope')).toBeUndefined();
      });

      it('updates status, work done and finish time', async () => {
        await store.addJob(job({ id: 'j1' }));
        const running = await store.updateJob('j1', {
          updatedMs: T0 + HOUR,
          status: 'running',
          doneGpuHours: 64,
        });
        expect(running).toMatchObject({ status: 'running', doneGpuHours: 64, updatedMs: T0 + HOUR });
        expect(running.finishedMs).toBeUndefined();
        const done = await store.updateJob('j1', {
          updatedMs: T0 + 10 * HOUR,
          status: 'done',
          doneGpuHours: 640,
          finishedMs: T0 + 10 * HOUR,
        });
        expect(done).toMatchObject({ status: 'done', doneGpuHours: 640, finishedMs: T0 + 10 * HOUR });
        expect(await store.getJob('j1')).toEqual(done);
        await store.close();
        store = await h.open();
        expect(await store.getJob('j1')).toEqual(done);
      });

      it('refuses bad jobs and bad updates, changing nothing', async () => {
        const bad: [Partial<NewJob>, RegExp][] = [
          [{ gpus: 0 }, /addJob: job\.gpus: must be a positive whole number/],
          [{ gpus: 1.5 }, /gpus/],
          [{ gpuHours: 0 }, /gpuHours: must be positive/],
          [{ gpuHours: NaN }, /gpuHours: must be a finite number/],
          [{ deadlineMs: T0 }, /deadlineMs: must be after earliestStartMs/],
          [{ earliestStartMs: 1.5 }, /earliestStartMs/],
          [{ priority: 0.5 }, /priority: must be a whole number/],
          [{ interruptible: 'yes' as never }, /interruptible: must be true or false/],
          [{ datacenterId: '' }, /datacenterId/],
          [{ name: undefined as never }, /name/],
          [{ submittedBy: '' }, /submittedBy/],
        ];
        for (const [over, message] of bad)
          await expectStoreError(store.addJob(job(over)), 'BITGRID_ERR_STORE_INPUT', message);
        expect(await store.listJobs()).toEqual([]);

        const a = await store.addJob(job({ id: 'j1' }));
        await expectInputError(store.addJob(job({ id: 'j1' })), /already exists/);
        await expectInputError(
          store.updateJob('j1', { updatedMs: T0, doneGpuHours: 641 }),
          /doneGpuHours: must not exceed the job's 640 GPU-hours/,
        );
        await expectInputError(
          store.updateJob('j1', { updatedMs: T0, doneGpuHours: -1 }),
          /doneGpuHours: must not be negative/,
        );
        await expectInputError(
          store.updateJob('j1', { updatedMs: T0, status: 'paused' as 'running' }),
          /status: must be one of "queued", "running", "done", "cancelled"/,
        );
        await expectStoreError(
          store.updateJob('j2', { updatedMs: T0 }),
          'BITGRID_ERR_STORE_NOT_FOUND',
          /job j2/,
        );
        await expectInputError(store.listJobs({ status: ['queued', 'late' as 'queued'] }), /status\[1\]/);
        expect(await store.listJobs()).toEqual([a]);
      });
    });

    it('keeps everything across a reopen', async () => {
      await store.appendTelemetry(pts('bat1', 'power_kw', [[T0, 1]]));
      await store.appendAudit({
        timeMs: T0,
        actor: 'system',
        role: 'system',
        action: 'x',
        target: 'y',
        outcome: 'ok',
      });
      const { token } = await store.createToken({ name: 'n', role: 'admin', createdMs: T0 });
      await store.close();
      const again = await reopen();
      expect(await again.latestTelemetry()).toHaveLength(1);
      expect(await again.listAudit()).toHaveLength(1);
      expect(await again.verifyToken(token, T0 + 1)).toBeDefined();
    });

    it('rejects calls after close()', async () => {
      await store.close();
      await expectStoreError(
        store.appendTelemetry(pts('a', 'power_kw', [[T0, 1]])),
        'BITGRID_ERR_STORE_CLOSED',
      );
      await expectStoreError(store.listEvents(), 'BITGRID_ERR_STORE_CLOSED');
      await store.close();
    });
  });
}
