// Worker thread entry for a challenge-set run started from the API (runs.ts). Workers do not
// inherit the parent's tsx loader, so this plain module registers tsx and then loads the job.
import { register } from 'tsx/esm/api';

register();
await import('./run-job.ts');
