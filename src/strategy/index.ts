import type { StrategyFactory } from './types.ts';
import { noneStrategy } from './none.ts';
import { rulesStrategy } from './rules.ts';
import { optimalStrategy } from './optimal.ts';
import { oracleStrategy } from './oracle.ts';

export type { Strategy, StrategyFactory, StepView, Dispatch } from './types.ts';

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
