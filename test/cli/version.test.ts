import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/bitgrid.mjs', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('bitgrid --version', () => {
  it('prints the package version, with either flag and from the full CLI too', () => {
    for (const args of [['--version'], ['-V']])
      expect(execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })).toBe(`${VERSION}\n`);
    // Through commander (the CLI loaded): the same answer after another flag.
    expect(execFileSync(process.execPath, [BIN, '--version', '--help'], { encoding: 'utf8' }).trim()).toBe(
      VERSION,
    );
  });
});
