import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../../src/store/sqlite-binding.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/fleet/outbox.ts';
import { FleetImportLimit } from '../../src/fleet/site.ts';

// The shares an edge holds, kept on disk: a share of an OpenADR event keeps its window through a
// restart, and an outbox made before windows existed is brought up to date.

const T = Date.parse('2026-08-03T00:00:00+09:00');
const HOUR_MS = 3_600_000;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('held shares on disk', () => {
  it("keeps a share's window through a restart of the edge", () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-outbox-'));
    const file = join(dir, 'edge.db');
    const box = new Outbox(file);
    const limit = new FleetImportLimit(() => T);
    const s = limit.set('openadr:e1@1', 2000, 100, { startMs: T + HOUR_MS, endMs: T + 3 * HOUR_MS })!;
    box.saveShare(s.feederId, s);
    box.saveShare('f1', limit.set('f1', 3000, 200)!);
    box.close();
    const again = new Outbox(file);
    const restored = new FleetImportLimit(() => T, again.shares());
    expect(restored.signals().map((x) => [x.eventId, x.value, x.startMs, x.endMs])).toEqual([
      ['feeder:openadr:e1@1', 2000, T + HOUR_MS, T + 3 * HOUR_MS],
      ['feeder:f1', 3000, 0, Number.MAX_SAFE_INTEGER],
    ]);
    again.close();
  });

  it('adds the window columns to an outbox made before them, keeping its shares', () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-outbox-'));
    const file = join(dir, 'old.db');
    const db = new Database(file);
    db.exec(
      'CREATE TABLE held_shares (feeder_id TEXT PRIMARY KEY, limit_kw REAL NOT NULL, issued_ms INTEGER NOT NULL, since_ms INTEGER NOT NULL)',
    );
    db.prepare('INSERT INTO held_shares VALUES (?, ?, ?, ?)').run('f1', 2500, 10, 20);
    db.close();
    const box = new Outbox(file);
    expect(box.shares()).toEqual([{ feederId: 'f1', limitKw: 2500, issuedMs: 10, sinceMs: 20 }]);
    box.close();
  });
});
