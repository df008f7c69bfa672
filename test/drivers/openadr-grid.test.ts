import { describe, expect, it } from 'vitest';
import { checkSchema } from '../../src/drivers/openadr/index.ts';
import { waitFor } from './ocpp-helpers.ts';
import { H, MIN, issueImportLimit, logLines as lines, venAgainstVtn } from './openadr-helpers.ts';

// The VEN against the VTN twin over loopback HTTP: capacity limits and dispatch setpoints as grid
// signals (the complete set on every call), reports from the grid meter, and recovery after the
// VTN lost its records.

const T0 = Date.parse('2026-08-03T00:00:00Z');

// No report_asset: the default (the grid connection meter, asset `grid`) answers reports.
const setup = venAgainstVtn(T0, { program: { programName: 'KEPCO-DR', country: 'KR' } });

describe('OpenADR grid signals: the complete set in force', () => {
  it('an IMPORT_CAPACITY_LIMIT of 100 kW becomes import_limit_kw 100 for the event window', async () => {
    const { vtn, ven, program } = await setup({ ven: { subscribe: false } });
    const limit = await issueImportLimit(vtn, program.id, T0 + 14 * H, 90, 100);
    expect(checkSchema('event', vtn.events.get(limit.id)).errors).toEqual([]);
    await ven.start();
    const expected = {
      kind: 'import_limit_kw',
      startMs: T0 + 14 * H,
      endMs: T0 + 14 * H + 90 * MIN,
      value: 100,
      source: `kepco-vtn:${limit.id}`,
      eventId: limit.id,
    };
    expect(ven.signals()).toEqual([expected]);
    // Complete on every call: asking again (and polling again) gives the same answer.
    expect(ven.signals()).toEqual([expected]);
    await ven.sync();
    expect(ven.signals()).toEqual([expected]);
  });

  it('maps EXPORT_CAPACITY_LIMIT, DISPATCH_SETPOINT and negative DISPATCH_SETPOINT_RELATIVE', async () => {
    const { vtn, ven, program } = await setup();
    await ven.start();
    const exp = await vtn.issueCapacityLimitEvent({
      programID: program.id,
      startMs: T0 + 11 * H,
      durationMinutes: 120,
      limitKw: 2500,
      direction: 'export',
      reportDescriptors: [],
    });
    const setpoint = await vtn.issueDispatchSetpointEvent({
      programID: program.id,
      startMs: T0 + 19 * H,
      intervalMinutes: 30,
      setpointsKw: [1800, -200],
    });
    const shed = await vtn.issueLoadShedEvent({
      programID: program.id,
      startMs: T0 + 17 * H,
      durationMinutes: 60,
      importLimitKw: 3000,
      shedKw: 400,
    });
    const byKind = (kind: string) => ven.signals().filter((s) => s.kind === kind);
    expect(byKind('export_limit_kw')).toEqual([
      expect.objectContaining({ startMs: T0 + 11 * H, endMs: T0 + 13 * H, value: 2500, eventId: exp.id }),
    ]);
    expect(byKind('import_target_kw')).toEqual([
      expect.objectContaining({
        startMs: T0 + 19 * H,
        endMs: T0 + 19.5 * H,
        value: 1800,
        eventId: setpoint.id,
      }),
      expect.objectContaining({
        startMs: T0 + 19.5 * H,
        endMs: T0 + 20 * H,
        value: -200,
        eventId: setpoint.id,
      }),
    ]);
    expect(byKind('shed_kw')).toEqual([expect.objectContaining({ value: 400, eventId: shed.id })]);
    expect(byKind('import_limit_kw')).toEqual([expect.objectContaining({ value: 3000, eventId: shed.id })]);
  });

  it('an event deleted at the VTN is gone from signals() after the next poll; ended intervals drop out', async () => {
    const { vtn, ven, program, clock } = await setup({ ven: { subscribe: false } });
    const limit = await issueImportLimit(vtn, program.id, T0 + 14 * H, 60, 100);
    const prices = await vtn.issuePriceEvent({
      programID: program.id,
      startMs: T0,
      intervalMinutes: 60,
      pricesKrwPerKwh: [120, 180],
    });
    await ven.start();
    expect(ven.signals().map((s) => s.eventId)).toEqual([limit.id, prices.id, prices.id]);

    await vtn.deleteEvent(limit.id); // no webhook here: the poll must notice
    expect(ven.signals().map((s) => s.eventId)).toContain(limit.id);
    await ven.sync();
    expect(ven.signals().map((s) => s.eventId)).toEqual([prices.id, prices.id]);

    clock.set(T0 + H); // the first price hour has ended
    expect(ven.signals()).toEqual([
      expect.objectContaining({ kind: 'price_krw_per_kwh', startMs: T0 + H, value: 180 }),
    ]);
    clock.set(T0 + 2 * H);
    expect(ven.signals()).toEqual([]);
  });

  it("an update replaces the event's signals; a payload in unknown units is logged and skipped", async () => {
    const { vtn, ven, program, ctx } = await setup();
    await ven.start();
    const limit = await issueImportLimit(vtn, program.id, T0 + 14 * H, 60, 100);
    await vtn.updateEvent(limit.id, {
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'HP' },
      ],
    });
    expect(ven.signals()).toEqual([]);
    expect(lines(ctx, /import limit skipped, unknown units/)).toHaveLength(1);
    await ven.sync();
    ven.signals();
    expect(lines(ctx, /import limit skipped, unknown units/)).toHaveLength(1); // once per event version
    expect(ven.status().health).toBe('online');
  });
});

