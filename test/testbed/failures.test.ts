import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, oneDay, rulesCostKrw, runController } from './helpers.ts';

// Controllers that misbehave are stopped within their limits, scored as failed with the reason, and
// the run finishes: rules decide every interval after the failure, so a controller that fails at
// its first decision costs exactly what rules cost.

const limits = { decisionTimeoutMs: 1_500, memoryMb: 32 };

describe('a misbehaving controller never breaks the run', () => {
  const rulesKrw = rulesCostKrw(oneDay());
  const intervals = oneDay().grid.count;

  it('one that loops forever is stopped at its decision timeout', async () => {
    const r = await runController(join(FIXTURES, 'loops.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'timeout', decision: 0 });
    expect(r.stats.failure!.message).toMatch(/no answer within 1500 ms/);
    expect(r.result.series.importKw.length).toBe(intervals);
    expect(r.stats.failedDecisions).toBe(intervals);
    expect(r.kpis.totalCostKrw).toBeCloseTo(rulesKrw, 0);
  });

  it('one that throws is stopped at the decision that threw, with its message', async () => {
    const r = await runController(join(FIXTURES, 'throws.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'threw', decision: 2 });
    expect(r.stats.failure!.message).toMatch(/controller bug: index out of range/);
    expect(r.stats.answered).toBe(2);
    expect(r.stats.failedDecisions).toBe(intervals - 2);
  });

  it('one that floods memory runs out of its heap, not the process’s', async () => {
    // The timeout is longer than it takes to fill 32 MB, so the heap limit is what stops it.
    const r = await runController(join(FIXTURES, 'floods.mjs'), { decisionTimeoutMs: 8_000, memoryMb: 32 });
    expect(r.stats.failure).toMatchObject({ reason: 'out-of-memory', decision: 0 });
    expect(r.stats.failure!.message).toMatch(/32 MB/);
    expect(r.kpis.totalCostKrw).toBeCloseTo(rulesKrw, 0);
    // This process is untouched: far below what the controller tried to allocate.
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  });

  it('one that answers NaN is an invalid answer, pointing at the value', async () => {
    const r = await runController(join(FIXTURES, 'nan.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'invalid-answer', decision: 0 });
    expect(r.stats.failure!.message).toMatch(/not finite at \/batteryKw\/shared-battery/);
    expect(r.kpis.totalCostKrw).toBeCloseTo(rulesKrw, 0);
  });

  it('one that answers the wrong shape is an invalid answer, with the schema problem', async () => {
    const r = await runController(join(FIXTURES, 'wrong-shape.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'invalid-answer' });
    expect(r.stats.failure!.message).toMatch(/\/batteryKw must be object/);
  });

  it('one whose decisions use up the run budget is stopped when it runs out', async () => {
    const r = await runController(join(FIXTURES, 'loops.mjs'), {
      decisionTimeoutMs: 5_000,
      runBudgetMs: 300,
    });
    expect(r.stats.failure).toMatchObject({ reason: 'run-budget', decision: 0 });
  });

  it('a module without decide() fails to load, with the reason', async () => {
    const r = await runController(join(FIXTURES, 'no-decide.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'load-failed' });
    expect(r.stats.failure!.message).toMatch(/exports no decide/);
    expect(r.stats.failure!.decision).toBeUndefined();
  });

  it('one that tries to kill the process cannot, and is stopped for throwing', async () => {
    const r = await runController(join(FIXTURES, 'kills.mjs'), limits);
    expect(r.stats.failure).toMatchObject({ reason: 'threw', decision: 0 });
    expect(r.stats.failure!.message).toMatch(/process\.kill is not available to a controller/);
  });

  it('runs without the caller’s environment variables', async () => {
    process.env.BITGRID_TEST_SECRET = 'must-not-leak';
    const r = await runController(join(FIXTURES, 'env.mjs'), limits);
    expect(r.stats.failure!.message).toBe('Error: env keys: 0');
  });
});
