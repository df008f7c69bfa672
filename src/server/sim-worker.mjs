// Worker thread entry for API simulations. Workers do not inherit the parent's tsx loader, so this
// plain module registers tsx and then loads the TypeScript job (sim-job.ts).
import { register } from 'tsx/esm/api';

register();
await import('./sim-job.ts');
