// Worker thread entry for the planner (worker.ts). Workers do not inherit the parent's tsx loader,
// so this plain module registers tsx and then loads the TypeScript job, which runs the same
// solveHorizon as the simulator.
import { register } from 'tsx/esm/api';

register();
await import('./planner-job.ts');
