import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import type { AssetOf } from '../../src/model/schema.ts';
import { datacenterLayout } from '../../src/sim/assets/datacenter.ts';
import {
  InputError,
  readBusBlocks,
  readJobTrace,
  readProfileCsv,
  readSessionLog,
} from '../../src/sim/inputs/index.ts';

// The measured-input readers `export` writes for and `simulate` reads: resampling rules, oddities
// reported (kind, what was done, lines), bad rows refused with file and line.

const ZONE_OFFSET = '+09:00';
/** 2026-08-03 00:00 +09:00, 15-minute grid over four hours. */
const grid = { startMs: Date.parse(`2026-08-03T00:00:00${ZONE_OFFSET}`), intervalMinutes: 15, count: 16 };
const at = (hhmm: string) => `2026-08-03T${hhmm}:00${ZONE_OFFSET}`;
const assets = loadScenarioFile().scenario.sites.flatMap((s) => s.assets);
const ev = assets.find((a) => a.type === 'ev_chargers') as AssetOf<'ev_chargers'>;
const dc = assets.find((a) => a.type === 'datacenter') as AssetOf<'datacenter'>;
const depot = assets.find((a) => a.type === 'bus_depot') as AssetOf<'bus_depot'>;

function refused(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('profile CSV', () => {
  it('averages finer readings, holds coarser ones and interpolates a gap, reporting what it did', () => {
    const text = [
      'timestamp,power_kw',
      // Five-minute readings in the first interval: mean 20.
      `${at('00:00')},10`,
      `${at('00:05')},20`,
      `${at('00:10')},30`,
      // Hourly from 01:00: each holds for its hour.
      `${at('01:00')},100`,
      `${at('02:00')},200`,
      // A duplicate (the later row wins) and a negative reading (0 kW).
      `${at('02:00')},220`,
      // Then nothing until 05:00 (a 3-hour gap, over the hold limit): interpolated from 220 to 0.
      `${at('05:00')},-5`,
    ].join('\n');
    const r = readProfileCsv(text, 'load.csv', grid);
    expect(r.kw[0]).toBe(20);
    // 00:15–00:45 lie between 00:10 and 01:00 (50 min apart): the 00:10 reading holds.
    expect(r.kw[1]).toBe(30);
    expect([r.kw[4], r.kw[5], r.kw[6], r.kw[7]]).toEqual([100, 100, 100, 100]);
    expect(r.kw[8]).toBe(220);
    // 02:15 is 1/12 of the way from 02:00 to 05:00.
    expect(r.kw[9]).toBeCloseTo(220 - 220 / 12, 9);
    const kinds = Object.fromEntries(r.report.issues.map((i) => [i.kind, i]));
    expect(kinds['duplicate-time'].examples).toEqual(['line 7']);
    expect(kinds['negative-power'].examples[0]).toMatch(/^line 8/);
    expect(kinds['gap-interpolated'].count).toBe(7);
    expect(kinds['gap-interpolated'].examples[0]).toBe('lines 7–8');
  });

  it('refuses a time without offset, a value that is not a number and a file with no reading in the run', () => {
    expect(
      refused(() => readProfileCsv('timestamp,power_kw\n2026-08-03T00:00:00,1\n', 'a.csv', grid)).message,
    ).toMatch(/^a\.csv:2: timestamp: "2026-08-03T00:00:00" is not an ISO 8601 time with an offset/);
    expect(
      refused(() => readProfileCsv(`timestamp,power_kw\n${at('00:00')},12 kW\n`, 'b.csv', grid)).message,
    ).toBe('b.csv:2: power_kw: "12 kW" is not a number');
    expect(refused(() => readProfileCsv('time,kw\n', 'c.csv', grid)).message).toMatch(
      /^c\.csv:1: no column "timestamp"/,
    );
    expect(
      refused(() => readProfileCsv('timestamp,power_kw\n2020-01-01T00:00:00+09:00,1\n', 'd.csv', grid))
        .message,
    ).toBe('d.csv: no reading inside the simulated period');
  });
});

describe('session log', () => {
  it('places sessions on free chargers on the interval grid and reports what it changed', () => {
    const text = [
      'session_id,charger,connector,arrival,departure,energy_kwh,max_power_kw',
      `a,cp1,1,${at('00:07')},${at('02:50')},15,7`,
      `b,cp1,2,${at('01:00')},${at('01:10')},5,`,
      `c,cp9,1,${at('00:30')},${at('01:30')},500,`,
      `d,cp2,1,2026-07-01T00:00:00+09:00,2026-07-01T03:00:00+09:00,5,`,
    ].join('\n');
    const r = readSessionLog(text, 'sessions.csv', ev, grid);
    const a = r.sessions.find((s) => s.id.includes('#a@'))!;
    // Arrival rounded up, departure down, to the 15-minute grid.
    expect(new Date(a.arrivalMs).toISOString()).toBe('2026-08-02T15:15:00.000Z');
    expect(new Date(a.departureMs).toISOString()).toBe('2026-08-02T17:45:00.000Z');
    expect(a.maxPowerKw).toBe(7);
    expect(a.id).toBe(`${ev.id}#a@cp1/1`);
    const kinds = Object.fromEntries(r.report.issues.map((i) => [i.kind, i]));
    // b: 01:00–01:10 rounds to nothing.
    expect(kinds['too-short'].examples).toEqual(['line 3']);
    expect(r.turnedAway).toBe(1);
    // c: 500 kWh in an hour is more than any charger gives.
    expect(kinds['energy-capped'].examples[0]).toBe('line 4: 500 kWh');
    expect(kinds['outside-run'].count).toBe(1);
    expect(r.sessions).toHaveLength(2);
  });

  it('refuses a departure before arrival and a missing energy, with file and line', () => {
    const head = 'session_id,charger,arrival,departure,energy_kwh\n';
    expect(
      refused(() => readSessionLog(`${head}x,cp,${at('02:00')},${at('01:00')},3\n`, 's.csv', ev, grid))
        .message,
    ).toBe('s.csv:2: departure is not after arrival');
    expect(
      refused(() => readSessionLog(`${head}x,cp,${at('01:00')},${at('02:00')},\n`, 's.csv', ev, grid))
        .message,
    ).toBe('s.csv:2: energy_kwh: a number ≥ 0 is needed');
  });
});

describe('job trace', () => {
  const layout = datacenterLayout(dc);
  it('reads GPU-hours or duration, rounds submission up and fills a missing deadline (reported)', () => {
    const text = [
      'job_id,submit,gpus,gpu_hours,duration_hours,deadline,priority',
      `j1,${at('00:05')},8,16,,${at('03:00')},1`,
      `j2,${at('01:00')},4,,2,,0`,
    ].join('\n');
    const r = readJobTrace(text, 'jobs.csv', dc, layout, grid);
    expect(r.jobs.map((j) => [j.id, j.gpus, j.gpuHours])).toEqual([
      [`${dc.id}/j1`, 8, 16],
      [`${dc.id}/j2`, 4, 8],
    ]);
    expect(new Date(r.jobs[0].submitMs).toISOString()).toBe('2026-08-02T15:15:00.000Z');
    // j2: deadline = submit + 2 h × deadline_slack_max.
    expect(r.jobs[1].deadlineMs - r.jobs[1].submitMs).toBe(2 * dc.training.deadline_slack_max * 3_600_000);
    expect(r.report.issues.map((i) => i.kind)).toEqual(['no-deadline']);
  });

  it('refuses a job larger than the training pool, with file and line', () => {
    const text = `job_id,submit,gpus,gpu_hours\nbig,${at('00:00')},${layout.trainingGpus + 1},10\n`;
    expect(refused(() => readJobTrace(text, 'jobs.csv', dc, layout, grid)).message).toBe(
      `jobs.csv:2: gpus: ${layout.trainingGpus + 1} GPUs, more than the ${layout.trainingGpus} training GPUs of ${dc.id}`,
    );
  });
});

describe('bus blocks', () => {
  /** Two local days from 2026-08-03 (a Monday). */
  const days = { startMs: grid.startMs, intervalMinutes: 15, count: 192 };
  const day2 = (hhmm: string) => `2026-08-04T${hhmm}:00${ZONE_OFFSET}`;
  it('numbers buses by first appearance, rounds to the interval and marks the pull-out of each day', () => {
    const text = [
      'bus,block_id,pull_out,pull_in,km,energy_kwh',
      `bus-7,b1,${at('06:07')},${at('10:00')},100,`,
      `bus-7,b2,${at('11:00')},${at('15:00')},80,`,
      `bus-9,b3,${at('07:00')},${at('12:00')},,150`,
      `bus-7,b4,${day2('06:00')},${day2('09:00')},60,`,
    ].join('\n');
    const r = readBusBlocks(text, 'blocks.csv', depot, days, 'Asia/Seoul');
    const [a, b] = r.plan.blocksByBus;
    expect(a.map((x) => [new Date(x.startMs).toISOString(), x.isPullOut, x.energyKwh])).toEqual([
      ['2026-08-02T21:00:00.000Z', true, 100 * depot.consumption_kwh_per_km],
      ['2026-08-03T02:00:00.000Z', false, 80 * depot.consumption_kwh_per_km],
      ['2026-08-03T21:00:00.000Z', true, 60 * depot.consumption_kwh_per_km],
    ]);
    expect(b.map((x) => x.energyKwh)).toEqual([150]);
    expect(r.report.result).toBe('4 blocks on 2 buses');
    expect(r.report.issues.map((i) => [i.kind, i.examples])).toEqual([['rounded', ['line 2']]]);
  });

  it('refuses overlapping blocks of one bus and more buses than the depot has, with file and line', () => {
    const head = 'bus,pull_out,pull_in,km\n';
    const overlap = `${head}x,${at('06:00')},${at('10:00')},50\nx,${at('09:00')},${at('12:00')},50\n`;
    expect(refused(() => readBusBlocks(overlap, 'b.csv', depot, days, 'Asia/Seoul')).message).toBe(
      'b.csv:3: this block of bus 1 overlaps its previous one',
    );
    const many =
      head +
      Array.from({ length: depot.buses + 1 }, (_, i) => `bus${i},${at('06:00')},${at('07:00')},10`).join(
        '\n',
      );
    expect(refused(() => readBusBlocks(many, 'b.csv', depot, days, 'Asia/Seoul')).message).toBe(
      `b.csv:${depot.buses + 2}: bus "bus${depot.buses}" is one more than the ${depot.buses} buses of ${depot.id}`,
    );
  });
});
