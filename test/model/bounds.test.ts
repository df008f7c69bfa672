import { describe, expect, it } from 'vitest';
import { MAX_CHARGERS_PER_ASSET, MAX_CONNECTION_KW } from '../../src/model/index.ts';
import { problemsOf, reference } from './helpers.ts';

// Absurd sizes in a district file are refused at validation with their path and line, so that no
// run is ever built from them; the same for min/max pairs the wrong way round and for YAML problems
// the parser only finds when it builds the data (aliases).

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('district file bounds', () => {
  it('refuses absurd counts and sizes, each with its path and line', () => {
    const bad = reference
      .replace('{ kind: dc, count: 8,', '{ kind: dc, count: 100000000,')
      .replace('peak_kw: 3200', 'peak_kw: 1e12')
      .replace('capacity_kwh: 12000', 'capacity_kwh: 5e9')
      .replace('buses: 60', 'buses: 1000000')
      .replace('nodes: 512', 'nodes: 1e9')
      .replace('capacity_kwp: 3000', 'capacity_kwp: 1e10')
      .replace('weekday_sessions: 120', 'weekday_sessions: 1e9');
    const problems = problemsOf(bad);
    const at = (path: string) => problems.find((p) => p.path === path);
    const expected: [string, string][] = [
      ['sites[3].assets[1].chargers[1].count', 'count: 100000000'],
      ['sites[1].assets[0].peak_kw', 'peak_kw: 1e12'],
      ['sites[1].assets[2].capacity_kwh', 'capacity_kwh: 5e9'],
      ['sites[2].assets[0].buses', 'buses: 1000000'],
      ['sites[0].assets[0].nodes', 'nodes: 1e9'],
      ['sites[1].assets[1].capacity_kwp', 'capacity_kwp: 1e10'],
      ['sites[3].assets[1].sessions.weekday_sessions', 'weekday_sessions: 1e9'],
    ];
    for (const [path, text] of expected) {
      expect(at(path), path).toBeDefined();
      expect(at(path)!.line, path).toBe(lineOf(bad, text));
    }
    expect(at('sites[1].assets[0].peak_kw')!.message).toContain(String(MAX_CONNECTION_KW));
    expect(at('sites[3].assets[1].chargers')!.message).toContain(`at most ${MAX_CHARGERS_PER_ASSET}`);
  });

  it('refuses min/max pairs the wrong way round', () => {
    const bad = reference
      .replace('energy_kwh_min: 10', 'energy_kwh_min: 50')
      .replace('short_stay_hours_min: 1', 'short_stay_hours_min: 4')
      .replace('short_stay_arrival_hours: [9, 16]', 'short_stay_arrival_hours: [16, 9]')
      .replace('job_hours_min: 3', 'job_hours_min: 30')
      .replace('deadline_slack_min: 1.5', 'deadline_slack_min: 5')
      .replace('weekday_hours: [6, 22]', 'weekday_hours: [22, 6]')
      .replace('first_pull_out_hour: 5.5', 'first_pull_out_hour: 23.9')
      .replace('pue_cold: 1.15', 'pue_cold: 1.6')
      .replace('soc_max: 0.95\n        soc_initial', 'soc_max: 0.05\n        soc_initial');
    const problems = problemsOf(bad);
    const at = (path: string) => problems.find((p) => p.path === path);
    const expected: [string, string][] = [
      ['sites[3].assets[1].sessions.energy_kwh_min', 'energy_kwh_min: 50'],
      ['sites[3].assets[1].sessions.short_stay_hours_min', 'short_stay_hours_min: 4'],
      ['sites[3].assets[1].sessions.short_stay_arrival_hours', 'short_stay_arrival_hours: [16, 9]'],
      ['sites[0].assets[0].training.job_hours_min', 'job_hours_min: 30'],
      ['sites[0].assets[0].training.deadline_slack_min', 'deadline_slack_min: 5'],
      ['sites[1].assets[0].weekday_hours', 'weekday_hours: [22, 6]'],
      ['sites[2].assets[0].timetable.first_pull_out_hour', 'first_pull_out_hour: 23.9'],
      ['sites[0].assets[0].pue_cold', 'pue_cold: 1.6'],
      ['sites[1].assets[2].soc_min', 'soc_min: 0.10'],
    ];
    for (const [path, text] of expected) {
      expect(at(path), path).toBeDefined();
      expect(at(path)!.line, path).toBe(lineOf(bad, text));
    }
    expect(at('sites[3].assets[1].sessions.short_stay_hours_min')!.message).toBe(
      'short_stay_hours_min (4) must be at most short_stay_hours_max (3)',
    );
  });

  it('reports an alias to no anchor with its line', () => {
    const bad = reference.replace('timezone: Asia/Seoul', 'timezone: *zone');
    const problems = problemsOf(bad);
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(lineOf(bad, 'timezone: *zone'));
    expect(problems[0].message).toMatch(/alias \*zone refers to no anchor/);
  });

  it('refuses aliases that expand without bound ("billion laughs") with a line, without expanding them', () => {
    const levels = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (let k = 1; k < 9; k++) {
      const prev = String.fromCharCode(96 + k);
      levels.push(
        `${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(10)
          .fill('*' + prev)
          .join(', ')}]`,
      );
    }
    const problems = problemsOf(levels.join('\n') + '\n');
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(2);
    expect(problems[0].message).toMatch(/aliases expand to too much data/);
  });

  it('reports a duplicate key with its line and without the parser repeating the position', () => {
    const bad = reference.replace('interval_minutes: 15', 'interval_minutes: 15\ninterval_minutes: 30');
    const [p] = problemsOf(bad);
    expect(p.line).toBe(lineOf(bad, 'interval_minutes: 30'));
    expect(p.message).toBe('Map keys must be unique');
  });
});
