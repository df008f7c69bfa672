import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BITGRID_DEBUG: '' },
  });

describe('bitgrid testbed', () => {
  it('prints a scorecard with the built-ins beside the shipped example, and writes the report', () => {
    const out = mkdtempSync(join(tmpdir(), 'bitgrid-testbed-'));
    const r = run([
      'testbed',
      '--controller',
      'examples/controllers/peak-shaver.mjs',
      '--quick',
      '--json',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const sc = JSON.parse(r.stdout);
    expect(sc.protocol).toBe('bitgrid.controller/1');
    expect(sc.challengeSet).toEqual({ name: 'quick', version: '2026.1' });
    expect(sc.leaderboard.map((c: { strategy: string }) => c.strategy).sort()).toEqual([
      'none',
      'peak-shaver.mjs',
      'rules',
    ]);
    const mine = sc.leaderboard.find((c: { kind: string }) => c.kind === 'controller');
    expect(mine).toMatchObject({ status: 'ok', failedDecisions: 0, decisions: 96 });
    expect(mine.totalCostKrw).toBeGreaterThan(0);
    // Ranked by total cost.
    const costs = sc.leaderboard.map((c: { totalCostKrw: number }) => c.totalCostKrw);
    expect(costs).toEqual([...costs].sort((a: number, b: number) => a - b));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toMatch(/peak-shaver\.mjs/);
    expect(existsSync(join(out, 'scorecard.json'))).toBe(true);
  });

  it('simulate takes a controller path among its strategies', () => {
    const out = mkdtempSync(join(tmpdir(), 'bitgrid-simulate-'));
    const r = run([
      'simulate',
      '--days',
      '1',
      '--strategies',
      'rules,./test/testbed/fixtures/throws.mjs',
      '--json',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const s = JSON.parse(r.stdout);
    // Registered under its file name, which reports use in file names (ledger-<strategy>.csv).
    expect(s.results.map((x: { strategy: string }) => x.strategy)).toEqual(['rules', 'throws.mjs']);
    expect(s.controllers[0]).toMatchObject({
      failedDecisions: 94,
      failure: { reason: 'threw', decision: 2 },
    });
  });

  it('refuses a controller that is neither a module nor a URL, with exit code 2', () => {
    const r = run(['testbed', '--controller', 'scenarios/gwangju.yaml', '--quick']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/give an ES module \(\.mjs or \.js\) or an http:\/\/ URL/);
    const bad = run([
      'testbed',
      '--controller',
      'examples/controllers/peak-shaver.mjs',
      '--memory-mb',
      'lots',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--memory-mb must be a number from 16 to 16384/);
  });

  it('prints the JSON Schemas it validates against', () => {
    const r = run(['testbed', '--schema', 'action']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).title).toMatch(/bitgrid\.controller\/1/);
  });
});
