import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, requestedCommand } from '../../src/cli/commands.ts';

describe('the lazily loaded commands', () => {
  it('list each command as its own module defines it (name, help term, description)', async () => {
    const help = new Help();
    for (const c of COMMANDS) {
      const cmd = await c.load();
      expect(cmd.name()).toBe(c.name);
      expect(help.subcommandTerm(cmd)).toBe(c.term);
      expect(cmd.description()).toBe(c.summary);
    }
  });

  it('load only the command the arguments name', () => {
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand([])).toBeUndefined();
    expect(requestedCommand(['serve', '--port', '0'])?.name).toBe('serve');
    expect(requestedCommand(['help', 'testbed'])?.name).toBe('testbed');
    expect(requestedCommand(['help'])).toBeUndefined();
    expect(requestedCommand(['--version', 'simulate'])?.name).toBe('simulate');
    expect(requestedCommand(['nonsense'])).toBeUndefined();
  });
});
