import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { startServe } from '../../src/cli/serve.ts';
import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { createServer } from '../../src/server/index.ts';

// A real `serve --twin` with the built dashboard, for the end-to-end tests and bench/web.ts.
// startServe does not take a webRoot yet, so a second API server is created on the same live loop
// and store with `webRoot: web/dist` — the same createServer that serve calls, on its own port.

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));
const WEB_CONFIG = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));
/** Twin clock: 240 simulated seconds per second, so a control cycle (60 s) every 0.25 s. */
export const TWIN_SPEED = 240;

const WEB_SRC = fileURLToPath(new URL('../../web/src', import.meta.url));

function newestMs(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir).map((f) => {
      const p = join(dir, f);
      const st = statSync(p);
      return st.isDirectory() ? newestMs(p) : st.mtimeMs;
    }),
  );
}

/**
 * Builds the dashboard with vite's JS API when web/dist has no index.html, when a source under
 * web/src is newer than it (a stale build would test old code), or when forced.
 */
export async function ensureWebBuild(force = false): Promise<void> {
  const index = join(WEB_ROOT, 'index.html');
  if (!force && existsSync(index) && statSync(index).mtimeMs >= newestMs(WEB_SRC)) return;
  const { build } = await import('vite');
  await build({ configFile: WEB_CONFIG, logLevel: 'warn' });
}

export interface Dashboard {
  url: string;
  tokens: { viewer: string; operator: string };
  /** The live system's store, for a test to add what the twin does not produce (an alarm). */
  store: Awaited<ReturnType<typeof startServe>>['store'];
  stop(): Promise<void>;
}

/**
 * `optimal` by default: the planner then stores a plan in force (the charts show it); `rules` has no
 * plan and decides every cycle.
 */
export async function startDashboard(opts: { strategy?: string } = {}): Promise<Dashboard> {
  await ensureWebBuild();
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-web-'));
  process.env.BITGRID_LOG_LEVEL ??= 'error';
  const running = await startServe({
    scenario: REFERENCE_SCENARIO_FILE,
    port: 0,
    host: '127.0.0.1',
    twin: true,
    speed: TWIN_SPEED,
    strategy: opts.strategy ?? 'optimal',
    db: `sqlite:${join(dir, 'bitgrid.db')}`,
    cycleS: 60,
    staleS: 300,
    replanMin: 15,
  });
  let web: FastifyInstance | undefined;
  try {
    web = await createServer({
      live: running.loop,
      store: running.store,
      scenario: loadScenarioFile(REFERENCE_SCENARIO_FILE),
      webRoot: WEB_ROOT,
      rateLimit: false,
      // This server shares the control thread with a 240× twin and its planner (serve itself puts
      // the API in a worker): shedding would refuse the browser for the loop's ordinary busy turns.
      shedding: false,
    });
    const url = await web.listen({ port: 0, host: '127.0.0.1' });
    const now = Date.now();
    const viewer = (await running.store.createToken({ name: 'e2e viewer', role: 'viewer', createdMs: now }))
      .token;
    const operator = (
      await running.store.createToken({ name: 'e2e operator', role: 'operator', createdMs: now })
    ).token;
    return {
      url,
      tokens: { viewer, operator },
      store: running.store,
      async stop() {
        await web?.close().catch(() => undefined);
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await web?.close().catch(() => undefined);
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
