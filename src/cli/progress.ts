import cliProgress from 'cli-progress';

export interface Progress {
  update(label: string, done: number, total: number): void;
  stop(): void;
}

/**
 * A bar on stderr when it is a terminal; otherwise a line at each quarter with the time taken and an
 * estimate of the time left, so logs of CI and services still show that long work moves (a year of
 * `optimal` takes an hour) without filling them with redraws. `nowMs`: the clock (tests pass their own).
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  nowMs: () => number = () => performance.now(),
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: '{label} [{bar}] {percentage}% | {value}/{total} intervals | {eta_formatted} left',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let current = '';
    return {
      update(label, done, total) {
        if (label !== current) {
          if (current) bar.stop();
          current = label;
          bar.start(total, done, { label: label.padEnd(8) });
        } else bar.update(done, { label: label.padEnd(8) });
      },
      stop() {
        if (current) bar.stop();
      },
    };
  }
  const seen = new Map<string, { quarter: number; startMs: number; startDone: number }>();
  return {
    update(label, done, total) {
      let s = seen.get(label);
      if (!s) seen.set(label, (s = { quarter: 0, startMs: nowMs(), startDone: done }));
      const q = Math.floor((4 * done) / total);
      if (q > s.quarter) {
        s.quarter = q;
        // Timed from the first update: the pace of the intervals done since.
        const elapsedMs = nowMs() - s.startMs;
        const timed = done - s.startDone;
        let line = `${label}: ${done}/${total} intervals (${q * 25} %)`;
        if (timed > 0) {
          line += `, ${formatDuration(elapsedMs)}`;
          if (done < total) line += `, about ${formatDuration((elapsedMs * (total - done)) / timed)} left`;
        }
        stream.write(line + '\n');
      }
    },
    stop() {},
  };
}

/** "850 ms", "42 s", "12 min", "1 h 20 min": the scale a person reads a wait on. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
