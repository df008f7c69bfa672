import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';

/**
 * A fresh SQLite store in a temporary folder for each test of the calling describe block, handed to
 * `use`; closed and removed after the test.
 */
export function sqliteStorePerTest(prefix: string, use: (store: Store) => void): void {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    use(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
}
