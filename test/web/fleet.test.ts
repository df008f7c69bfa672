import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetApi, sha256Hex, SITE_STALE_AFTER_MS } from '../../src/fleet/api.ts';
import type { FleetBackend } from '../../src/fleet/backend.ts';
import type { FleetEdge } from '../../src/fleet/edge.ts';
import type { KpiMessage, ScheduleMessage, SiteReportMessage } from '../../src/fleet/messages.ts';
import { removeFleetTestState, startFleet, until } from '../fleet/services.ts';
import { siteKpi, sitePlan, siteReport } from '../fleet/messages.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, WEB_ROOT } from './harness.ts';

// End to end: the fleet dashboard (web/fleet.html) served by the fleet API of a backend that took
// three sites' telemetry, KPIs, reports and a plan through the machine's NATS JetStream into
// PostgreSQL, driven in Debian's headless Chromium: the site list with each site's status, the
// summed KPIs and RE100 ledger, a feeder's shares, a drill-down, and a token scoped to one site.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;
const PG_URL = process.env.BITGRID_TEST_PG_URL;
const hasChromium = existsSync(CHROMIUM);
const SHOTS = 'test-results';
const MIN_MS = 60_000;
const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-08-03T00:00:00+09:00');
const IDS = ['site-a', 'site-b', 'site-c'];
const FEEDER_CAP_KW = 9000;
const WAIT_MS = 20_000;

const kpi = (i: number, day: number): KpiMessage =>
  siteKpi(i, T0 + day * DAY_MS + 23 * 60 * MIN_MS, `2026-08-0${3 + day}`);
const report = (i: number): SiteReportMessage => siteReport(i, T0);
const schedule: ScheduleMessage = sitePlan(T0, [4000, 4100, 4200, 4300]);

/** The page's globals, typed here because the root tsconfig has no DOM lib (functions run in the browser). */
type PageWindow = {
  document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
  sessionStorage: { clear(): void };
};

const skipWhy = !hasChromium
  ? ` (skipped: ${CHROMIUM} not found; apt-get install chromium)`
  : !NATS_URL || !PG_URL
    ? ' (skipped: set BITGRID_TEST_NATS_URL and BITGRID_TEST_PG_URL)'
    : '';

