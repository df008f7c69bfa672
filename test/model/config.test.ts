import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { problemsOf, reference } from './helpers.ts';

describe('district configuration', () => {
  it('accepts the reference district with its numbers', () => {
    const { scenario } = loadScenarioFile();
    expect(scenario.timezone).toBe('Asia/Seoul');
    expect(scenario.grid.contract_demand_kw).toBe(16000);
    const pvKwp = scenario.sites
      .flatMap((s) => s.assets)
      .filter((a) => a.type === 'pv')
      .reduce((x, a) => x + (a.type === 'pv' ? a.capacity_kwp : 0), 0);
    expect(pvKwp).toBe(7000);
    const battery = scenario.sites.flatMap((s) => s.assets).find((a) => a.type === 'battery');
    expect(battery).toMatchObject({
      capacity_kwh: 12000,
      max_discharge_kw: 5000,
      round_trip_efficiency: 0.9,
    });
  });

  it('lists every problem with its path and line, not just the first', () => {
    const bad = reference
      .replace('capacity_kwh: 12000', 'capacity_kwh: -5')
      .replace('timezone: Asia/Seoul', 'timezone: Asia/Gwangju')
      .replace('        nodes: 512', '        nodes: 512\n        nodez: 3');
    const problems = problemsOf(bad);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['timezone'].message).toMatch(/unknown IANA time zone/);
    expect(byPath['timezone'].line).toBe(bad.split('\n').findIndex((l) => l.startsWith('timezone:')) + 1);
    const cap = problems.find((p) => p.path.endsWith('.capacity_kwh'))!;
    expect(cap.path).toBe('sites[1].assets[2].capacity_kwh');
    expect(cap.message).toMatch(/>0|greater than 0|too small/i);
    expect(cap.line).toBe(bad.split('\n').findIndex((l) => l.includes('capacity_kwh: -5')) + 1);
    const unknown = problems.find((p) => p.message.includes('nodez'))!;
    expect(unknown.path).toBe('sites[0].assets[0]');
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it('rejects an unknown asset type and names the valid ones', () => {
    const problems = problemsOf(reference.replace('type: battery', 'type: flywheel'));
    const p = problems.find((x) => x.path === 'sites[1].assets[2].type')!;
    expect(p.message).toMatch(/pv|battery/);
  });

  it('reports duplicate asset ids and inconsistent battery bounds', () => {
    const problems = problemsOf(
      reference.replace('id: campus-pv', 'id: factory-pv').replace('soc_min: 0.10', 'soc_min: 0.97'),
    );
    expect(problems.map((p) => p.message).join('\n')).toMatch(/duplicate asset id "factory-pv"/);
    expect(problems.some((p) => p.path === 'sites[1].assets[2].soc_min')).toBe(true);
  });

  it('reports YAML syntax errors with a line', () => {
    const problems = problemsOf('name: x\nsites: [\n');
    expect(problems[0].line).toBeGreaterThan(0);
  });
});