describe('OpenADR reports from the grid meter', () => {
  it('posts DEMAND and USAGE after the event ends, from measured import, validated by the VTN', async () => {
    const { vtn, ven, program, clock } = await setup();
    await ven.start();
    const limit = await issueImportLimit(vtn, program.id, T0, 60, 1000);
    // Grid import 1000 kW for 45 minutes, then 600 kW: time-weighted mean 900 kW, 900 kWh.
    ven.ingest([{ assetId: 'grid', measurement: 'power_kw', value: 1000, timeMs: T0 }]);
    ven.ingest([{ assetId: 'grid', measurement: 'power_kw', value: 1000, timeMs: T0 }]); // same sample again
    ven.ingest([{ assetId: 'grid', measurement: 'power_kw', value: 600, timeMs: T0 + 45 * MIN }]);
    ven.ingest([{ assetId: 'factory-pv', measurement: 'power_kw', value: 5000, timeMs: T0 + 10 * MIN }]);
    clock.set(T0 + 59 * MIN);
    await ven.sync();
    expect(vtn.reports()).toEqual([]); // the event has not ended yet

    clock.set(T0 + 61 * MIN);
    await ven.sync();
    expect(vtn.rejectedReports).toEqual([]);
    expect(vtn.reports()).toHaveLength(1);
    const report = vtn.reports()[0];
    expect(checkSchema('report', report).errors).toEqual([]);
    expect(report).toMatchObject({
      programID: program.id,
      eventID: limit.id,
      clientName: 'bitgrid-gwangju',
      payloadDescriptors: [
        { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'DEMAND', readingType: 'MEAN', units: 'KW' },
        {
          objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
          payloadType: 'USAGE',
          readingType: 'ESTIMATED',
          units: 'KWH',
        },
      ],
      resources: [
        {
          resourceName: 'AGGREGATED_REPORT',
          intervals: [
            {
              id: 0,
              intervalPeriod: { start: new Date(T0).toISOString(), duration: 'PT3600S' },
              payloads: [
                { type: 'DEMAND', values: [900] },
                { type: 'USAGE', values: [900] },
              ],
            },
          ],
        },
      ],
    });
    expect(
      vtn.exchanges.filter((x) => x.method === 'POST' && x.path === '/reports').map((x) => x.status),
    ).toEqual([201]);
    await ven.sync();
    expect(vtn.reports()).toHaveLength(1); // once per event
  });

  it('waits for late telemetry, converts to the units asked for, and gives up with one warning', async () => {
    const { vtn, ven, program, clock, ctx } = await setup();
    await ven.start();
    const late = await issueImportLimit(vtn, program.id, T0, 30, 500, {
      reportDescriptors: [{ payloadType: 'DEMAND', units: 'MW' }],
    });
    const never = await issueImportLimit(vtn, program.id, T0 + 2 * H, 30, 500);
    clock.set(T0 + 31 * MIN);
    await ven.sync();
    expect(vtn.reports()).toEqual([]); // no samples yet: nothing invented
    ven.ingest([{ assetId: 'grid', measurement: 'power_kw', value: 450, timeMs: T0 + 1 * MIN }]);
    await ven.sync();
    expect(vtn.reports().map((r) => [r.eventID, r.resources[0].intervals[0].payloads])).toEqual([
      [late.id, [{ type: 'DEMAND', values: [0.45] }]],
    ]);

    clock.set(T0 + 2.5 * H + 1); // `never` ended, no samples in its window
    await ven.sync();
    clock.set(T0 + 4 * H); // past the reporting window
    await ven.sync();
    await ven.sync();
    expect(vtn.reports()).toHaveLength(1);
    const abandoned = lines(ctx, /report abandoned/);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0].o).toMatchObject({ eventID: never.id, reportAsset: 'grid' });
  });
  it('the VTN twin refuses a report that breaks the schema or answers what the event did not ask', async () => {
    const { vtn, program } = await setup();
    const limit = await issueImportLimit(vtn, program.id, T0, 60, 1000);
    const tokenRes = await fetch(`${vtn.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=bitgrid-ven&client_secret=s3cret-ven',
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const post = async (body: object) => {
      const res = await fetch(`${vtn.url}/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { detail?: string } };
    };
    const interval = { id: 0, payloads: [{ type: 'PRICE', values: [1] }] };
    const noClient = await post({ programID: program.id, eventID: limit.id, resources: [] });
    expect(noClient.status).toBe(400);
    expect(noClient.body.detail).toMatch(/clientName/);
    const notAsked = await post({
      programID: program.id,
      eventID: limit.id,
      clientName: 'x',
      resources: [{ resourceName: 'AGGREGATED_REPORT', intervals: [interval] }],
    });
    expect(notAsked.status).toBe(400);
    expect(notAsked.body.detail).toMatch(/PRICE was not asked for/);
    expect(vtn.rejectedReports).toHaveLength(2);
    expect(vtn.reports()).toEqual([]);
  });
});

