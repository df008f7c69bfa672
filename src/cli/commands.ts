import type { Command } from 'commander';

/**
 * The CLI's commands as `bitgrid --help` lists them, each loaded only when it is asked for: a
 * command's module imports the simulator, the optimizer or the server, which take seconds to load
 * and which the top-level help does not need. `term` and `summary` must be the loaded command's
 * help term and description (test/cli/commands.test.ts checks). Add a command here, in the order
 * the help lists it.
 */
export interface LazyCommand {
  name: string;
  /** How the top-level help shows the command: its name, `[options]` when it has any, its arguments. */
  term: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly LazyCommand[] = [
  {
    name: 'simulate',
    term: 'simulate [options]',
    summary: 'Simulate a district under each strategy and report what each costs and saves.',
    load: async () => (await import('./simulate.ts')).simulateCommand(),
  },
  {
    name: 'validate',
    term: 'validate <file>',
    summary: 'Check a district file and list every problem with its path and line.',
    load: async () => (await import('./validate.ts')).validateCommand(),
  },
  {
    name: 'token',
    term: 'token',
    summary: 'Manage API tokens for `bitgrid serve` (roles: viewer < operator < admin).',
    load: async () => (await import('./token.ts')).tokenCommand(),
  },
  {
    name: 'serve',
    term: 'serve [options]',
    summary: 'Run the live system: control loop, device drivers, API and dashboard.',
    load: async () => (await import('./serve.ts')).serveCommand(),
  },
  {
    name: 'optimize',
    term: 'optimize [options]',
    summary:
      'Plan one horizon from the district state at a time and write schedule, model and solve log; or re-solve a saved model.',
    load: async () => (await import('./optimize.ts')).optimizeCommand(),
  },
  {
    name: 'backtest',
    term: 'backtest [options]',
    summary:
      'Rolling-origin backtest of the PV or load forecaster and its baselines on a CSV history (format: docs/forecasting.md).',
    load: async () => (await import('./backtest.ts')).backtestCommand(),
  },
  {
    name: 'testbed',
    term: 'testbed [options]',
    summary: 'Score an outside controller (ES module or HTTP URL) beside the built-in strategies.',
    load: async () => (await import('./testbed.ts')).testbedCommand(),
  },
  {
    name: 'reconcile',
    term: 'reconcile [options]',
    summary:
      "Compare a KEPCO monthly bill (YAML, docs/ledger.md) with Bitgrid's bill of the same meter-reading period from the stored grid meter.",
    load: async () => (await import('./reconcile.ts')).reconcileCommand(),
  },
  {
    name: 'export',
    term: 'export [options]',
    summary:
      'Export a period of the live store as measured inputs (profiles, session logs, job traces) and a replay.yaml for simulate.',
    load: async () => (await import('./export.ts')).exportCommand(),
  },
  {
    name: 'backend',
    term: 'backend [options]',
    summary: 'Run the fleet backend: telemetry and events of every edge from NATS JetStream into PostgreSQL.',
    load: async () => (await import('./backend.ts')).backendCommand(),
  },
  {
    name: 'worker',
    term: 'worker [options]',
    summary: "Run a simulation worker: jobs from the fleet's NATS JetStream work queue, one at a time.",
    load: async () => (await import('./backend.ts')).workerCommand(),
  },
];

/**
 * The command that `args` (the arguments after `bitgrid`) runs, or asks help for (`help <command>`);
 * undefined for the top-level help, the version or an unknown name. Top-level options take no value,
 * so the first word that is not an option names the command.
 */
export function requestedCommand(args: readonly string[]): LazyCommand | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}
