import type { LiveHealth, LiveSystem } from '../control/types.ts';

// What /api/health says about the live system beyond "the process answers": the store may answer
// reads while refusing writes (a full disk: telemetry is being lost), and the control loop may be
// missing its cycles while the API still answers. Both make the server `degraded` (503), so a probe
// or a monitoring system sees it. The loop's counters are cumulative since start; what matters to
// a probe is whether cycles are being missed now, so the watch samples them and judges a window.

/**
 * A loop whose last cycle ended more than this many periods ago has stopped deciding: assets are
 * heading for safe mode (stale telemetry) or already in it. Three periods ride out one slow cycle
 * and the late start of the next.
 */
export const LOOP_STALL_PERIODS = 3;
/**
 * A late or failed cycle makes the server degraded for this long, wall ms: long enough that a probe
 * every 30–60 s (typical for load balancers and Prometheus alerting) sees it, short enough that one
 * bad minute does not page anyone an hour later.
 */
export const LOOP_TROUBLE_WINDOW_MS = 5 * 60_000;
/** How often the counters are sampled for that window, wall ms (cheap: one call on the live system). */
export const LOOP_SAMPLE_EVERY_MS = 5_000;

interface Sample {
  wallMs: number;
  late: number;
  failed: number;
}

export interface LoopAssessment {
  /** The live system's own report, when it gives one. */
  health?: LiveHealth;
  /** Why the server is degraded; empty when it is not (as far as the live system says). */
  problems: string[];
}

export class LoopWatch {
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly live: LiveSystem,
    private readonly startedWallMs: number,
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** Samples every LOOP_SAMPLE_EVERY_MS until stop(); the timer never keeps the process alive. */
  start(): void {
    if (this.timer || !this.live.health) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), LOOP_SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private read(): LiveHealth | undefined {
    return this.live.health?.();
  }

  /** Records the counters now; returns the report it read. */
  sample(h: LiveHealth | undefined = this.read()): LiveHealth | undefined {
    if (!h) return undefined;
    const wallMs = this.wallNow();
    this.samples.push({ wallMs, late: h.cyclesLate, failed: h.cyclesFailed });
    // Keep one sample at or before the window's start, so the window's count is complete.
    while (this.samples.length > 2 && this.samples[1].wallMs <= wallMs - LOOP_TROUBLE_WINDOW_MS)
      this.samples.shift();
    return h;
  }

  assess(): LoopAssessment {
    let h: LiveHealth | undefined;
    try {
      h = this.sample();
    } catch (e) {
      return { problems: [`the live system cannot report its health: ${(e as Error).message}`] };
    }
    if (!h) return { problems: [] };
    const problems: string[] = [];
    const wallMs = this.wallNow();
    if (!h.store.ok)
      problems.push(
        `the store refuses writes${h.store.lastError ? ` (${h.store.lastError})` : ''}: ` +
          `${h.store.bufferedPoints} telemetry points buffered, ${h.store.droppedPoints} dropped`,
      );
    const stallMs = LOOP_STALL_PERIODS * h.cyclePeriodWallMs;
    if (h.lastCycleEndWallMs !== undefined) {
      const sinceS = (wallMs - h.lastCycleEndWallMs) / 1000;
      if (wallMs - h.lastCycleEndWallMs > stallMs)
        problems.push(
          `no control cycle has ended for ${sinceS.toFixed(1)} s (period ${h.cyclePeriodWallMs / 1000} s)`,
        );
    } else if (wallMs - this.startedWallMs > stallMs) problems.push('no control cycle has run yet');
    const first = this.samples[0];
    if (first) {
      const late = h.cyclesLate - first.late;
      const failed = h.cyclesFailed - first.failed;
      if (late > 0 || failed > 0)
        problems.push(
          `${late} control cycles late and ${failed} failed in the last ${LOOP_TROUBLE_WINDOW_MS / 60_000} min`,
        );
    }
    return { health: h, problems };
  }
}
