import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startDashboard, type Dashboard } from './harness.ts';

// End to end: the built dashboard served by a real `serve --twin`, driven in Debian's headless
// Chromium. Each test leaves a screenshot in test-results/.

/** The page's globals, typed here because the root tsconfig has no DOM lib (functions run in the browser). */
type PageWindow = {
  document: {
    querySelector(s: string): { textContent: string | null; className: string } | null;
    documentElement: { lang: string; dataset: Record<string, string | undefined> };
  };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  performance: { now(): number; getEntriesByType(t: string): { startTime: number; loadEventEnd?: number }[] };
};

const SHOTS = 'test-results';
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(
  `dashboard end to end${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found; apt-get install chromium)`}`,
  () => {
    let dash: Dashboard;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      const { chromium } = await import('playwright-core');
      [dash, browser] = await Promise.all([
        startDashboard(),
        chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      ]);
      page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await dash?.stop();
    });

    async function signIn(p: Page, token: string) {
      await p.goto(dash.url);
      await p.getByTestId('token-input').fill(token);
      await p.getByTestId('signin-submit').click();
      await p.getByTestId('flow-diagram').waitFor({ timeout: 20_000 });
    }

    it('refuses a wrong token, then signs in and shows live values that change', async () => {
      await page.goto(dash.url);
      // Korean by default.
      await expect(page.getByTestId('signin-submit').textContent()).resolves.toBe('로그인');
      await page.getByTestId('token-input').fill('bgt_not_a_token');
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('signin-error').waitFor();
      expect(await page.getByTestId('signin-error').textContent()).toContain('토큰');
      await page.screenshot({ path: `${SHOTS}/web-signin-refused.png` });

      await page.getByTestId('token-input').fill(dash.tokens.operator);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('flow-diagram').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() =>
        (globalThis as unknown as PageWindow).document
          .querySelector('[data-testid=stream-status]')
          ?.className.includes('stream-open'),
      );
      expect(await page.getByTestId('role').textContent()).toBe('운영자');

      const read = async () => ({
        time: await page.getByTestId('live-time').textContent(),
        grid: await page.getByTestId('flow-value-grid').textContent(),
        battery: await page.getByTestId('flow-value-battery').textContent(),
        width: await page.getByTestId('flow-line-grid').getAttribute('stroke-width'),
      });
      const first = await read();
      expect(first.grid).toMatch(/\d.*(kW|MW)/);
      // A control cycle every 0.25 s at 240×: within a few seconds the clock and the power move.
      await page.waitForFunction(
        (t) =>
          (globalThis as unknown as PageWindow).document.querySelector('[data-testid=live-time]')
            ?.textContent !== t,
        first.time,
        { timeout: 10_000 },
      );
      await page.waitForFunction(
        (g) =>
          (globalThis as unknown as PageWindow).document.querySelector('[data-testid=flow-value-grid]')
            ?.textContent !== g,
        first.grid,
        { timeout: 20_000 },
      );
      const second = await read();
      expect(second.time).not.toBe(first.time);
      expect(second.grid).not.toBe(first.grid);
      expect(Number(second.width)).toBeGreaterThan(0);
      expect(await page.getByTestId('kpi-cost').textContent()).toMatch(/₩[\d,]+/);
      await page.screenshot({ path: `${SHOTS}/web-overview-ko.png` });
    });

    it('switches to English and back, and to the dark theme', async () => {
      expect(await page.getByTestId('nav-overview').textContent()).toBe('개요');
      await page.getByTestId('lang-switch').click();
      expect(await page.getByTestId('nav-overview').textContent()).toBe('Overview');
      expect(await page.getByTestId('role').textContent()).toBe('Operator');
      expect(
        await page.evaluate(() => (globalThis as unknown as PageWindow).document.documentElement.lang),
      ).toBe('en');
      await page.getByTestId('theme-switch').click();
      expect(
        await page.evaluate(
          () => (globalThis as unknown as PageWindow).document.documentElement.dataset.theme,
        ),
      ).toBe('dark');
      await page.screenshot({ path: `${SHOTS}/web-overview-en-dark.png` });
      // The choice survives a reload (the token too: sessionStorage).
      await page.reload();
      await page.getByTestId('flow-diagram').waitFor({ timeout: 20_000 });
      expect(await page.getByTestId('nav-overview').textContent()).toBe('Overview');
      await page.getByTestId('lang-switch').click();
      await page.getByTestId('theme-switch').click();
      expect(await page.getByTestId('nav-overview').textContent()).toBe('개요');
    });

    it('runs a scenario from the browser and reads its KPIs per strategy', async () => {
      await page.getByTestId('nav-scenarios').click();
      await page.getByTestId('sim-days').fill('1');
      await page.getByTestId('sim-submit').click();
      await page.getByTestId('sim-table').waitFor({ timeout: 90_000 });
      const none = await page.getByTestId('sim-none-totalCostKrw').textContent();
      const rules = await page.getByTestId('sim-rules-totalCostKrw').textContent();
      expect(none).toMatch(/^₩[\d,]+$/);
      expect(rules).toMatch(/^₩[\d,]+$/);
      const krwOf = (s: string | null) => Number(s!.replace(/[^\d]/g, ''));
      expect(krwOf(none)).toBeGreaterThan(0);
      expect(await page.getByTestId('sim-rules-peakImportKw').textContent()).toMatch(/(kW|MW)$/);
      // The bar chart (lazy-loaded ECharts) draws on a canvas.
      await page.locator('[data-testid=sim-chart] canvas').first().waitFor({ timeout: 20_000 });
      await page.getByTestId('sim-result').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/web-scenarios.png`, fullPage: true });
    });

    it('sets an override as an operator and sees it in force and on the device', async () => {
      await page.getByTestId('nav-operations').click();
      await page.getByTestId('override-asset').selectOption('shared-battery');
      await page.getByTestId('override-value').fill('1000');
      await page.getByTestId('override-duration').fill('60');
      await page.getByTestId('override-reason').fill('e2e: peak test');
      await page.getByTestId('override-submit').click();
      await page.getByTestId('override-ok').waitFor({ timeout: 10_000 });
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageWindow).document
            .querySelector('[data-testid=overrides-table]')
            ?.textContent?.includes('shared-battery'),
        null,
        { timeout: 10_000 },
      );
      // The loop applies it and the stream reports the asset's mode.
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageWindow).document
            .querySelector('[data-testid=mode-shared-battery]')
            ?.className.includes('mode-override'),
        null,
        { timeout: 20_000 },
      );
      expect(await page.getByTestId('mode-shared-battery').textContent()).toBe('수동');
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageWindow).document
            .querySelector('[data-testid=audit-table]')
            ?.textContent?.includes('override.set'),
        null,
        { timeout: 10_000 },
      );
      await page.screenshot({ path: `${SHOTS}/web-operations-operator.png`, fullPage: true });
    });

    it('shows a viewer the override form disabled, and the API refuses the viewer', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const p = await ctx.newPage();
      try {
        await signIn(p, dash.tokens.viewer);
        expect(await p.getByTestId('role').textContent()).toBe('조회자');
        await p.getByTestId('nav-operations').click();
        await p.getByTestId('viewer-notice').waitFor();
        expect(await p.getByTestId('override-submit').isDisabled()).toBe(true);
        expect(await p.getByTestId('override-value').isDisabled()).toBe(true);
        // Even around the form, the API says no.
        const refused = await p.evaluate(async () => {
          const res = await fetch('/api/overrides', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${(globalThis as unknown as PageWindow).sessionStorage.getItem('bitgrid.token')}`,
            },
            body: JSON.stringify({
              assetId: 'shared-battery',
              kind: 'battery_power_kw',
              value: 500,
              durationMinutes: 10,
              reason: 'viewer tries',
            }),
          });
          return { status: res.status, body: (await res.json()) as { error: { code: string } } };
        });
        expect(refused.status).toBe(403);
        expect(refused.body.error.code).toBe('BITGRID_ERR_FORBIDDEN');
        // The operator's override is visible to the viewer, without the button to end it.
        await p.waitForFunction(
          () =>
            (globalThis as unknown as PageWindow).document
              .querySelector('[data-testid=overrides-table]')
              ?.textContent?.includes('shared-battery'),
          null,
          { timeout: 10_000 },
        );
        expect(await p.locator('[data-testid^=override-clear-]').count()).toBe(0);
        await p.screenshot({ path: `${SHOTS}/web-operations-viewer.png`, fullPage: true });
      } finally {
        await ctx.close();
      }
    });

    it('draws the power, fleets and cost views', async () => {
      await page.getByTestId('nav-power').click();
      await page.locator('[data-testid=power-chart] canvas').first().waitFor({ timeout: 20_000 });
      await page.screenshot({ path: `${SHOTS}/web-power.png` });
      await page.getByTestId('nav-fleets').click();
      await page.getByTestId('fleet-datacenter').waitFor({ timeout: 20_000 });
      await page.screenshot({ path: `${SHOTS}/web-fleets.png`, fullPage: true });
      await page.getByTestId('nav-cost').click();
      await page.getByTestId('cost-net').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('cost-net').textContent()).toMatch(/₩/);
      await page.locator('[data-testid=heat-chart] canvas').first().waitFor({ timeout: 20_000 });
      await page.screenshot({ path: `${SHOTS}/web-cost.png`, fullPage: true });
    });
  },
);
