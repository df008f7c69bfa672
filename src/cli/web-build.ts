import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_ROOT = join(ROOT, 'web/dist');
const WEB_SRC = join(ROOT, 'web/src');
const WEB_CONFIG = join(ROOT, 'web/vite.config.ts');

function newestMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The dashboard's production build, made on first use when it is missing or older than its
 * sources, so `npm ci && npx bitgrid serve` serves it without a separate build step. Returns the
 * folder to serve, or undefined when the sources or Vite are not there (an installed package
 * without dev dependencies serves only the API).
 */
export async function ensureWebBuild(log?: {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}): Promise<string | undefined> {
  const index = join(WEB_ROOT, 'index.html');
  const hasSources = existsSync(WEB_SRC) && existsSync(WEB_CONFIG);
  if (existsSync(index) && (!hasSources || statSync(index).mtimeMs >= newestMs(WEB_SRC))) return WEB_ROOT;
  if (!hasSources) return undefined;
  try {
    log?.info({}, 'building the dashboard (first start)');
    const { build } = await import('vite');
    await build({ configFile: WEB_CONFIG, logLevel: 'warn' });
    return WEB_ROOT;
  } catch (e) {
    log?.warn({ err: (e as Error).message }, 'dashboard build failed: serving the API only');
    return existsSync(index) ? WEB_ROOT : undefined;
  }
}
