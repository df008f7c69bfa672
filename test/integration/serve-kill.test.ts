import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';

// `bitgrid serve --twin` as a real process, killed with SIGKILL mid-run: every telemetry point that
// was committed before the kill is there after it, and the server starts again on the same store.

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const SERIES = [
  { assetId: 'factory-pv', measurement: 'power_kw' },
  { assetId: 'shared-battery', measurement: 'soc_fraction' },
  { assetId: 'grid', measurement: 'power_kw' },
] as const;
const ALL_TIME = { fromMs: 0, toMs: Date.UTC(2100, 0) };

function startServe(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--twin',
      '--speed',
      '120',
      '--strategy',
      'optimal',
      '--port',
      '0',
      '--db',
      `sqlite:${db}`,
    ],
    {
      env: { ...process.env, BITGRID_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 90_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

async function readAll(db: string) {
  const store = await openStore(`sqlite:${db}`);
  try {
    return await Promise.all(SERIES.map((q) => store.readTelemetry({ ...q, ...ALL_TIME })));
  } finally {
    await store.close();
  }
}

describe('serve --twin killed with SIGKILL', () => {
  it('keeps every committed telemetry point and starts again', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bitgrid-kill-')), 'live.db');
    const first = await startServe(db);
    // Whatever fails below, no server is left running after the test.
    onTestFinished(() => {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    });
    const health = await fetch(`${first.url}/api/health`);
    expect(health.status).toBe(200);
    // The first plan, made from the twin's measured state, is stored as the schedule in force; the
    // forecasts the planner uses are stored for the API.
    const waitFor = async <T>(what: string, get: (store: Store) => Promise<T | undefined>): Promise<T> => {
      const end = Date.now() + 90_000;
      for (;;) {
        const store = await openStore(`sqlite:${db}`);
        const v = await get(store).finally(() => store.close());
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`no ${what} within 90 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const schedule = await waitFor('schedule', async (s) => (await s.listSchedules({ status: 'active' }))[0]);
    expect(schedule.strategy).toBe('optimal');
    const assets = (schedule.payload as { assets: Record<string, number[]> }).assets;
    expect(assets['shared-battery'].length).toBe(96);
    const pv = await waitFor('PV forecast', (s) => s.latestForecast('factory-pv', 'pv_power_kw'));
    expect(pv.model).toBe('clear-sky-persistence');
    expect(pv.quantiles.p50.length).toBeGreaterThan(0);
    // Let the twin run, then take what is committed while the server keeps writing.
    await new Promise((r) => setTimeout(r, 8_000));
    const before = await readAll(db);
    for (const s of before) expect(s.length).toBeGreaterThan(3);
    // A later re-plan starts from the basis of the one before it (the worker keeps the series).
    const warm = await waitFor('a re-plan from the last basis', async (s) =>
      (await s.listSchedules({ strategy: 'optimal' })).find(
        (x) => (x.payload as { warmStarted?: boolean }).warmStarted === true,
      ),
    );
    expect((warm.payload as { rootIterations: number }).rootIterations).toBeGreaterThanOrEqual(0);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const after = await readAll(db);
    SERIES.forEach((_, k) => {
      const have = new Map(after[k].map((p) => [p.timeMs, p.value]));
      for (const p of before[k]) expect(have.get(p.timeMs)).toBe(p.value);
    });

    const second = await startServe(db);
    try {
      expect((await fetch(`${second.url}/api/health`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
    const last = await readAll(db);
    expect(last[0].length).toBeGreaterThan(after[0].length);
  }, 240_000);
});
