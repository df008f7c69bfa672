import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { redactUrl } from '../../src/server/index.ts';
import { call, startTestServer, type TestServer } from './fixture.ts';

// Secrets never reach the log: the server logs through a pino logger whose output is captured here,
// while requests carry tokens in headers, in the query (streams), in bodies and in replies.

const lines: string[] = [];
const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
let srv: TestServer;
let web: string;

beforeAll(async () => {
  web = mkdtempSync(join(tmpdir(), 'bitgrid-web-'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>bitgrid</title>');
  srv = await startTestServer({ logger, webRoot: web });
});
afterAll(async () => {
  await srv?.close();
  rmSync(web, { recursive: true, force: true });
});

describe('logging', () => {
  it('never writes a token, however it travels', async () => {
    const secrets = Object.values(srv.tokens);
    await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer });
    await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer.slice(0, -2) + 'xx' });
    const created = await call(srv, 'POST', '/api/tokens', {
      token: srv.tokens.admin,
      body: { name: 'logged', role: 'viewer' },
    });
    secrets.push(created.body.token);
    await call(srv, 'POST', '/api/overrides', { token: srv.tokens.viewer, body: { assetId: 'x' } });
    const ac = new AbortController();
    const sse = await fetch(`${srv.url}/api/stream/sse?token=${srv.tokens.operator}&x=1`, {
      signal: ac.signal,
    });
    expect(sse.status).toBe(200);
    ac.abort();
    const ws = new WebSocket(
      `${srv.url.replace('http', 'ws')}/api/stream?token=${encodeURIComponent(srv.tokens.admin)}`,
    );
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    ws.close();
    srv.app.log.info(
      {
        headers: { authorization: `Bearer ${srv.tokens.viewer}` },
        req: { headers: { authorization: srv.tokens.viewer } },
      },
      'header check',
    );
    await new Promise((r) => setTimeout(r, 50));

    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    expect(text).toContain('/api/stream/sse?token=%5BREDACTED%5D&x=1');
    expect(text).toContain('/api/stream?token=%5BREDACTED%5D');
    expect(text).toContain('"authorization":"[REDACTED]"');
    for (const s of secrets) {
      expect(text).not.toContain(s);
      // Nor the secret part alone (the id before it is public).
      expect(text).not.toContain(s.slice(-43));
    }
  });

  it('redacts every token parameter of a URL and nothing else', () => {
    expect(redactUrl('/a?token=abc&b=2&TOKEN=def#x')).toBe(
      '/a?token=%5BREDACTED%5D&b=2&TOKEN=%5BREDACTED%5D#x',
    );
    expect(redactUrl('/a?mytoken=abc')).toBe('/a?mytoken=abc');
  });
});

describe('web root', () => {
  it('serves the dashboard without a token and falls back to its index for client-side routes', async () => {
    const index = await fetch(`${srv.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>bitgrid</title>');
    const deep = await fetch(`${srv.url}/assets/factory-pv`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/html/);
    const api = await call(srv, 'GET', '/api/nowhere');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('BITGRID_ERR_NOT_FOUND');
  });
});
