import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, goodOverride, startTestServer, type TestServer } from './fixture.ts';

// Auth, roles, validation and the audit trail over real HTTP. Every refused request is checked to
// leave the state as it was: overrides, tokens and events read before and after.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.close());

async function stateOf() {
  const overrides = srv.live.overrides().map((o) => o.id);
  const tokens = (await srv.store.listTokens()).map((t) => [t.id, t.revokedMs ?? null]);
  const events = (await srv.store.listEvents()).map((e) => [e.id, e.acknowledged]);
  const runs = (await srv.store.listSimRuns()).map((r) => r.id);
  return { overrides, tokens, events, runs };
}

async function auditCount() {
  return (await srv.store.listAudit({ limit: 10_000 })).length;
}

describe('authentication', () => {
  it('refuses a request without a token with 401, the error shape and a WWW-Authenticate header', async () => {
    const r = await call(srv, 'GET', '/api/state');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      error: { code: 'BITGRID_ERR_UNAUTHENTICATED', message: expect.stringContaining('bearer token') },
    });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a malformed Authorization header, an unknown token and a revoked token', async () => {
    expect(
      (await call(srv, 'GET', '/api/state', { headers: { authorization: `Basic ${srv.tokens.viewer}` } }))
        .status,
    ).toBe(401);
    expect(
      (await call(srv, 'GET', '/api/state', { token: 'bgt_0000000000000000_' + 'A'.repeat(43) })).status,
    ).toBe(401);
    const t = await srv.store.createToken({
      name: 'short-lived',
      role: 'viewer',
      createdMs: srv.live.timeMs,
    });
    expect((await call(srv, 'GET', '/api/state', { token: t.token })).status).toBe(200);
    // Through the API: it takes effect at once, whatever the token check cache holds.
    expect(
      (await call(srv, 'DELETE', `/api/tokens/${t.record.id}`, { token: srv.tokens.admin })).status,
    ).toBe(200);
    const r = await call(srv, 'GET', '/api/state', { token: t.token });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/revoked/);
  });

  it('accepts ?token= only on the stream routes', async () => {
    expect((await call(srv, 'GET', `/api/state?token=${srv.tokens.admin}`)).status).toBe(401);
  });

  it('lets /api/health through without a token', async () => {
    const r = await call(srv, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body.store.ok).toBe(true);
  });

  it('refuses unauthenticated writes without changing anything or auditing an actor', async () => {
    const before = await stateOf();
    const audits = await auditCount();
    expect((await call(srv, 'POST', '/api/overrides', { body: goodOverride })).status).toBe(401);
    expect((await call(srv, 'POST', '/api/tokens', { body: { name: 'x', role: 'admin' } })).status).toBe(401);
    expect((await call(srv, 'DELETE', `/api/tokens/${srv.tokenIds.admin}`)).status).toBe(401);
    expect((await call(srv, 'POST', '/api/simulations', { body: { days: 1 } })).status).toBe(401);
    expect(await stateOf()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });
});

