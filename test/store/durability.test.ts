import Database from '../../src/store/sqlite-binding.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CRASH_ASSETS, CRASH_BATCH_POINTS, CRASH_T0_MS, crashBatch } from './crash-child.ts';
import { PG_URL, postgresHarness, sqliteHarness, type HarnessFactory, type StoreHarness } from './harness.ts';

// Data committed before a crash is there after restart: a child process writes batches and
// acknowledges each after its commit; it is SIGKILLed at a random moment (usually mid-write), three
// times over on the same database. Every acknowledged point must be back, with its value, and the
// batch in flight at the kill must be all there or not at all.

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 3;
/** Acks to wait for before the kill, then a random delay up to this many ms. */
const ACKS_BEFORE_KILL = 8;
const KILL_JITTER_MS = 40;

function crashRun(url: string, schema: string, mode: string, first: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, schema, mode, String(first)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: number[] = [];
    let out = '';
    let err = '';
    let killing = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acks.push(Number(l.slice(4)));
      if (!killing && acks.length >= ACKS_BEFORE_KILL) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.random() * KILL_JITTER_MS);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`child ended with ${code ?? signal} before the kill:\n${err}`));
      else resolve(acks);
    });
  });
}

function durability(name: string, factory: HarnessFactory) {
  describe(`durability: ${name}`, () => {
    let h: StoreHarness;
    afterEach(() => h?.cleanup());

    for (const mode of ['direct', 'writer']) {
      it(`keeps every acknowledged batch across SIGKILL (${mode})`, async () => {
        h = await factory();
        await (await h.open()).close(); // create the schema first, so the child's open is a reopen
        const schema = h.options.pgSchema ?? '';
        const acked: number[] = [];
        let next = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const acks = await crashRun(h.url, schema, mode, next);
          expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
          acked.push(...acks);
          next = acks[acks.length - 1] + 2; // +1 may be the batch in flight: left as the crash left it
        }
        const store = await h.open();
        try {
          const all = new Map<number, number>();
          for (let a = 0; a < CRASH_ASSETS; a++) {
            const got = await store.readTelemetry({
              assetId: `a${a}`,
              measurement: 'power_kw',
              fromMs: CRASH_T0_MS,
              toMs: CRASH_T0_MS + next * CRASH_BATCH_POINTS,
            });
            for (const s of got) all.set(s.timeMs, s.value);
          }
          for (const b of acked) {
            for (const p of crashBatch(b))
              expect(all.get(p.timeMs), `batch ${b} point ${p.timeMs}`).toBe(p.value);
          }
          for (let b = 0; b < next; b++) {
            if (acked.includes(b)) continue;
            const present = crashBatch(b).filter((p) => all.has(p.timeMs)).length;
            // The direct path commits a batch in one transaction; the writer splits it into batches of its own.
            if (mode === 'direct') expect([0, CRASH_BATCH_POINTS], `batch ${b} is torn`).toContain(present);
          }
          if (mode === 'direct') {
            const audit = new Set(
              (await store.listAudit({ action: 'crash.batch', limit: 10_000 })).map((e) => e.target),
            );
            for (const b of acked) expect(audit.has(`batch:${b}`), `audit for batch ${b}`).toBe(true);
          }
        } finally {
          await store.close();
        }
        if (!h.options.pgSchema) {
          const db = new Database(h.url.slice('sqlite:'.length), { readonly: true });
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
          db.close();
        }
      });
    }
  });
}

durability('SQLite', sqliteHarness);
if (PG_URL) durability('PostgreSQL', postgresHarness);
