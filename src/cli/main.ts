// The CLI's entry: commander with every command listed, and only the asked one loaded (commands.ts),
// so `bitgrid --help` starts in a fraction of a second. Errors from any command end here.
import { Command, Help } from 'commander';
import { readFileSync } from 'node:fs';
import { COMMANDS, requestedCommand } from './commands.ts';
import { UsageError } from './errors.ts';

/** Exit codes: 0 ok, 1 failure while running, 2 bad input (arguments or configuration). */
const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

const program = new Command()
  .name('bitgrid')
  .description('Energy management for industrial districts: simulate, optimize and run live.')
  .version(
    (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version,
    '-V, --version',
    'print the version',
  )
  .showHelpAfterError()
  .exitOverride();

const asked = requestedCommand(process.argv.slice(2));
const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
const defaultHelp = new Help();
program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? defaultHelp.subcommandTerm(cmd) });
for (const c of COMMANDS) {
  // The asked command in full; the others by name and summary, enough for help and suggestions.
  program.addCommand(c === asked ? await c.load() : new Command(c.name).description(c.summary));
}

function fail(code: number, message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error & { code?: string; exitCode?: number };
  if (err.code?.startsWith('commander.')) {
    // Commander has printed its own message; help and version exit 0.
    process.exit(
      err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : EXIT_BAD_INPUT,
    );
  }
  // Loaded only on failure: they bring the district schema and the input readers.
  const { ConfigError, formatProblem } = await import('../model/load.ts');
  const { InputError } = await import('../sim/inputs/index.ts');
  if (err instanceof ConfigError) {
    fail(
      EXIT_BAD_INPUT,
      `${err.file}: ${err.problems.length} problem(s)\n${err.problems.map((p) => '  ' + formatProblem(p)).join('\n')}`,
    );
  } else if (err instanceof UsageError || err instanceof RangeError || err instanceof InputError) {
    fail(EXIT_BAD_INPUT, `bitgrid: ${err.message}`);
  } else if (process.env.BITGRID_DEBUG) {
    throw err;
  } else {
    fail(EXIT_FAILURE, `bitgrid: ${err.message} (set BITGRID_DEBUG=1 for the stack trace)`);
  }
}
