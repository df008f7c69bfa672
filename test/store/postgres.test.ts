import { describe, it } from 'vitest';
import { storeContract } from './contract.ts';
import { PG_URL, postgresHarness } from './harness.ts';

// Runs when BITGRID_TEST_PG_URL names a PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test);
// every test gets its own schema, dropped afterwards.
if (PG_URL) storeContract('PostgreSQL', postgresHarness);
else
  describe.skip('store contract: PostgreSQL (set BITGRID_TEST_PG_URL to run)', () =>
    it('skipped', () => undefined));
