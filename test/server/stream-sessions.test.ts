import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './fixture.ts';
import { inbox, opened } from './ws.ts';

// Charging sessions in the live stream: the OCPP driver reports each session's energy on its own
// channel (`session_energy_kwh@<charger>/tx:<id>`), which the live state keeps for good. The stream
// leaves those keys out of the snapshot and the deltas, so a client's state stays bounded however
// many sessions come and go; connector measurements still arrive.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- stream messages are asserted field by field
type Message = any;

function connect(): Promise<{ ws: WebSocket; next(): Promise<Message> }> {
  const ws = new WebSocket(`${srv.url.replace(/^http/, 'ws')}/api/stream`, {
    headers: { authorization: `Bearer ${srv.tokens.viewer}` },
  });
  const box = inbox(ws);
  return opened(ws).then(() => ({ ws, next: () => box.next() }));
}

const measurementKeys = (state: Message, asset: string) => Object.keys(state.assets[asset].measurements);

describe('stream and charging sessions', () => {
  it('leaves per-session keys out of deltas and snapshots, keeps connector values and a gapless seq', async () => {
    const a = await connect();
    expect((await a.next()).type).toBe('snapshot');

    // Sessions on a multi-charger asset (`<charger>/tx:<id>`) and a single-charger one (`tx:<id>`).
    for (let tx = 1; tx <= 3; tx++)
      srv.live.step('campus-ev', `session_energy_kwh@campus-ev-ac-001/tx:${tx}`, tx * 1.5);
    srv.live.step('depot-buses', 'session_energy_kwh@tx:77', 12);
    srv.live.step('campus-ev', 'power_kw@campus-ev-ac-001/1', 7.2);

    // The session-only cycles still move the clock (time, cycle), so each is one delta: seq 1…5.
    const deltas: Message[] = [];
    for (let i = 0; i < 5; i++) deltas.push(await a.next());
    expect(deltas.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5]);
    const keys = deltas.flatMap((d) => Object.keys(d.changes));
    expect(keys.filter((k) => k.includes('tx:'))).toEqual([]);
    expect(deltas[4].changes['assets.campus-ev.measurements.power_kw@campus-ev-ac-001/1.value']).toBe(7.2);

    // The live system holds the session keys; a new client's snapshot does not.
    expect(srv.live.snapshot().assets.find((x) => x.id === 'campus-ev')!.measurements).toHaveProperty(
      'session_energy_kwh@campus-ev-ac-001/tx:3',
    );
    const b = await connect();
    const snap = await b.next();
    expect(snap.type).toBe('snapshot');
    expect(measurementKeys(snap.state, 'campus-ev')).toEqual(['power_kw@campus-ev-ac-001/1']);
    expect(measurementKeys(snap.state, 'depot-buses')).toEqual([]);
    a.ws.close();
    b.ws.close();

    // GET /api/state is the stream's first message: the same rule.
    const res = await fetch(`${srv.url}/api/state`, {
      headers: { authorization: `Bearer ${srv.tokens.viewer}` },
    });
    const state = (await res.json()) as Message;
    expect(measurementKeys(state, 'campus-ev')).toEqual(['power_kw@campus-ev-ac-001/1']);
    expect(measurementKeys(state, 'depot-buses')).toEqual([]);
  });
});
