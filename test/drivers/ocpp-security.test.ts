import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guarded, installWireErrorCodes } from '../../src/drivers/ocpp/errors.ts';
import { hashPassword } from '../../src/drivers/ocpp/index.ts';
import { RPCClient, RPCServer } from '../../src/drivers/ocpp/rpc.ts';
import type { RpcClient } from '../../src/drivers/ocpp/rpc.ts';
import { ManualClock, TwinChargePoint } from '../../src/twin/ocpp/index.ts';
import { startCsms, waitFor } from './ocpp-helpers.ts';

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  cleanup = [];
});

const PASSWORD = 'correct-horse-1';

async function csmsWith(protocol: 'ocpp1.6' | 'ocpp2.0.1', extra: Record<string, unknown> = {}) {
  const csms = await startCsms({
    charge_points: [
      { id: 'CP-1', asset: 'campus-ev', protocol, password: PASSWORD, max_power_kw: 11, ...extra },
    ],
    accepted_id_tokens: ['TAG-OK'],
  });
  cleanup.push(() => csms.driver.stop());
  return csms;
}

async function rawClient(
  url: string,
  protocol: string,
  identity = 'CP-1',
  password: string | undefined = PASSWORD,
) {
  const client = new RPCClient({
    endpoint: url,
    identity,
    protocols: [protocol],
    password,
    reconnect: false,
    strictMode: false,
  });
  cleanup.push(() => client.close({ force: true }));
  await client.connect();
  return client;
}

/** Sends one raw frame and resolves with the next frame received. */
function exchange(client: RpcClient, frame: string): Promise<unknown[]> {
  return new Promise((resolve) => {
    const onMessage = (e: { message: Buffer | string; outbound: boolean }) => {
      if (e.outbound) return;
      client.off('message', onMessage);
      resolve(JSON.parse(e.message.toString()));
    };
    client.on('message', onMessage);
    client.sendRaw(frame);
  });
}

const call = (id: string, action: string, params: unknown) => JSON.stringify([2, id, action, params]);

describe('malformed frames get the spec CallError', () => {
  it('OCPP 1.6J: FormationViolation, OccurenceConstraintViolation, TypeConstraint, PropertyConstraint, NotImplemented', async () => {
    const { url, driver } = await csmsWith('ocpp1.6');
    const c = await rawClient(url, 'ocpp1.6');
    const cases: Array<[string, string, unknown]> = [
      ['StatusNotification', 'OccurenceConstraintViolation', { connectorId: 1 }],
      [
        'StatusNotification',
        'TypeConstraintViolation',
        { connectorId: 'one', errorCode: 'NoError', status: 'Available' },
      ],
      ['Heartbeat', 'PropertyConstraintViolation', { surprise: true }],
      ['Authorize', 'FormationViolation', { idTag: 'X'.repeat(21) }],
      ['FlyToTheMoon', 'NotImplemented', {}],
    ];
    for (const [i, [action, code, params]] of cases.entries()) {
      const reply = await exchange(c, call(`m${i}`, action, params));
      expect(reply.slice(0, 3), `${action} → ${code}`).toEqual([4, `m${i}`, code]);
      expect(typeof reply[3]).toBe('string');
      expect(reply[4]).toBeTypeOf('object');
    }
    // A frame that is not JSON at all.
    const reply = await exchange(c, '[2, "m9", "Heartbeat", {');
    expect(reply.slice(0, 3)).toEqual([4, '-1', 'FormationViolation']);
    // The CSMS is still serving the charger.
    expect(await c.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(driver.chargePoints()[0].online).toBe(true);
  });

  it('OCPP 2.0.1: FormatViolation, OccurenceConstraintViolation, TypeConstraintViolation, NotImplemented', async () => {
    const { url } = await csmsWith('ocpp2.0.1');
    const c = await rawClient(url, 'ocpp2.0.1');
    const cases: Array<[string, string, unknown]> = [
      ['BootNotification', 'OccurenceConstraintViolation', { reason: 'PowerUp' }],
      ['Heartbeat', 'PropertyConstraintViolation', { extra: 1 }],
      [
        'StatusNotification',
        'TypeConstraintViolation',
        { timestamp: '2026-03-02T08:00:00Z', connectorStatus: 'Available', evseId: '1', connectorId: 1 },
      ],
      ['Authorize', 'FormatViolation', { idToken: { idToken: 'X'.repeat(37), type: 'ISO14443' } }],
      ['FlyToTheMoon', 'NotImplemented', {}],
    ];
    for (const [i, [action, code, params]] of cases.entries()) {
      const reply = await exchange(c, call(`n${i}`, action, params));
      expect(reply.slice(0, 3), `${action} → ${code}`).toEqual([4, `n${i}`, code]);
    }
  });

  it('answers a call for an unknown connector with PropertyConstraintViolation', async () => {
    const { url } = await csmsWith('ocpp1.6');
    const c = await rawClient(url, 'ocpp1.6');
    const reply = await exchange(
      c,
      call('x1', 'StatusNotification', { connectorId: 7, errorCode: 'NoError', status: 'Available' }),
    );
    expect(reply.slice(0, 3)).toEqual([4, 'x1', 'PropertyConstraintViolation']);
  });

  it('turns a handler bug into an InternalError reply, never a crash (boundary catch-all)', async () => {
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    const errors: string[] = [];
    server.on('client', (client) => {
      installWireErrorCodes(client);
      client.handle(
        'Heartbeat',
        guarded(
          'Heartbeat',
          () => {
            throw new TypeError('cannot read properties of undefined');
          },
          (err) => errors.push((err as Error).message),
        ),
      );
    });
    const { createServer } = await import('node:http');
    const http = createServer();
    http.on('upgrade', (req, socket, head) => void server.handleUpgrade(req, socket, head));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      await server.close({ force: true });
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    });
    const port = (http.address() as { port: number }).port;
    const c = await rawClient(`ws://127.0.0.1:${port}`, 'ocpp1.6');
    const reply = await exchange(c, call('b1', 'Heartbeat', {}));
    expect(reply).toEqual([4, 'b1', 'InternalError', 'internal error while handling Heartbeat', {}]);
    expect(errors).toEqual(['cannot read properties of undefined']);
  });
});

