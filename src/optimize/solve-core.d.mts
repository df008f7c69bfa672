import type { SolveInput, SolveResult } from './highs.ts';
export function runSolve(
  highs: unknown,
  input: SolveInput,
  options: { timeLimitS: number; mipRelGap: number; log: boolean },
): SolveResult;
