import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createRegistry } from '../../src/drivers/registry.ts';
import { ocppDriverFactory, OcppCsmsDriver } from '../../src/drivers/ocpp/index.ts';
import { openAdrVenDriverFactory, OpenAdrVenDriver } from '../../src/drivers/openadr/index.ts';
import { testContext } from './ocpp-helpers.ts';

const DOC = new URL('../../docs/drivers.md', import.meta.url);

function docExamples(): unknown[] {
  const blocks = [...readFileSync(DOC, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => {
    const doc = parseYaml(b) as { devices?: unknown[] } | null;
    return doc && Array.isArray(doc.devices) ? doc.devices : [];
  });
}

describe('factories in a registry', () => {
  const registry = createRegistry();
  registry.register(ocppDriverFactory);
  registry.register(openAdrVenDriverFactory);

  it('accepts the documented device examples', () => {
    const examples = docExamples().filter((e) =>
      ['ocpp', 'openadr_ven'].includes((e as { type: string }).type),
    );
    expect(examples.map((e) => (e as { type: string }).type)).toEqual(['ocpp', 'openadr_ven']);
    expect(registry.validateDeviceConfig(examples)).toEqual([]);
  });

  it('reports misspelt keys with their paths', () => {
    const problems = registry.validateDeviceConfig([
      {
        id: 'csms',
        type: 'ocpp',
        port: 9220,
        charge_points: [{ id: 'CP-1', asset: 'ev', protocol: 'ocpp1.6', max_power: 7 }],
      },
      {
        id: 'ven',
        type: 'openadr_ven',
        vtn_url: 'http://vtn',
        client_id: 'a',
        client_secret: 'b',
        ven_name: 'v',
        poll_s: 5,
      },
    ]);
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'devices[0].charge_points[0]',
        'devices[0].charge_points[0].max_power_kw',
        'devices[1]',
      ]),
    );
  });

  it('creates the drivers', () => {
    const ctx = testContext();
    const [csms, ven] = docExamples()
      .filter((e) => ['ocpp', 'openadr_ven'].includes((e as { type: string }).type))
      .map((e) => registry.createDriver(e, ctx));
    expect(csms).toBeInstanceOf(OcppCsmsDriver);
    expect(ven).toBeInstanceOf(OpenAdrVenDriver);
    expect(csms.status().health).toBe('starting');
    expect(ven.status().health).toBe('starting');
  });
});
