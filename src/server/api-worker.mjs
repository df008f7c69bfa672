// Worker thread entry for the HTTP API (api-host.ts). Workers do not inherit the parent's tsx loader,
// so this plain module registers tsx and then loads the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./api-worker-main.ts');
