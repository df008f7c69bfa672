import cliProgress from 'cli-progress';

export interface Progress {
  update(label: string, done: number, total: number): void;
  stop(): void;
}

/**
 * A bar on stderr when it is a terminal; otherwise a line at each quarter, so logs of CI and
 * services still show that long work moves without filling them with redraws.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
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
  const lastQuarter = new Map<string, number>();
  return {
    update(label, done, total) {
      const q = Math.floor((4 * done) / total);
      if (q > (lastQuarter.get(label) ?? 0)) {
        lastQuarter.set(label, q);
        stream.write(`${label}: ${done}/${total} intervals (${q * 25} %)\n`);
      }
    },
    stop() {},
  };
}
