import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createProgress, formatDuration } from '../../src/cli/progress.ts';

/** A stream that is not a terminal, keeping what was written. */
function logStream() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, lines };
}

describe('progress off a terminal', () => {
  it('writes one line per quarter with the time taken and the time left', () => {
    const { stream, lines } = logStream();
    let now = 1_000;
    const progress = createProgress(stream, () => now);
    for (let done = 1; done <= 400; done++) {
      now += 1_500; // 1.5 s per interval
      progress.update('optimal', done, 400);
    }
    expect(lines).toEqual([
      // Timed from the first update: 99 intervals in 148.5 s, so 300 more take 450 s.
      'optimal: 100/400 intervals (25 %), 2 min, about 8 min left\n',
      'optimal: 200/400 intervals (50 %), 5 min, about 5 min left\n',
      'optimal: 300/400 intervals (75 %), 7 min, about 3 min left\n',
      'optimal: 400/400 intervals (100 %), 10 min\n',
    ]);
  });

  it('keeps each strategy on its own clock', () => {
    const { stream, lines } = logStream();
    let now = 0;
    const progress = createProgress(stream, () => now);
    progress.update('rules', 1, 2);
    now = 500;
    progress.update('rules', 2, 2);
    now = 60_000;
    progress.update('optimal', 1, 4);
    now = 90_000;
    progress.update('optimal', 2, 4);
    expect(lines).toEqual([
      // Nothing timed yet at the first update: no pace to tell.
      'rules: 1/2 intervals (50 %)\n',
      'rules: 2/2 intervals (100 %), 500 ms\n',
      'optimal: 1/4 intervals (25 %)\n',
      'optimal: 2/4 intervals (50 %), 30 s, about 60 s left\n',
    ]);
  });
});

describe('formatDuration', () => {
  it('reads at the scale of the wait', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(80 * 60_000)).toBe('80 min');
    expect(formatDuration(125 * 60_000)).toBe('2 h 5 min');
  });
});
