import type { LpBasis, MipStart, SolveInput, SolveResult } from './highs.ts';
export function runSolve(
  highs: unknown,
  input: SolveInput,
  options: {
    timeLimitS: number;
    mipRelGap: number;
    log: boolean;
    start?: MipStart;
    relaxBranch?: boolean;
    mipAbsGap?: number;
    handoverTimeLimitS?: number;
    nodeLimitGap?: number;
    basis?: LpBasis;
  },
): SolveResult;
export function errorResult(message: string, solveMs: number, log?: string[]): SolveResult;
