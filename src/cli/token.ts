import { Command, InvalidArgumentError, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { tokenNameSchema } from '../server/routes/tokens.ts';
import { openStore, TOKEN_ROLES, type Store, type TokenRecord, type TokenRole } from '../store/index.ts';

// `bitgrid token create|list|revoke`: API tokens for `bitgrid serve`, straight in the store. The token
// string is printed once, on stdout alone (so `TOKEN=$(bitgrid token create …)` works); the store
// keeps only its SHA-256. Each change is audited with actor `system` and `via: cli`.

interface StoreOpts {
  db?: string;
  scenario: string;
}

function storeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db <url>',
      'store: sqlite:PATH or postgres://… (default: BITGRID_DATABASE_URL, else .bitgrid/bitgrid.db beside the scenario)',
    )
    .option(
      '--scenario <file>',
      'district file whose folder holds the default database',
      REFERENCE_SCENARIO_FILE,
    );
}

async function withStore<T>(opts: StoreOpts, fn: (store: Store) => Promise<T>): Promise<T> {
  const url = opts.db ?? process.env.BITGRID_DATABASE_URL;
  const store = await openStore(url, { baseDir: dirname(resolve(opts.scenario)) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function tokenName(v: string): string {
  const r = tokenNameSchema.safeParse(v);
  if (!r.success) throw new InvalidArgumentError(`--name ${r.error.issues[0]?.message ?? 'is not valid'}`);
  return r.data;
}

const iso = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');

function table(rows: TokenRecord[]): string {
  const head = ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'];
  const body = rows.map((t) => [t.id, t.name, t.role, iso(t.createdMs), iso(t.lastUsedMs), iso(t.revokedMs)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return (
    [head, ...body]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function tokenCommand(): Command {
  // Errors are thrown to main.ts (exit code 2 for bad arguments) rather than exiting here; subcommands
  // made with .command() inherit this.
  const token = new Command('token')
    .description('Manage API tokens for `bitgrid serve` (roles: viewer < operator < admin).')
    .showHelpAfterError()
    .exitOverride();

  storeOptions(
    token
      .command('create')
      .description('Create a token and print it once; only its hash is stored.')
      .addOption(
        new Option('--role <role>', 'what the token may do')
          .choices(TOKEN_ROLES as string[])
          .makeOptionMandatory(),
      )
      .option('--name <name>', 'a label to recognise it by (default: cli-<role>)', tokenName),
  ).action(async (opts: StoreOpts & { role: TokenRole; name?: string }) => {
    await withStore(opts, async (store) => {
      const now = Date.now();
      const created = await store.createToken({
        name: opts.name ?? `cli-${opts.role}`,
        role: opts.role,
        createdMs: now,
      });
      await store.appendAudit({
        timeMs: now,
        actor: 'system',
        role: 'system',
        action: 'token.create',
        target: `token:${created.record.id}`,
        details: { via: 'cli', name: created.record.name, role: created.record.role },
        outcome: 'ok',
      });
      process.stdout.write(created.token + '\n');
      process.stderr.write(
        `created token ${created.record.id} (${created.record.name}, ${created.record.role}); it is not shown again\n`,
      );
    });
  });

  storeOptions(token.command('list').description('List tokens (ids, names, roles, use; never the secrets).'))
    .option('--json', 'one JSON document instead of the table')
    .action(async (opts: StoreOpts & { json?: boolean }) => {
      await withStore(opts, async (store) => {
        const rows = await store.listTokens();
        process.stdout.write(opts.json ? JSON.stringify(rows) + '\n' : table(rows));
      });
    });

  storeOptions(
    token
      .command('revoke')
      .description('Revoke a token: it stops working at once.')
      .argument('<id>', 'token id (from `bitgrid token list`)'),
  ).action(async (id: string, opts: StoreOpts) => {
    await withStore(opts, async (store) => {
      const now = Date.now();
      const rec = await store.revokeToken(id, now);
      await store.appendAudit({
        timeMs: now,
        actor: 'system',
        role: 'system',
        action: 'token.revoke',
        target: `token:${rec.id}`,
        details: { via: 'cli' },
        outcome: 'ok',
      });
      process.stderr.write(`revoked token ${rec.id} (${rec.name}, ${rec.role})\n`);
    });
  });

  return token;
}