describe('OpenADR recovery after the VTN lost its records', () => {
  it('re-registers and re-subscribes on the next poll, then receives the next event by webhook', async () => {
    const { vtn, ven, program, ctx } = await setup();
    await ven.start();
    const firstVen = ven.venID;
    const firstSub = [...vtn.subscriptions.keys()][0];
    expect(firstVen).toBeDefined();

    vtn.forgetVens();
    expect(vtn.vens.size).toBe(0);
    await ven.sync();
    expect(ven.status().health).toBe('online');
    expect([...vtn.vens.values()].map((v) => v.venName)).toEqual(['bitgrid-gwangju']);
    expect(ven.venID).toBe([...vtn.vens.keys()][0]);
    expect(ven.venID).not.toBe(firstVen);
    const subs = [...vtn.subscriptions.values()];
    expect(subs).toHaveLength(1);
    expect(subs[0].id).not.toBe(firstSub);
    expect(subs[0]).toMatchObject({ clientName: 'bitgrid-gwangju', programID: program.id });
    expect(lines(ctx, /lost this VEN's records/)).toHaveLength(1);
    expect(lines(ctx, /re-registered and re-subscribed/)).toHaveLength(1);

    const limit = await issueImportLimit(vtn, program.id, T0 + 14 * H, 60, 100);
    expect(vtn.deliveries.at(-1)).toMatchObject({ status: 200, notification: { operation: 'POST' } });
    expect(ven.signals()).toEqual([
      expect.objectContaining({ kind: 'import_limit_kw', value: 100, eventId: limit.id }),
    ]);

    await ven.sync(); // nothing lost this time: no second recovery
    expect(lines(ctx, /lost this VEN's records/)).toHaveLength(1);
    expect(vtn.vens.size).toBe(1);
    expect(vtn.subscriptions.size).toBe(1);
  });

  it('after a VTN restart without its records it retries with back-off by itself, logging once', async () => {
    const { vtn, ven, program, ctx } = await setup({ ven: { reconnect_min_ms: 20, reconnect_max_ms: 80 } });
    await ven.start();
    const port = Number(new URL(vtn.url).port);

    await vtn.stop();
    vtn.forgetVens({ tokens: true });
    await ven.sync().catch(() => undefined);
    expect(ven.status().health).toBe('degraded');
    // Retries run on their own timer while the VTN is down; the outage is logged once.
    await new Promise((r) => setTimeout(r, 300));
    expect(lines(ctx, /exchange with the VTN failed/)).toHaveLength(1);

    await vtn.start(port);
    await waitFor(() => ven.status().health === 'online', 5000, 'VEN back online');
    expect(vtn.vens.size).toBe(1);
    expect(vtn.subscriptions.size).toBe(1);
    expect(lines(ctx, /lost this VEN's records/)).toHaveLength(1);
    expect(lines(ctx, /re-registered and re-subscribed/)).toHaveLength(1);

    const limit = await issueImportLimit(vtn, program.id, T0 + 14 * H, 60, 100);
    expect(ven.signals().map((s) => s.eventId)).toEqual([limit.id]);
  });
});
