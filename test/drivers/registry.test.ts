import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultRegistry } from '../../src/drivers/index.ts';
import { createRegistry, DeviceConfigError } from '../../src/drivers/registry.ts';
import { MqttDriver } from '../../src/drivers/mqtt/index.ts';
import { SunSpecModbusDriver } from '../../src/drivers/sunspec/index.ts';
import type { DriverFactory } from '../../src/drivers/types.ts';
import { formatProblem } from '../../src/model/load.ts';
import { testContext } from './sunspec-helpers.ts';

const fake = (type: string): DriverFactory => ({
  type,
  configSchema: z.strictObject({ id: z.string(), type: z.literal(type) }),
  create: () => {
    throw new Error('not used');
  },
});

const pv = {
  id: 'factory-pv-inv',
  type: 'sunspec_modbus',
  asset: 'factory-pv',
  host: '127.0.0.1',
  port: 502,
  unit_id: 1,
  poll_ms: 1000,
  timeout_ms: 2000,
};
const meters = { id: 'meters', type: 'mqtt', site: 'campus', subscribe: [{ asset: '+' }] };

describe('driver registry', () => {
  it('registers the built-in types and refuses a duplicate', () => {
    const r = defaultRegistry();
    expect(r.types()).toEqual(expect.arrayContaining(['mqtt', 'sunspec_modbus']));
    expect(() => r.register(fake('mqtt'))).toThrow(/"mqtt" is already registered/);
    const empty = createRegistry();
    empty.register(fake('x'));
    expect(() => empty.register(fake('x'))).toThrow(/already registered/);
  });

  it('accepts the documented device examples', () => {
    expect(
      defaultRegistry().validateDeviceConfig([
        pv,
        meters,
        { ...meters, id: 'm2', url: 'mqtt://10.0.0.5:1883' },
      ]),
    ).toEqual([]);
  });

  it('reports an unknown type with the valid ones, and zod problems with their paths', () => {
    const r = createRegistry();
    for (const t of ['sunspec_modbus', 'mqtt']) r.register(defaultRegistry().get(t)!);
    r.register(fake('ocpp'));
    r.register(fake('openadr_ven'));
    const problems = r.validateDeviceConfig([
      pv,
      { ...pv, id: 'b', port: 70000, unit_id: 'one' },
      { id: 'c', type: 'foo' },
      { ...meters, id: 'd', colour: 'red', subscribe: [{ asset: 'X Y' }] },
      { ...meters, id: 'factory-pv-inv', url: 'http://x', broker_port: 1 },
      'nonsense',
      { id: 'e' },
    ]);
    const lines = problems.map(formatProblem);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^devices\[1\]\.port: .*65535/),
        expect.stringMatching(/^devices\[1\]\.unit_id: /),
        'devices[2].type: unknown driver type "foo" (valid: mqtt, ocpp, openadr_ven, sunspec_modbus)',
        'devices[3]: unknown key(s): colour',
        expect.stringMatching(/^devices\[3\]\.subscribe\[0\]\.asset: /),
        expect.stringMatching(/^devices\[4\]\.url: must be an mqtt/),
        'devices[4].id: duplicate device id "factory-pv-inv" (also at devices[0])',
        'devices[5]: must be an object with a "type"',
        'devices[6].type: required (valid: mqtt, ocpp, openadr_ven, sunspec_modbus)',
      ]),
    );
    expect(lines.some((l) => l.startsWith('devices[0]'))).toBe(false);
  });

  it('creates drivers from valid configs (defaults applied) and refuses invalid ones', () => {
    const r = defaultRegistry();
    const ctx = testContext();
    const d = r.createDriver({ id: 'inv', type: 'sunspec_modbus', asset: 'pv', host: 'localhost' }, ctx);
    expect(d).toBeInstanceOf(SunSpecModbusDriver);
    expect((d as SunSpecModbusDriver).config).toMatchObject({
      port: 502,
      unit_id: 1,
      poll_ms: 1000,
      timeout_ms: 2000,
    });
    expect(d.status().health).toBe('stopped');
    expect(r.createDriver(meters, ctx)).toBeInstanceOf(MqttDriver);
    expect(() => r.createDriver({ id: 'x', type: 'sunspec_modbus', asset: 'pv' }, ctx)).toThrow(
      DeviceConfigError,
    );
    let err: unknown;
    try {
      r.createDriver({ id: 'x', type: 'nope' }, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceConfigError);
    expect((err as DeviceConfigError).problems).toEqual([
      {
        path: 'device.type',
        message: expect.stringMatching(/^unknown driver type "nope" \(valid: .*mqtt.*sunspec_modbus/),
      },
    ]);
  });
});
