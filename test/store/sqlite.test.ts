import { storeContract } from './contract.ts';
import { sqliteHarness } from './harness.ts';

storeContract('SQLite', sqliteHarness);
