import { describe, expect, it } from 'vitest';
import { Backoff, BACKOFF_JITTER_FRACTION } from '../../src/drivers/backoff.ts';

describe('Backoff', () => {
  it('doubles from the first delay to the maximum, and starts again after a reset', () => {
    const b = new Backoff(1_000, 60_000, () => 0.5); // 0.5: no spread
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next())).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(b.attempts).toBe(8);
    b.reset();
    expect(b.next()).toBe(1_000);
  });

  it('spreads each delay by the jitter fraction, never outside the configured bounds', () => {
    const low = new Backoff(1_000, 60_000, () => 0);
    const high = new Backoff(1_000, 60_000, () => 0.999_999);
    low.next();
    high.next();
    // Second attempt: 2 s ± 25 %.
    expect(low.next()).toBe(2_000 * (1 - BACKOFF_JITTER_FRACTION));
    expect(high.next()).toBe(Math.round(2_000 * (1 + BACKOFF_JITTER_FRACTION * 0.999_998)));
    // The first delay is never shortened below the minimum, the last never above the maximum.
    expect(new Backoff(1_000, 60_000, () => 0).next()).toBe(1_000);
    const capped = new Backoff(1_000, 60_000, () => 0.999_999);
    for (let i = 0; i < 20; i++) expect(capped.next()).toBeLessThanOrEqual(60_000);
    // At the cap the delays still differ between devices: they do not all retry in the same instant.
    const a = new Backoff(1_000, 60_000, () => 0.1);
    const c = new Backoff(1_000, 60_000, () => 0.9);
    for (let i = 0; i < 10; i++) {
      a.next();
      c.next();
    }
    expect(a.next()).not.toBe(c.next());
  });

  it('many devices failing together retry at spread-out times', () => {
    const delays = Array.from({ length: 200 }, () => {
      const b = new Backoff(1_000, 60_000);
      b.next();
      b.next();
      return b.next(); // third attempt: 4 s ± 25 %
    });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(3_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('refuses bounds that cannot work', () => {
    expect(() => new Backoff(0, 1_000)).toThrow(/minimum/);
    expect(() => new Backoff(2_000, 1_000)).toThrow(/maximum/);
  });
});
