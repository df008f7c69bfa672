// `npm run build` (and `prepare`, so `npm ci` and `npm install` run it): compiles src/ to dist/ so
// bin/bitgrid.mjs starts without transpiling. tsc (tsconfig.build.json) emits JavaScript without
// type-checking (`npm run typecheck` does that) and rewrites the sources' `.ts` import extensions;
// the files tsc does not emit (data, licences, plain .mjs modules that have a .d.mts beside them) are
// copied as they are. The stamp written last carries the build's start time: bin/build-state.mjs
// runs dist/ only while no source is newer.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP, SOURCE_DIR } from '../bin/build-state.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(ROOT, 'dist');
const TSCONFIG = join(ROOT, 'tsconfig.build.json');
/** Source files tsc reads; everything else under src/ is copied if tsc did not emit it. */
const COMPILED = /\.(ts|mts)$/;

function tscBin() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

function copyUnemitted(srcDir, outDir) {
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    const from = join(srcDir, entry.name);
    const to = join(outDir, entry.name);
    if (entry.isDirectory()) copyUnemitted(from, to);
    else if (!COMPILED.test(entry.name) && !existsSync(to)) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
  }
}

const tsc = tscBin();
if (!tsc) {
  // Installed without devDependencies: nothing to compile with, and the CLI runs from src/ through tsx.
  process.stdout.write('build: typescript is not installed; bitgrid will run from src/ (slower start)\n');
  process.exit(0);
}

const startedAt = new Date();
rmSync(OUT_DIR, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(`build: tsc -p ${relative(ROOT, TSCONFIG)} failed (exit ${r.status ?? r.signal})\n`);
  process.exit(1);
}
copyUnemitted(join(ROOT, SOURCE_DIR), OUT_DIR);
const stamp = join(ROOT, BUILD_STAMP);
writeFileSync(stamp, `built from ${SOURCE_DIR}/ at ${startedAt.toISOString()}\n`);
utimesSync(stamp, startedAt, startedAt);
process.stdout.write(
  `build: ${SOURCE_DIR}/ → dist/ in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s\n`,
);