describe('charge point admission (security profile 1)', () => {
  it('rejects an unknown charge point id at the handshake with 404', async () => {
    const { url } = await csmsWith('ocpp1.6');
    const c = new RPCClient({
      endpoint: url,
      identity: 'CP-STRANGER',
      protocols: ['ocpp1.6'],
      password: PASSWORD,
      reconnect: false,
    });
    await expect(c.connect()).rejects.toMatchObject({ code: 404 });
  });

  it('rejects a wrong or missing basic-auth password with 401', async () => {
    const { url, driver } = await csmsWith('ocpp1.6');
    const wrong = new RPCClient({
      endpoint: url,
      identity: 'CP-1',
      protocols: ['ocpp1.6'],
      password: 'wrong-password',
      reconnect: false,
    });
    await expect(wrong.connect()).rejects.toMatchObject({ code: 401 });
    const none = new RPCClient({ endpoint: url, identity: 'CP-1', protocols: ['ocpp1.6'], reconnect: false });
    await expect(none.connect()).rejects.toMatchObject({ code: 401 });
    expect(driver.chargePoints()[0].online).toBe(false);
  });

  it('rejects a charger offering another protocol than configured', async () => {
    const { url } = await csmsWith('ocpp1.6');
    const c = new RPCClient({
      endpoint: url,
      identity: 'CP-1',
      protocols: ['ocpp2.0.1'],
      password: PASSWORD,
      reconnect: false,
    });
    await expect(c.connect()).rejects.toMatchObject({ code: 400 });
  });

  it('accepts a pre-hashed password (password_scrypt)', async () => {
    const csms = await startCsms({
      charge_points: [
        {
          id: 'CP-H',
          asset: 'a',
          protocol: 'ocpp2.0.1',
          password_scrypt: hashPassword('hashed-secret-9'),
          max_power_kw: 7,
        },
      ],
    });
    cleanup.push(() => csms.driver.stop());
    await rawClient(csms.url, 'ocpp2.0.1', 'CP-H', 'hashed-secret-9');
    expect(csms.driver.chargePoints()[0].online).toBe(true);
  });
});

describe('security profile 2 (TLS)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-ocpp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves wss:// with the configured certificate and basic auth', async () => {
    const csms = await startCsms({
      tls: { cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') },
      charge_points: [
        { id: 'CP-TLS', asset: 'depot', protocol: 'ocpp2.0.1', password: PASSWORD, max_power_kw: 50 },
      ],
    });
    cleanup.push(() => csms.driver.stop());
    const port = csms.port;
    const cp = new TwinChargePoint({
      id: 'CP-TLS',
      endpoint: `wss://localhost:${port}/ocpp`,
      protocol: 'ocpp2.0.1',
      password: PASSWORD,
      maxPowerKw: 50,
      wsOpts: { ca: readFileSync(join(dir, 'cert.pem')), minVersion: 'TLSv1.2' },
    });
    cleanup.push(() => cp.stop());
    await cp.start();
    expect(csms.driver.chargePoints()[0]).toMatchObject({ online: true, booted: true });
    expect(csms.driver.status().health).toBe('online');

    // An untrusted certificate is refused by the charger, and plain ws:// gets no WebSocket.
    const untrusted = new RPCClient({
      endpoint: `wss://localhost:${port}/ocpp`,
      identity: 'CP-TLS',
      protocols: ['ocpp2.0.1'],
      password: PASSWORD,
      reconnect: false,
    });
    await expect(untrusted.connect()).rejects.toThrow();
    const plain = new RPCClient({
      endpoint: `ws://localhost:${port}/ocpp`,
      identity: 'CP-TLS',
      protocols: ['ocpp2.0.1'],
      password: PASSWORD,
      reconnect: false,
    });
    await expect(plain.connect()).rejects.toThrow();
  });
});

