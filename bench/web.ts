import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, startDashboard, WEB_ROOT } from '../test/web/harness.ts';

/** The page's globals, typed here because the root tsconfig has no DOM lib (functions run in the browser). */
type PageWindow = {
  document: {
    querySelector(s: string): { textContent: string | null; className: string } | null;
    documentElement: { lang: string; dataset: Record<string, string | undefined> };
  };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  performance: { now(): number; getEntriesByType(t: string): { startTime: number; loadEventEnd?: number }[] };
};

// The dashboard's production bundle (bytes, raw and gzip; what the first page needs and the total
// with the lazy chunks) and its first load on loopback in headless Chromium: navigation to the load
// event, then to the live flow diagram drawn from the stream (signed in with a token).

/** Loads measured; the median is reported. */
const LOADS = 5;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchWeb(): Promise<Record<string, number | string>> {
  await ensureWebBuild(true);
  const all = files(WEB_ROOT).filter((f) => /\.(js|css|html)$/.test(f));
  const size = (list: string[]) => list.reduce((a, f) => a + statSync(f).size, 0);
  const gz = (list: string[]) => list.reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  // What index.html pulls in before any lazy chunk: its own script and stylesheet tags.
  const html = readFileSync(join(WEB_ROOT, 'index.html'), 'utf8');
  const initial = [
    join(WEB_ROOT, 'index.html'),
    ...[...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => join(WEB_ROOT, m[1])),
  ];
  const out: Record<string, number | string> = {
    bundleBytes: size(all),
    bundleGzipBytes: gz(all),
    firstLoadGzipBytes: gz(initial),
  };

  const { chromium } = await import('playwright-core');
  // rules: no planner solving in the background while the first load is timed.
  const dash = await startDashboard({ strategy: 'rules' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const loads: number[] = [];
    const live: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      // A fresh context each time: nothing cached, as a first visit.
      const ctx = await browser.newContext();
      await ctx.addInitScript(
        (t) => (globalThis as unknown as PageWindow).sessionStorage.setItem('bitgrid.token', t),
        dash.tokens.viewer,
      );
      const page = await ctx.newPage();
      const t0 = Date.now();
      await page.goto(dash.url, { waitUntil: 'load' });
      loads.push(
        await page.evaluate(() => {
          const perf = (globalThis as unknown as PageWindow).performance;
          const n = perf.getEntriesByType('navigation')[0];
          return n && n.loadEventEnd ? n.loadEventEnd - n.startTime : perf.now();
        }),
      );
      await page.getByTestId('flow-diagram').waitFor({ timeout: 30_000 });
      live.push(Date.now() - t0);
      await ctx.close();
    }
    out.firstLoadMs = Math.round(median(loads) * 10) / 10;
    out.toLiveDiagramMs = median(live);
    out.loads = LOADS;
  } finally {
    await browser.close();
    await dash.stop();
  }
  return out;
}