describe.skipIf(skipWhy !== '')(`fleet dashboard end to end${skipWhy}`, () => {
  const ns = `w${randomBytes(4).toString('hex')}`;
  const schema = `fleet_${ns}`;
  const allToken = randomBytes(24).toString('base64url');
  const siteAToken = randomBytes(24).toString('base64url');
  let dir: string;
  let backend: FleetBackend;
  let api: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  let edges: FleetEdge[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-fleet-web-'));
    const { chromium } = await import('playwright-core');
    const launching = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await ensureWebBuild();
    ({ backend, edges } = await startFleet({
      natsUrl: NATS_URL!,
      pgUrl: PG_URL!,
      namespace: ns,
      schema,
      dir,
      ids: IDS,
      capKw: FEEDER_CAP_KW,
      send: (e, id, i) => {
        e.publishTelemetry(
          Array.from({ length: 10 }, (_, k) => ({
            assetId: 'grid',
            measurement: 'power_kw',
            timeMs: T0 + k * MIN_MS,
            value: 4000 + 100 * k + i,
          })),
        );
        e.publishKpi(kpi(i, 0));
        e.publishKpi(kpi(i, 1));
        e.publishReport(report(i));
        if (id === 'site-a') e.publishSchedule(schedule);
      },
    }));
    await until('everything stored', () => {
      const s = backend.stats();
      return s.points === 30 && s.kpis === 6 && s.reports === 3 && s.schedules === 1;
    });
    await until('the feeder split', () => Object.keys(backend.feederStatus()[0].sharesKw).length === 3);
    // site-c has been silent for longer than a site may be: stale.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`UPDATE ${schema}.fleet_sites SET last_seen_ms = $1 WHERE edge_id = 'site-c'`, [
      Date.now() - SITE_STALE_AFTER_MS - MIN_MS,
    ]);
    await c.end();
    api = createFleetApi({
      reader: backend,
      tokens: [
        { name: 'operations', sha256: sha256Hex(allToken), sites: '*' },
        { name: 'tenant-a', sha256: sha256Hex(siteAToken), sites: ['site-a'] },
      ],
      webRoot: WEB_ROOT,
    });
    url = await api.listen({ port: 0, host: '127.0.0.1' });
    browser = await launching;
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    for (const e of edges) await e.stop();
    await backend?.stop().catch(() => undefined);
    await removeFleetTestState({ natsUrl: NATS_URL!, pgUrl: PG_URL!, namespace: ns, schema, dir });
  }, 60_000);

  const signIn = async (token: string) => {
    await page.goto(url);
    await page.evaluate(() => (globalThis as unknown as PageWindow).sessionStorage.clear());
    await page.goto(url);
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('fleet-sites').waitFor({ timeout: WAIT_MS });
  };
  const sitesShown = async () =>
    (
      await page
        .locator('[data-testid^=site-row-]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')))
    ).map((x) => x!.replace('site-row-', ''));

  it('refuses a wrong token', async () => {
    await page.goto(url);
    await page.getByTestId('token-input').fill('not-a-token');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('signin-error').textContent()).toContain('토큰');
  });

  it('lists every site with its status, the summed KPIs, the ledger and the feeder', async () => {
    await signIn(allToken);
    expect(await sitesShown()).toEqual(IDS);
    const statuses = await Promise.all(
      IDS.map((id) => page.getByTestId(`site-status-${id}`).getAttribute('data-status')),
    );
    expect(statuses).toEqual(['online', 'online', 'stale']);
    expect(await page.getByTestId('site-status-site-a').textContent()).toContain('온라인');
    await page.getByTestId('fleet-kpi-import').waitFor({ timeout: WAIT_MS });
    // The newest summary of each site, summed: 1,000 + 2,000 + 3,000 kWh.
    expect(await page.getByTestId('fleet-kpi-import').textContent()).toBe('6.00 MWh');
    expect(await page.getByTestId('fleet-kpi-cost').textContent()).toBe('₩600,000');
    // Consumption-weighted RE100 matching: (0.25·2000 + 0.5·4000 + 0.75·6000) / 12000 = 58 %.
    expect(await page.getByTestId('fleet-kpi-re100').textContent()).toBe('58%');
    // Two ledger days, each with 12 MWh consumed and 7 MWh matched.
    await page.getByTestId('fleet-ledger').waitFor({ timeout: WAIT_MS });
    for (const day of ['2026-08-03', '2026-08-04']) {
      const cells = await page.getByTestId(`ledger-day-${day}`).locator('td').allTextContents();
      expect(cells).toEqual([day, '12.00 MWh', '7.00 MWh', '58.3%', '₩600,000']);
    }
    await page.waitForFunction(() =>
      Boolean(
        (globalThis as unknown as PageWindow).document.querySelector('[data-testid=fleet-ledger-chart] svg'),
      ),
    );
    expect(await page.getByTestId('feeder-cap-feeder-1').textContent()).toBe('9.00 MW');
    const feederRow = await page.getByTestId('feeder-feeder-1').textContent();
    for (const id of IDS) expect(feederRow).toContain(id);
    await page.screenshot({ path: `${SHOTS}/web-fleet-ko.png`, fullPage: true });
  }, 60_000);

  it('drills into a site: its plan, latest telemetry and share, in English too', async () => {
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('site-link-site-a').click();
    await page.getByTestId('fleet-site-telemetry').waitFor({ timeout: WAIT_MS });
    const row = await page
      .getByTestId('fleet-site-telemetry')
      .locator('tbody tr')
      .first()
      .locator('td')
      .allTextContents();
    expect(row.slice(0, 3)).toEqual(['grid', 'power_kw', '4,900.0']);
    const detail = await page.getByTestId('fleet-site-detail').textContent();
    expect(detail).toContain('Plan in force: optimal');
    expect(detail).toContain('(feeder-1)');
    // The grid power chart has the ten measured points and the plan's four steps.
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageWindow).document
          .querySelector('[data-testid=fleet-site-chart]')
          ?.getAttribute('data-points') === 'measured:10;plan:4',
    );
    await page.screenshot({ path: `${SHOTS}/web-fleet-site-en.png`, fullPage: true });
    await page.getByTestId('fleet-back').click();
    await page.getByTestId('fleet-sites').waitFor({ timeout: WAIT_MS });
    await page.getByTestId('lang-switch').click();
  }, 60_000);

  it('shows a token scoped to one site only that site, its figures and its share', async () => {
    await page.getByTestId('sign-out').click();
    await signIn(siteAToken);
    expect(await sitesShown()).toEqual(['site-a']);
    await page.getByTestId('fleet-kpi-import').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('fleet-kpi-import').textContent()).toBe('1.00 MWh');
    expect(await page.getByTestId('fleet-kpi-cost').textContent()).toBe('₩100,000');
    const feederRow = await page.getByTestId('feeder-feeder-1').textContent();
    expect(feederRow).toContain('site-a');
    expect(feederRow).not.toContain('site-b');
    expect(feederRow).not.toContain('site-c');
    // Another site's page is not there for it.
    await page.goto(`${url}/#site=site-b`);
    await page.getByTestId('fleet-site-error').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('fleet-site-error').textContent()).toContain('no site "site-b"');
    await page.screenshot({ path: `${SHOTS}/web-fleet-tenant.png`, fullPage: true });
  }, 60_000);
});
