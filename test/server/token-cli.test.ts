import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';

// `bitgrid token …` through the real binary against a real SQLite file.

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bitgrid-token-cli-'));
const db = `sqlite:${join(dir, 'cli.db')}`;
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, 'token', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BITGRID_DEBUG: '', BITGRID_DATABASE_URL: '' },
  });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bitgrid token', () => {
  it('creates a token printed once on stdout, lists it without the secret, revokes it; all audited', async () => {
    const created = run(['create', '--role', 'operator', '--name', 'ops laptop', '--db', db]);
    expect(created.stderr).toMatch(
      /created token [0-9a-f]{16} \(ops laptop, operator\); it is not shown again/,
    );
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^bgt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);

    let store = await openStore(db);
    const rec = await store.verifyToken(token, Date.now());
    expect(rec).toMatchObject({ name: 'ops laptop', role: 'operator' });
    await store.close();

    const list = run(['list', '--db', db]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${rec!.id}\\s+ops laptop\\s+operator\\s+\\d{4}-`, 'm'));
    expect(list.stdout).not.toContain(token.slice(-43));

    const revoked = run(['revoke', rec!.id, '--db', db]);
    expect(revoked.status).toBe(0);
    store = await openStore(db);
    expect(await store.verifyToken(token, Date.now())).toBeUndefined();
    const audit = await store.listAudit({ target: `token:${rec!.id}`, order: 'asc' });
    expect(audit.map((a) => [a.action, a.actor, a.role, a.outcome])).toEqual([
      ['token.create', 'system', 'system', 'ok'],
      ['token.revoke', 'system', 'system', 'ok'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
    await store.close();
  });

  it('refuses a missing or unknown role and a bad name with exit code 2, and an unknown id with 1', () => {
    for (const args of [
      ['create', '--role', 'root', '--db', db],
      ['create', '--role', 'viewer', '--name', '<script>', '--db', db],
    ]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const r = run(['revoke', '0123456789abcdef', '--db', db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/token 0123456789abcdef not found/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
