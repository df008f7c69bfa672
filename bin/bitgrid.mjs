#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx bitgrid` needs no build step. `--version` answers
// before tsx loads: scripts and monitoring ask it often and need no transpiler for it.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
