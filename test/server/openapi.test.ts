import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, readCommittedOpenApi } from '../../src/server/openapi.ts';
import { call, startTestServer } from './fixture.ts';

// docs/openapi.json is generated from the routes' zod schemas. When a route changes, regenerate it:
//   npx tsx src/server/openapi.ts --write

describe('OpenAPI document', () => {
  it('matches docs/openapi.json (regenerate with `npx tsx src/server/openapi.ts --write`)', async () => {
    const doc = await buildOpenApiDocument();
    expect(
      doc,
      'docs/openapi.json has drifted from the routes: run `npx tsx src/server/openapi.ts --write`',
    ).toEqual(readCommittedOpenApi());
  });

  it('describes every route with its auth and error replies, and is served at /api/openapi.json', async () => {
    const srv = await startTestServer();
    try {
      const r = await call(srv, 'GET', '/api/openapi.json');
      expect(r.status).toBe(200);
      const doc = r.body;
      expect(doc.openapi).toBe('3.1.0');
      expect(doc).toEqual(readCommittedOpenApi());
      const routes = srv.app.printRoutes({ commonPrefix: false });
      for (const path of [
        '/api/state',
        '/api/stream',
        '/api/stream/sse',
        '/api/overrides',
        '/api/tokens',
        '/api/simulations',
        '/api/kpis',
      ]) {
        expect(routes).toContain(path.split('/').at(-1));
        expect(doc.paths[path], path).toBeDefined();
      }
      expect(doc.paths['/api/health'].get.security).toBeUndefined();
      expect(doc.paths['/api/state'].get.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/api/overrides'].post.responses['422']).toBeDefined();
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
      const post = doc.paths['/api/overrides'].post.requestBody.content['application/json'].schema.$ref
        .split('/')
        .at(-1);
      expect(doc.components.schemas[post].required).toEqual(
        expect.arrayContaining(['assetId', 'kind', 'value', 'durationMinutes', 'reason']),
      );
    } finally {
      await srv.close();
    }
  });
});
