#!/usr/bin/env node
// Starts the CLI from dist/ (src/ compiled by `npm run build`, which `npm ci` and `npm install` run)
// when that build is up to date, else from the TypeScript sources through tsx, so an edited src/ is
// never run stale (the rule: bin/build-state.mjs). BITGRID_FROM_SOURCE=1 always runs the sources.
// `--version` answers before either loads: scripts and monitoring ask it often.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILT_ENTRY, staleReason } from './build-state.mjs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const why = process.env.BITGRID_FROM_SOURCE ? 'BITGRID_FROM_SOURCE is set' : staleReason(root);
if (why === null) {
  await import(new URL(`../${BUILT_ENTRY.replaceAll('\\', '/')}`, import.meta.url).href);
} else {
  if (process.env.BITGRID_DEBUG) process.stderr.write(`bitgrid: running src/ through tsx: ${why}\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
