import { describe, expect, it } from 'vitest';
import { checkSchema, checkSchemaArray, type OpenAdrComponent } from '../../src/drivers/openadr/index.ts';
import type { VtnTwin, VtnExchange } from '../../src/twin/openadr/index.ts';
import { H, venAgainstVtn } from './openadr-helpers.ts';

const T0 = Date.parse('2026-07-01T00:00:00Z');

const setup = venAgainstVtn(T0, {
  program: {
    programName: 'KEPCO-DR',
    programLongName: 'KEPCO demand response (test)',
    country: 'KR',
    payloadDescriptors: [
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'KRW' },
    ],
  },
  ven: { report_asset: 'site-grid' },
});

/** The schema each VTN endpoint answers with. */
function componentFor(x: VtnExchange): { component: OpenAdrComponent; array: boolean } {
  if (x.path.endsWith('/auth/token'))
    return { component: x.status === 200 ? 'clientCredentialResponse' : 'problem', array: false };
  if (x.status >= 400) return { component: 'problem', array: false };
  const [, collection, id] = x.path
    .replace(/^.*?\/(programs|events|vens|subscriptions|reports)/, '/$1')
    .split('/');
  const component = (
    {
      programs: 'program',
      events: 'event',
      vens: 'ven',
      subscriptions: 'subscription',
      reports: 'report',
    } as const
  )[collection as 'programs'];
  return { component, array: x.method === 'GET' && !id };
}

function expectValidExchanges(vtn: VtnTwin) {
  expect(vtn.exchanges.length).toBeGreaterThan(0);
  for (const x of vtn.exchanges) {
    const { component, array } = componentFor(x);
    const check = array ? checkSchemaArray(component, x.body) : checkSchema(component, x.body);
    expect(check.errors, `${x.method} ${x.path} ${x.status}`).toEqual([]);
  }
}

