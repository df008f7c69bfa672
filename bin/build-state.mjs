// Whether dist/ (the compiled CLI) may be run instead of the TypeScript sources: only when its build
// finished and started after the last change to any file it is compiled from. Shared by the launcher
// (bin/bitgrid.mjs) and the build (scripts/build-cli.mjs), so both agree on the rule.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Written last by a finished build; its modification time is the moment that build started. */
export const BUILD_STAMP = join('dist', '.build-stamp');
/** The compiled CLI entry, relative to the repository root. */
export const BUILT_ENTRY = join('dist', 'cli', 'main.js');
/** What the build reads besides src/: a change to any of them makes dist/ stale too. */
export const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', join('scripts', 'build-cli.mjs')];
/** The folder compiled to dist/. */
export const SOURCE_DIR = 'src';

/** Latest modification time (ms since the epoch) of any file under `dir`, or -Infinity when empty. */
export function newestMtimeMs(dir) {
  let newest = -Infinity;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/**
 * Why dist/ under `root` cannot be run (`null` when it can): no finished build, or a source or build
 * input changed at or after the moment the last build started. Costs one stat per source file.
 */
export function staleReason(root) {
  let builtAtMs;
  try {
    builtAtMs = statSync(join(root, BUILD_STAMP)).mtimeMs;
  } catch {
    return `no finished build (${BUILD_STAMP} is missing)`;
  }
  for (const input of BUILD_INPUTS) {
    try {
      if (statSync(join(root, input)).mtimeMs >= builtAtMs) return `${input} changed since the build`;
    } catch {
      // An input that does not exist (tsconfig.build.json outside a checkout) cannot be newer.
    }
  }
  if (newestMtimeMs(join(root, SOURCE_DIR)) >= builtAtMs) return `${SOURCE_DIR}/ changed since the build`;
  return null;
}
