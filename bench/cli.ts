// `npx tsx bench/cli.ts [--runs N]` (also in `npm run bench`): how long the CLI takes to start, beside
// a bare `node -e ""`: `bitgrid --version`, and `bitgrid --help` from the compiled dist/. When dist/
// is missing or older than src/, it is built first (`npm run build`), since the sources through tsx
// are not what a user starts. Wall time per process, median of N runs.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { staleReason } from '../bin/build-state.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = resolve(ROOT, 'bin/bitgrid.mjs');
const DEFAULT_RUNS = 15;
/** Runs before measuring, so the file cache is warm as it is for a user's second command. */
const WARMUP_RUNS = 2;
/** The goal for `bitgrid --help` (issue 17). */
export const HELP_BUDGET_MS = 500;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function startMs(args: string[], runs: number, env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < WARMUP_RUNS + runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    if (i >= WARMUP_RUNS) times.push(ms);
  }
  return Math.round(median(times) * 10) / 10;
}

export async function benchCli(opts: { runs?: number } = {}): Promise<Record<string, unknown>> {
  const runs = opts.runs ?? DEFAULT_RUNS;
  const stale = staleReason(ROOT);
  if (stale !== null) {
    process.stdout.write(`  building dist/ first (${stale})\n`);
    const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error(`npm run build exited ${b.status}`);
  }
  const nodeMs = startMs(['-e', ''], runs);
  const helpMs = startMs([BIN, '--help'], runs);
  // Another edit to src/ during the runs sends the CLI back to the sources: say which was measured.
  const after = staleReason(ROOT);
  return {
    'bitgrid --help ran from': after === null ? 'dist/' : `src/ (${after})`,
    'node -e "" ms': nodeMs,
    'bitgrid --version ms': startMs([BIN, '--version'], runs),
    'bitgrid --help ms': helpMs,
    // On a busy machine every start slows down alike; the difference is the CLI's own cost.
    'bitgrid --help over node ms': Math.round((helpMs - nodeMs) * 10) / 10,
    'bitgrid --help from src ms': startMs([BIN, '--help'], Math.min(runs, WARMUP_RUNS + 1), {
      ...process.env,
      BITGRID_FROM_SOURCE: '1',
    }),
    'help under budget':
      helpMs < HELP_BUDGET_MS ? `yes (< ${HELP_BUDGET_MS} ms)` : `NO (>= ${HELP_BUDGET_MS} ms)`,
    runs,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--runs');
  const out = await benchCli({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  for (const [k, v] of Object.entries(out)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
}
