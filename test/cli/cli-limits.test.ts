import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Bad district files and absurd sizes end in exit code 2 with the line, for validate and simulate
// alike, before any simulation is built.

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BITGRID_DEBUG: '' },
  });

describe('bitgrid CLI on bad input', () => {
  it('gives a YAML alias error its line and exit code 2, and refuses absurd sizes the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-cli-limits-'));
    try {
      const reference = readFileSync('scenarios/gwangju.yaml', 'utf8');
      const alias = join(dir, 'alias.yaml');
      writeFileSync(alias, reference.replace('timezone: Asia/Seoul', 'timezone: *zone'));
      const absurd = join(dir, 'absurd.yaml');
      writeFileSync(
        absurd,
        reference
          .replace('{ kind: dc, count: 8,', '{ kind: dc, count: 100000000,')
          .replace('peak_kw: 3200', 'peak_kw: 1e12'),
      );
      for (const cmd of [['validate'], ['simulate', '--days', '1', '--scenario']]) {
        const a = run([...cmd, alias]);
        expect(a.status, a.stderr).toBe(2);
        const line = reference.split('\n').findIndex((l) => l.startsWith('timezone:')) + 1;
        expect(a.stderr).toContain(`line ${line}: (root): alias *zone refers to no anchor`);
        expect(a.stderr).not.toMatch(/\n\s+at /);
        const b = run([...cmd, absurd]);
        expect(b.status, b.stderr).toBe(2);
        expect(b.stderr).toMatch(/line \d+: sites\[3\]\.assets\[1\]\.chargers\[1\]\.count: Too big/);
        expect(b.stderr).toMatch(/line \d+: sites\[1\]\.assets\[0\]\.peak_kw: Too big/);
      }
      const days = run(['simulate', '--days', '100000000']);
      expect(days.status).toBe(2);
      expect(days.stderr).toMatch(/--days must be a whole number from 1 to \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