describe('connection loss', () => {
  it('marks a charger offline when its socket dies and online again after the twin reconnects', async () => {
    const { url, driver } = await csmsWith('ocpp1.6');
    const cp = new TwinChargePoint({
      id: 'CP-1',
      endpoint: url,
      protocol: 'ocpp1.6',
      password: PASSWORD,
      maxPowerKw: 11,
      reconnectDelayMs: 50,
    });
    cleanup.push(() => cp.stop());
    await cp.start();
    expect(driver.status().health).toBe('online');
    cp.dropConnection();
    await waitFor(() => !driver.chargePoints()[0].online, 5000, 'offline');
    expect(driver.status()).toMatchObject({ health: 'offline', lastError: 'offline: CP-1' });
    expect((await driver.read()).find((m) => m.measurement === 'online')?.value).toBe(0);
    await expect(
      driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 3, channel: '1' }),
    ).rejects.toThrow(/offline/);
    await waitFor(() => driver.chargePoints()[0].online, 5000, 'online again');
    expect(driver.status().health).toBe('online');
    await waitFor(() => cp.counters.reconnects === 1, 5000, 'twin reconnected');
    // After reconnecting the twin re-announces its connectors.
    await waitFor(
      () =>
        cp.frames.filter((f) => Array.isArray(f.frame) && f.frame[2] === 'StatusNotification').length >= 4,
    );
  });
});

describe('smart charging details', () => {
  const T0 = Date.parse('2026-03-02T08:00:00Z');

  async function charging(protocol: 'ocpp1.6' | 'ocpp2.0.1', cpExtra: Record<string, unknown>, v2g = false) {
    const clock = new ManualClock(T0);
    const csms = await startCsms(
      {
        charge_points: [
          { id: 'CP-1', asset: 'campus-ev', protocol, password: PASSWORD, max_power_kw: 11, ...cpExtra },
        ],
        accepted_id_tokens: ['TAG-OK'],
      },
      clock,
    );
    cleanup.push(() => csms.driver.stop());
    const cp = new TwinChargePoint({
      id: 'CP-1',
      endpoint: csms.url,
      protocol,
      password: PASSWORD,
      maxPowerKw: 11,
      v2g,
      clock,
      meterIntervalS: 60,
      sessions: [
        {
          arrivalMs: T0,
          departureMs: T0 + 3_600_000,
          energyNeededKwh: 20,
          maxPowerKw: 11,
          v2g,
          idTag: 'TAG-OK',
        },
      ],
    });
    cleanup.push(() => cp.stop());
    await cp.start();
    await cp.tick();
    expect(cp.connector(1).transactionId).toBeDefined();
    return { ...csms, cp, clock };
  }

  it('V2G charger: a negative limit makes the EV discharge, reported as negative power_kw', async () => {
    const { driver, cp, clock } = await charging('ocpp2.0.1', { v2g: true }, true);
    await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: -5, channel: '1' });
    expect(cp.connector(1).powerKw).toBe(-5);
    clock.advance(60_000);
    await cp.tick();
    const power = (await driver.read()).find((m) => m.measurement === 'power_kw' && m.channel === '1');
    expect(power?.value).toBeCloseTo(-5, 6);
  });

  it('limits in amperes (1.6), a charger-wide maximum, clearing and GetCompositeSchedule', async () => {
    const { driver, cp } = await charging('ocpp1.6', { charging_rate_unit: 'A', voltage_v: 230, phases: 3 });
    await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 4, channel: '1' });
    expect(cp.connector(1).powerKw).toBeCloseTo((5.8 * 230 * 3) / 1000, 6); // 4 kW → 5.8 A
    const composite = await driver.getCompositeSchedule('CP-1', 1, 3600);
    expect(composite?.periods[0].limitKw).toBeCloseTo(4.002, 3);

    await driver.write({ assetId: 'campus-ev', kind: 'charging_limit_kw', value: 2 }); // no channel: whole charger
    expect(cp.connector(1).powerKw).toBeCloseTo((2.9 * 230 * 3) / 1000, 6);
    expect(await driver.clearChargingLimit('CP-1', 0)).toBe('Accepted');
    expect(cp.connector(1).powerKw).toBeCloseTo(4.002, 3);
    expect(await driver.clearChargingLimit('CP-1', 1)).toBe('Accepted');
    expect(cp.connector(1).powerKw).toBe(11);
    expect(await driver.clearChargingLimit('CP-1', 1)).toBe('Unknown');
  });

  it('a limit with validUntilMs expires on the charger; the twin falls back to full power', async () => {
    const { driver, cp, clock } = await charging('ocpp2.0.1', {});
    await driver.write({
      assetId: 'campus-ev',
      kind: 'charging_limit_kw',
      value: 3,
      channel: '1',
      validUntilMs: T0 + 15 * 60_000,
    });
    expect(cp.connector(1).powerKw).toBe(3);
    clock.set(T0 + 15 * 60_000);
    await cp.tick();
    expect(cp.connector(1).powerKw).toBe(11);
  });
});
