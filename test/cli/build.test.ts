import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_STAMP, BUILT_ENTRY, staleReason } from '../../bin/build-state.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/bitgrid.mjs');
const SECOND_MS = 1000;

function tree(): { root: string; at: (rel: string, timeMs: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'bitgrid-build-'));
  const at = (rel: string, timeMs: number) => {
    const file = join(root, rel);
    mkdirSync(resolve(file, '..'), { recursive: true });
    writeFileSync(file, '');
    utimesSync(file, new Date(timeMs), new Date(timeMs));
  };
  return { root, at };
}

describe('when bin/bitgrid.mjs runs dist/ (bin/build-state.mjs)', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('runs the build only when it started after the last change to src/ and the build config', () => {
    const { root, at } = tree();
    at('src/cli/main.ts', t0);
    at('src/server/deep/worker.mjs', t0);
    expect(staleReason(root)).toMatch(/no finished build/);
    at(BUILD_STAMP, t0 + SECOND_MS);
    expect(staleReason(root)).toBeNull();
    at('src/server/deep/worker.mjs', t0 + 2 * SECOND_MS);
    expect(staleReason(root)).toBe('src/ changed since the build');
    at(BUILD_STAMP, t0 + 3 * SECOND_MS);
    at('tsconfig.build.json', t0 + 4 * SECOND_MS);
    expect(staleReason(root)).toBe('tsconfig.build.json changed since the build');
  });

  it('takes a source saved in the same millisecond as the build start as changed', () => {
    const { root, at } = tree();
    at('src/a.ts', t0);
    at(BUILD_STAMP, t0);
    expect(staleReason(root)).toBe('src/ changed since the build');
  });
});

describe('the built CLI', () => {
  const stale = staleReason(ROOT);
  // CI builds dist/ in `npm ci` (the `prepare` script); a developer's edited src/ makes it stale.
  it.skipIf(stale !== null && !process.env.CI)(
    `prints the same help as the sources${stale ? ` (skipped: ${stale}; npm run build)` : ''}`,
    () => {
      expect(stale, 'dist/ is not an up-to-date build: `npm ci` runs `npm run build` (prepare)').toBeNull();
      const run = (args: string[], env: Record<string, string> = {}) =>
        spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...env } });
      const built = run([join(ROOT, BUILT_ENTRY), '--help']);
      expect(built.stderr).toBe('');
      expect(built.status).toBe(0);
      expect(built.stdout).toMatch(/^Usage: bitgrid \[options\] \[command\]/);
      for (const name of ['simulate', 'serve', 'testbed', 'backend'])
        expect(built.stdout).toContain(`  ${name} `);
      const viaBin = run([BIN, '--help'], { BITGRID_DEBUG: '1' });
      expect(viaBin.stderr).toBe('');
      expect(viaBin.stdout).toBe(built.stdout);
      const fromSource = run([BIN, '--help'], { BITGRID_FROM_SOURCE: '1' });
      expect(fromSource.stdout).toBe(built.stdout);
      const subcommand = run([join(ROOT, BUILT_ENTRY), 'simulate', '--help']);
      expect(subcommand.status).toBe(0);
      expect(subcommand.stdout).toMatch(/--strategies <list>/);
    },
  );
});
