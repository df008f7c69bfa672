import { LpModel, StepTerms } from '../lp.ts';
import type { HorizonProblem } from '../problem.ts';

/**
 * What an asset formulation adds to: the model, the problem, and the bus balance of each step
 * (supply positive: Σ supply terms = fixed consumption in `fixedKw`).
 */
export interface BuildContext {
  m: LpModel;
  p: HorizonProblem;
  balance: StepTerms;
  /** Consumption that no decision changes, kW per step (right-hand side of the balance). */
  fixedKw: Float64Array;
  /** Cost of one kWh bought from the grid at step k once billed (price × taxes, emissions, …). */
  importCostKrwPerKwh: Float64Array;
}
