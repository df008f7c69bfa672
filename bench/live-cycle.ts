import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile } from '../src/model/index.ts';
import { openStore } from '../src/store/index.ts';
import { ControlLoop } from '../src/control/loop.ts';
import { LiveController } from '../src/live/controller.ts';
import { shutdownPlannerWorker, solveHorizonInWorker, warmPlannerWorker } from '../src/optimize/worker.ts';
import { TestPlant } from '../test/live/plant.ts';

// The live control cycle of the reference district (read, demand, watchdog, the state built from
// telemetry, the strategy's decision, guards, write, store) on a metered plant, timed while the
// planner worker re-plans the district MILP and while nothing re-plans: a re-plan must not stretch
// a cycle.

const CYCLES = 60;
const MIN = 60_000;
/** Planner budget: generous, the bench times cycles, not solves. */
const BUDGET_MS = 120_000;
/** Real ms between cycles while a re-plan runs, so several cycles fall inside one solve. */
const CYCLE_GAP_MS = 20;

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export async function benchLiveCycle() {
  const loaded = loadScenarioFile();
  const { scenario } = loaded;
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-bench-cycle-'));
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
  let t = Date.parse('2026-08-04T09:00:00+09:00');
  const plant = new TestPlant(scenario, () => t);
  plant.loadKw.set('factory-load', 4200);
  plant.loadKw.set('campus-load', 1800);
  for (const id of plant.pvKw.keys()) plant.pvKw.set(id, 900);
  const time = async (strategy: string, whileSolving: boolean) => {
    const controller = new LiveController({
      scenario,
      baseDir: loaded.baseDir,
      strategy,
      store,
      now: () => t,
      solver: (p, budgetMs, signal) => solveHorizonInWorker(p, { budgetMs }, signal),
      solveBudgetMs: BUDGET_MS,
      // Every cycle asks for a new plan: there is always one solving when the previous has ended.
      replanEveryMs: MIN,
    });
    const loop = new ControlLoop({
      scenario,
      drivers: [plant],
      store,
      dispatcher: controller,
      now: () => t,
      staleAfterMs: 10 * MIN,
    });
    await loop.restore();
    const ms: number[] = [];
    let solvingCycles = 0;
    for (let k = 0; k < CYCLES; k++) {
      t += MIN;
      const t0 = performance.now();
      await loop.cycle();
      ms.push(performance.now() - t0);
      if (controller.status().solving) solvingCycles++;
      await new Promise((r) => setTimeout(r, CYCLE_GAP_MS));
    }
    while (whileSolving && controller.status().solving) await new Promise((r) => setTimeout(r, 20));
    controller.stop();
    return { ms, solvingCycles, solves: controller.status().counters.solves };
  };
  await warmPlannerWorker(BUDGET_MS);
  const plain = await time('rules', false);
  const solving = await time('optimal', true);
  await shutdownPlannerWorker();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    'cycles (each)': CYCLES,
    'rules cycle p50 ms': percentile(plain.ms, 0.5),
    'rules cycle p99 ms': percentile(plain.ms, 0.99),
    'optimal cycles while solving': solving.solvingCycles,
    'optimal re-plans done': solving.solves,
    'optimal cycle p50 ms': percentile(solving.ms, 0.5),
    'optimal cycle p99 ms': percentile(solving.ms, 0.99),
    'optimal cycle max ms': Math.max(...solving.ms),
    'p99 optimal / rules': percentile(solving.ms, 0.99) / percentile(plain.ms, 0.99),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await benchLiveCycle();
  for (const [k, v] of Object.entries(out))
    process.stdout.write(`  ${k.padEnd(30)} ${typeof v === 'number' ? v.toFixed(2) : v}\n`);
}
