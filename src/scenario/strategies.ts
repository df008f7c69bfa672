import type { StrategyFactory } from '../sim/strategy-interface.ts';
import { noneStrategy } from '../strategy/none.ts';
import { rulesStrategy } from '../strategy/rules.ts';
import { optimalStrategy } from '../optimize/optimal.ts';
import { oracleStrategy } from '../optimize/oracle.ts';

export type { Strategy, StrategyFactory, StepView, Dispatch } from '../sim/strategy-interface.ts';

/** Built-in strategies by name. Third-party strategies register through `registerStrategy`. */
const registry = new Map<string, StrategyFactory>([
  ['none', () => noneStrategy()],
  ['rules', (d) => rulesStrategy(d)],
  ['optimal', (d) => optimalStrategy(d)],
  ['oracle', (d) => oracleStrategy(d)],
]);

export function registerStrategy(name: string, factory: StrategyFactory): void {
  if (registry.has(name)) throw new Error(`strategy "${name}" is already registered`);
  registry.set(name, factory);
}

export function strategyNames(): string[] {
  return [...registry.keys()];
}

export function getStrategy(name: string): StrategyFactory {
  const f = registry.get(name);
  if (!f) throw new Error(`unknown strategy "${name}" (available: ${strategyNames().join(', ')})`);
  return f;
}