describe('OpenADR 3 VEN against the VTN twin', () => {
  it('registers, subscribes, polls a PRICE event and maps it to KRW/kWh grid signals', async () => {
    const { vtn, ven, program } = await setup();
    const price = await vtn.issuePriceEvent({
      programID: program.id,
      startMs: T0 + 9 * H,
      intervalMinutes: 60,
      pricesKrwPerKwh: [105.2, 131.4, 196.7, 131.4],
    });
    await ven.start();
    expect(ven.status().health).toBe('online');

    const vens = [...vtn.vens.values()];
    expect(vens).toHaveLength(1);
    expect(vens[0]).toMatchObject({ venName: 'bitgrid-gwangju', objectType: 'VEN' });
    expect(ven.venID).toBe(vens[0].id);
    const subs = [...vtn.subscriptions.values()];
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ clientName: 'bitgrid-gwangju', programID: program.id });
    expect(subs[0].objectOperations[0].callbackUrl).toBe(
      `http://127.0.0.1:${ven.webhookAddress()!.port}/openadr/notify`,
    );

    expect(ven.signals()).toEqual(
      [105.2, 131.4, 196.7, 131.4].map((value, i) => ({
        kind: 'price_krw_per_kwh',
        startMs: T0 + (9 + i) * H,
        endMs: T0 + (10 + i) * H,
        value,
        source: `kepco-vtn:${price.id}`,
        eventId: price.id,
      })),
    );
    await ven.sync(); // the complete set on every call, not only what changed
    expect(ven.signals()).toHaveLength(4);
    expectValidExchanges(vtn);
  });

  it('receives a load-shed event by webhook and maps it to import_limit_kw and shed_kw', async () => {
    const { vtn, ven, program } = await setup();
    await ven.start();
    expect(ven.signals()).toEqual([]);
    const shed = await vtn.issueLoadShedEvent({
      programID: program.id,
      startMs: T0 + 18 * H,
      durationMinutes: 120,
      importLimitKw: 800,
      shedKw: 250,
    });
    expect(vtn.deliveries).toHaveLength(1);
    expect(vtn.deliveries[0]).toMatchObject({
      status: 200,
      notification: { objectType: 'EVENT', operation: 'POST' },
    });
    expect(checkSchema('notification', vtn.deliveries[0].notification).ok).toBe(true);
    const source = `kepco-vtn:${shed.id}`;
    const eventId = shed.id;
    expect(ven.signals()).toEqual([
      { kind: 'import_limit_kw', startMs: T0 + 18 * H, endMs: T0 + 20 * H, value: 800, source, eventId },
      { kind: 'shed_kw', startMs: T0 + 18 * H, endMs: T0 + 20 * H, value: 250, source, eventId },
    ]);

    await vtn.updateEvent(shed.id, {
      intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [600] }] }],
    });
    expect(ven.signals()).toEqual([
      { kind: 'import_limit_kw', startMs: T0 + 18 * H, endMs: T0 + 20 * H, value: 600, source, eventId },
    ]);
    await vtn.deleteEvent(shed.id);
    expect(ven.signals()).toEqual([]);
    expect(vtn.deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
  });

  it('posts the report an event asks for, and the VTN stores it schema-valid', async () => {
    const { vtn, ven, program, clock } = await setup();
    await ven.start();
    const event = await vtn.issuePriceEvent({
      programID: program.id,
      startMs: T0,
      intervalMinutes: 15,
      pricesKrwPerKwh: [150, 210],
      reportDescriptors: [
        { payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH' },
        { payloadType: 'DEMAND', readingType: 'MEAN', units: 'KW' },
      ],
    });
    // Site import during the two intervals: 400 kW then 300 kW (one sample a minute).
    for (let m = 0; m < 30; m++) {
      ven.ingest([
        { assetId: 'site-grid', measurement: 'power_kw', value: m < 15 ? 400 : 300, timeMs: T0 + m * 60_000 },
      ]);
      ven.ingest([{ assetId: 'other', measurement: 'power_kw', value: 9999, timeMs: T0 + m * 60_000 }]);
    }
    await ven.sync();
    expect(vtn.reports()).toHaveLength(0); // not before the event's last interval has ended
    clock.set(T0 + 30 * 60_000);
    await ven.sync();
    expect(vtn.rejectedReports).toEqual([]);
    const reports = vtn.reports();
    expect(reports).toHaveLength(1);
    const r = reports[0];
    expect(checkSchema('report', r).errors).toEqual([]);
    expect(r).toMatchObject({ programID: program.id, eventID: event.id, clientName: 'bitgrid-gwangju' });
    expect(r.resources[0].intervals).toEqual([
      {
        id: 0,
        intervalPeriod: { start: new Date(T0).toISOString(), duration: 'PT900S' },
        payloads: [
          { type: 'USAGE', values: [100] },
          { type: 'DEMAND', values: [400] },
        ],
      },
      {
        id: 1,
        intervalPeriod: { start: new Date(T0 + 15 * 60_000).toISOString(), duration: 'PT900S' },
        payloads: [
          { type: 'USAGE', values: [75] },
          { type: 'DEMAND', values: [300] },
        ],
      },
    ]);
    await ven.sync();
    expect(vtn.reports()).toHaveLength(1); // once per event
    expectValidExchanges(vtn);
  });

  it('a schema-invalid VTN response makes the VEN degraded, logged, without crashing; it recovers', async () => {
    const { vtn, ven, program, ctx } = await setup();
    await vtn.issuePriceEvent({
      programID: program.id,
      startMs: T0,
      intervalMinutes: 60,
      pricesKrwPerKwh: [100],
    });
    await ven.start();
    expect(ven.signals()).toHaveLength(1);

    vtn.fault = 'invalid-events';
    await ven.sync();
    expect(ven.status().health).toBe('degraded');
    expect(ven.status().lastError).toMatch(/GET \/events response does not match the OpenADR 3.0.1 schema/);
    expect(ctx.lines.some((l) => l.level === 'error' && /rejected/.test(l.msg ?? ''))).toBe(true);
    expect(ven.signals()).toHaveLength(1); // last good data kept

    vtn.fault = 'not-json';
    await ven.sync();
    expect(ven.status()).toMatchObject({ health: 'degraded', lastError: expect.stringMatching(/not JSON/) });

    vtn.fault = undefined;
    await ven.sync();
    expect(ven.status().health).toBe('online');
  });

  it('refuses a webhook call with a bad token (403) or an invalid notification (400 → degraded)', async () => {
    const { vtn, ven } = await setup();
    await ven.start();
    const sub = [...vtn.subscriptions.values()][0];
    const { callbackUrl, bearerToken } = sub.objectOperations[0];
    expect(
      await vtn.deliverRaw(callbackUrl, 'wrong', { objectType: 'EVENT', operation: 'POST', object: {} }),
    ).toBe(403);
    expect(ven.status().health).toBe('online');
    expect(
      await vtn.deliverRaw(callbackUrl, bearerToken, {
        objectType: 'EVENT',
        operation: 'POST',
        object: { programID: 'p' },
      }),
    ).toBe(400);
    expect(ven.status().health).toBe('degraded');
  });

  it('stays offline (no crash) when the VTN refuses its credentials', async () => {
    const { ven, ctx } = await setup({ ven: { client_secret: 'wrong' } });
    await ven.start();
    expect(ven.status()).toMatchObject({
      health: 'offline',
      lastError: expect.stringMatching(/token request refused: HTTP 401/),
    });
    expect(ctx.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('discovers the token URL at /auth/server under an API prefix; polls without a webhook when subscribe is off', async () => {
    const { vtn, ven } = await setup({
      vtn: { discovery: true, basePath: '/openadr3/3.0.1' },
      ven: { subscribe: false },
    });
    await ven.start();
    expect(ven.status().health).toBe('online');
    expect(vtn.exchanges[0]).toMatchObject({
      method: 'GET',
      path: '/openadr3/3.0.1/auth/server',
      status: 200,
    });
    expect(vtn.exchanges[1]).toMatchObject({
      method: 'POST',
      path: '/openadr3/3.0.1/auth/token',
      status: 200,
    });
    expect(vtn.subscriptions.size).toBe(0);
    expect(ven.webhookAddress()).toBeUndefined();
  });

  it('unsubscribes on stop', async () => {
    const { vtn, ven } = await setup();
    await ven.start();
    expect(vtn.subscriptions.size).toBe(1);
    await ven.stop();
    expect(vtn.subscriptions.size).toBe(0);
    expect(ven.status().health).toBe('stopped');
  });
});
