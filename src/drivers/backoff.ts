// Retry delays for drivers that lose their device or server: doubling from a first delay up to a
// maximum, each spread at random so that many devices that dropped together (a switch rebooting, a
// broker restarting) do not all come back in the same instant and do it again.

/**
 * Spread of each delay around its doubling value: ±25 %. Enough to spread a few hundred devices that
 * failed in the same second across a quarter of the delay, little enough that the operator's
 * reconnect_min_ms / reconnect_max_ms still say how fast a driver retries.
 */
export const BACKOFF_JITTER_FRACTION = 0.25;

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
    private readonly jitterFraction = BACKOFF_JITTER_FRACTION,
  ) {
    if (!(minMs > 0) || !(maxMs >= minMs))
      throw new RangeError(`backoff needs 0 < minimum (${minMs} ms) ≤ maximum (${maxMs} ms)`);
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, ms, within [minMs, maxMs]; counts the attempt. */
  next(): number {
    // 2^attempt, without overflow once the maximum is reached.
    const doubled = this.minMs * 2 ** Math.min(this.attempt, 52);
    this.attempt++;
    const base = Math.min(this.maxMs, doubled);
    const spread = 1 + this.jitterFraction * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, base * spread)));
  }

  /** After a success: the next failure starts again from the first delay. */
  reset(): void {
    this.attempt = 0;
  }
}
