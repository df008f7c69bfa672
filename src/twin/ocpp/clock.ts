// Clocks for the protocol twins: real time, a manual clock that tests move by hand, and a
// compressed clock (N simulated seconds per real second) for benchmarks.

export interface TwinClock {
  /** UTC epoch ms. */
  now(): number;
}

export const systemClock: TwinClock = { now: () => Date.now() };

export class ManualClock implements TwinClock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

export class ScaledClock implements TwinClock {
  private readonly realStart = performance.now();
  constructor(
    private readonly startMs: number,
    /** Simulated ms per real ms. */
    readonly speed: number,
  ) {}
  now(): number {
    return this.startMs + Math.round((performance.now() - this.realStart) * this.speed);
  }
}
