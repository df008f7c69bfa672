import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LiveSystem } from '../control/types.ts';
import { loadScenarioFile } from '../model/load.ts';
import { openStore } from '../store/index.ts';
import { createServer } from './index.ts';

// docs/openapi.json is generated, never edited: the routes' zod schemas are the source. Regenerate with
// `npx tsx src/server/openapi.ts --write`; test/server/openapi.test.ts fails when the file has drifted.

export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

/** Stands in for the live system while the document is built: no route runs, so nothing is called. */
const documentOnlyLive: LiveSystem = {
  snapshot: () => {
    throw new Error('no live system: building the OpenAPI document');
  },
  subscribe: () => () => undefined,
  setOverride: async () => {
    throw new Error('no live system: building the OpenAPI document');
  },
  clearOverride: async () => {
    throw new Error('no live system: building the OpenAPI document');
  },
  overrides: () => [],
};

/** The OpenAPI document of the routes as they are registered now. */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const store = await openStore('sqlite::memory:');
  try {
    const app = await createServer({ live: documentOnlyLive, store, scenario: loadScenarioFile() });
    await app.ready();
    const doc = app.swagger() as unknown as Record<string, unknown>;
    await app.close();
    return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  } finally {
    await store.close();
  }
}

export function formatOpenApi(doc: unknown): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

export function readCommittedOpenApi(): unknown {
  return JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const doc = await buildOpenApiDocument();
  if (process.argv.includes('--write')) {
    writeFileSync(OPENAPI_FILE, formatOpenApi(doc));
    process.stderr.write(
      `wrote ${OPENAPI_FILE} (${Object.keys((doc.paths as object) ?? {}).length} paths)\n`,
    );
  } else {
    process.stdout.write(formatOpenApi(doc));
  }
}