describe('roles', () => {
  it('gives a viewer 403 on writes, changes nothing, and audits each refusal', async () => {
    const ev = await srv.store.addEvent({
      timeMs: srv.live.timeMs,
      severity: 'warning',
      source: 'test',
      code: 'TEST',
      message: 'm',
    });
    const before = await stateOf();
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/overrides', goodOverride, 'override.set'],
      ['POST', `/api/events/${ev.id}/ack`, undefined, 'event.ack'],
      ['POST', '/api/simulations', { days: 1 }, 'simulation.start'],
      ['POST', '/api/tokens', { name: 'sneaky', role: 'admin' }, 'token.create'],
      ['DELETE', `/api/tokens/${srv.tokenIds.admin}`, undefined, 'token.revoke'],
    ];
    for (const [method, path, body, action] of cases) {
      const r = await call(srv, method, path, { token: srv.tokens.viewer, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('BITGRID_ERR_FORBIDDEN');
      const [last] = await srv.store.listAudit({ limit: 1 });
      expect(last).toMatchObject({ actor: srv.tokenIds.viewer, role: 'viewer', action, outcome: 'denied' });
    }
    expect(await stateOf()).toEqual(before);
  });

  it('gives an operator 403 on token management and the audit log records it', async () => {
    const before = await stateOf();
    for (const [method, path, body] of [
      ['POST', '/api/tokens', { name: 'x', role: 'viewer' }],
      ['GET', '/api/tokens', undefined],
      ['DELETE', `/api/tokens/${srv.tokenIds.viewer}`, undefined],
    ] as const) {
      const r = await call(srv, method, path, { token: srv.tokens.operator, body });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect(await stateOf()).toEqual(before);
    const [last] = await srv.store.listAudit({ limit: 1 });
    expect(last).toMatchObject({
      actor: srv.tokenIds.operator,
      action: 'token.revoke',
      target: `token:${srv.tokenIds.viewer}`,
      outcome: 'denied',
    });
  });

  it('lets a viewer read the audit log only with operator rights', async () => {
    expect((await call(srv, 'GET', '/api/audit', { token: srv.tokens.viewer })).status).toBe(403);
    expect((await call(srv, 'GET', '/api/audit', { token: srv.tokens.operator })).status).toBe(200);
  });

  it('lets an admin create, list and revoke tokens, each audited', async () => {
    const created = await call(srv, 'POST', '/api/tokens', {
      token: srv.tokens.admin,
      body: { name: 'dashboard', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^bgt_[0-9a-f]{16}_/);
    const id = created.body.record.id;
    expect((await call(srv, 'GET', '/api/state', { token: created.body.token })).status).toBe(200);
    const list = await call(srv, 'GET', '/api/tokens', { token: srv.tokens.admin });
    expect(list.body.tokens.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const revoked = await call(srv, 'DELETE', `/api/tokens/${id}`, { token: srv.tokens.admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toMatch(/\+09:00$/);
    expect((await call(srv, 'GET', '/api/state', { token: created.body.token })).status).toBe(401);
    const audit = await srv.store.listAudit({ target: `token:${id}` });
    expect(audit.map((a) => [a.action, a.outcome, a.actor, a.role])).toEqual([
      ['token.revoke', 'ok', srv.tokenIds.admin, 'admin'],
      ['token.create', 'ok', srv.tokenIds.admin, 'admin'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.body.token);
    expect(
      (await call(srv, 'DELETE', '/api/tokens/0123456789abcdef', { token: srv.tokens.admin })).status,
    ).toBe(404);
  });
});

describe('validation', () => {
  it('answers a malformed override body with 400 naming the field, changes nothing, audits the refusal', async () => {
    const before = await stateOf();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...goodOverride, durationMinutes: -5 }, 'durationMinutes'],
      [{ ...goodOverride, value: 'lots' }, 'value'],
      [{ ...goodOverride, kind: 'warp_drive' }, 'kind'],
      [{ ...goodOverride, extra: 1 }, ''],
      [{ kind: 'battery_power_kw', value: 1, durationMinutes: 5, reason: 'r' }, 'assetId'],
      [{ ...goodOverride, reason: '   ' }, 'reason'],
    ];
    for (const [body, field] of cases) {
      const r = await call(srv, 'POST', '/api/overrides', { token: srv.tokens.operator, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('BITGRID_ERR_VALIDATION');
      if (field) expect(r.body.error.field).toBe(field);
      const [last] = await srv.store.listAudit({ limit: 1 });
      expect(last).toMatchObject({ actor: srv.tokenIds.operator, action: 'override.set', outcome: 'denied' });
    }
    expect(await stateOf()).toEqual(before);
  });

  it('answers broken JSON, a missing body and a wrong content type with 4xx and the error shape', async () => {
    const bad = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      rawBody: '{"assetId": ',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BITGRID_ERR_BAD_REQUEST');
    const none = await call(srv, 'POST', '/api/overrides', { token: srv.tokens.operator });
    expect(none.status).toBe(400);
    expect(none.body.error.field).toBe('body');
    const text = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      rawBody: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('BITGRID_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('names the query field of a bad time', async () => {
    const r = await call(
      srv,
      'GET',
      '/api/telemetry?asset=grid&measurement=power_kw&from=2026-08-03T00:00:00&to=2026-08-04T00:00:00%2B09:00',
      {
        token: srv.tokens.viewer,
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'from' });
  });
});

describe('overrides through the guards', () => {
  it('maps a GuardRejection to 422 with its field, leaves overrides unchanged and is audited once (by the live system)', async () => {
    const audits = await auditCount();
    const before = await stateOf();
    const r = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      body: { ...goodOverride, value: 1e6 },
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'BITGRID_ERR_GUARD', field: 'value' });
    expect(await stateOf()).toEqual(before);
    expect(await auditCount()).toBe(audits + 1);
    const [last] = await srv.store.listAudit({ limit: 1 });
    expect(last).toMatchObject({
      action: 'override.set',
      outcome: 'denied',
      actor: srv.tokenIds.operator,
      target: 'shared-battery',
    });
  });

  it('creates, lists and clears an override', async () => {
    const created = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      body: goodOverride,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      assetId: 'shared-battery',
      kind: 'battery_power_kw',
      value: 500,
      createdBy: srv.tokenIds.operator,
    });
    expect(Date.parse(created.body.expires) - Date.parse(created.body.start)).toBe(30 * 60_000);
    const list = await call(srv, 'GET', '/api/overrides', { token: srv.tokens.viewer });
    expect(list.body.overrides.map((o: { id: string }) => o.id)).toEqual([created.body.id]);
    const audits = await auditCount();
    const del = await call(srv, 'DELETE', `/api/overrides/${created.body.id}`, {
      token: srv.tokens.operator,
    });
    expect(del.status).toBe(200);
    expect(srv.live.overrides()).toEqual([]);
    expect(await auditCount()).toBe(audits + 1);
    const again = await call(srv, 'DELETE', `/api/overrides/${created.body.id}`, {
      token: srv.tokens.operator,
    });
    expect(again.status).toBe(404);
    const [last] = await srv.store.listAudit({ limit: 1 });
    expect(last).toMatchObject({ action: 'override.clear', outcome: 'denied' });
  });
});

describe('rate limiting', () => {
  it('answers 429 past the limit, per token, with Retry-After, and does not audit the flood', async () => {
    const limited = await startTestServer({ rateLimit: { max: 5, timeWindowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await call(limited, 'GET', '/api/state', { token: limited.tokens.viewer })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const r = await call(limited, 'GET', '/api/state', { token: limited.tokens.viewer });
      expect(r.body.error.code).toBe('BITGRID_ERR_RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another token has its own budget.
      expect((await call(limited, 'GET', '/api/state', { token: limited.tokens.operator })).status).toBe(200);
      const audits = (await limited.store.listAudit()).length;
      for (let i = 0; i < 6; i++)
        await call(limited, 'POST', '/api/overrides', { token: limited.tokens.admin, body: goodOverride });
      const after = await limited.store.listAudit();
      // Five got through (each audited by the live system); the sixth was limited and left no entry.
      expect(after.length - audits).toBe(5);
      expect(limited.live.overrides()).toHaveLength(5);
    } finally {
      await limited.close();
    }
  });
});
