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

/** Waits until the element with `testId` holds `text` or has `className` among its classes. */
function waitForTestId(
  page: Page,
  testId: string,
  has: { text?: string; className?: string },
  timeout?: number,
) {
  return page.waitForFunction(
    ([id, text, cls]) => {
      const el = (globalThis as unknown as PageWindow).document.querySelector(`[data-testid=${id}]`);
      return text !== undefined ? el?.textContent?.includes(text) : el?.className.includes(cls ?? '');
    },
    [testId, has.text, has.className] as const,
    timeout === undefined ? {} : { timeout },
  );
}

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
      await waitForTestId(page, 'stream-status', { className: 'stream-open' });
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
      await page.locator('[data-testid=sim-chart] svg').first().waitFor({ timeout: 20_000 });
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
      await waitForTestId(page, 'overrides-table', { text: '공장 배터리' }, 10_000);
      // The loop applies it and the stream reports the asset's mode.
      await waitForTestId(page, 'mode-shared-battery', { className: 'mode-override' }, 20_000);
      expect(await page.getByTestId('mode-shared-battery').textContent()).toBe('수동');
      await waitForTestId(page, 'audit-table', { text: '수동 제어 설정' }, 10_000);
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
        await waitForTestId(p, 'overrides-table', { text: '공장 배터리' }, 10_000);
        expect(await p.locator('[data-testid^=override-clear-]').count()).toBe(0);
        await p.screenshot({ path: `${SHOTS}/web-operations-viewer.png`, fullPage: true });
      } finally {
        await ctx.close();
      }
    });

    it("shows a training job's priority on the data center's timeline", async () => {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const p = await ctx.newPage();
      try {
        // A deadline far enough ahead of any twin clock for the job to fit.
        const submit = async (name: string, priority?: number) => {
          const res = await fetch(`${dash.url}/api/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${dash.tokens.operator}` },
            body: JSON.stringify({
              datacenterId: 'dc-gpu',
              name,
              gpus: 64,
              gpuHours: 64,
              deadline: new Date(Date.now() + 400 * 24 * 3_600_000).toISOString(),
              ...(priority === undefined ? {} : { priority }),
            }),
          });
          expect(res.status).toBe(201);
          return ((await res.json()) as { id: string }).id;
        };
        const urgent = await submit('e2e-urgent', 2);
        const plain = await submit('e2e-plain');
        await signIn(p, dash.tokens.viewer);
        await p.getByTestId('nav-fleets').click();
        await waitForTestId(p, `job-priority-${urgent}`, { text: '우선순위 +2' }, 20_000);
        // The default priority (0) says nothing.
        await p.getByTestId(`job-${plain}`).waitFor({ timeout: 20_000 });
        expect(await p.getByTestId(`job-${plain}`).textContent()).not.toContain('우선순위');
        expect(await p.locator('[data-testid^=job-priority-]').count()).toBe(1);
      } finally {
        await ctx.close();
      }
    });

    it('lists an alarm in Korean, and an operator acknowledges it (audited)', async () => {
      const ev = await dash.store.addEvent({
        timeMs: Date.now(),
        severity: 'alarm',
        source: 'e2e',
        code: 'ASSET_SAFE_MODE',
        message: 'shared-battery: telemetry stale, safe mode',
        assetId: 'shared-battery',
      });
      await page.getByTestId('nav-overview').click();
      const row = page.getByTestId(`alarm-${ev.id}`);
      await row.waitFor({ timeout: 15_000 });
      const text = (await row.textContent()) ?? '';
      expect(text).toContain('경보');
      expect(text).toContain('공장 배터리');
      expect(text).toContain('안전 모드');
      expect(text).toMatch(/\d+월 \d+일 \d{2}:\d{2}/);
      await page.getByTestId(`ack-${ev.id}`).click();
      // Gone from the open alarms, acknowledged in the store, and in the audit log.
      await row.waitFor({ state: 'detached', timeout: 10_000 });
      const [stored] = await dash.store
        .listEvents({ limit: 50 })
        .then((l) => l.filter((e) => e.id === ev.id));
      expect(stored.acknowledged).toBe(true);
      const audit = await dash.store.listAudit({ action: 'event.ack', limit: 5 });
      expect(audit.map((a) => a.target)).toContain(`event:${ev.id}`);
      await page.getByTestId('alarms-all').check();
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain('확인됨');
      await page.getByTestId('alarms-all').uncheck();
    });

    describe('every view, Korean/light and English/dark, desktop and phone', () => {
      /** Text the dashboard must never show: raw values, US dates, ISO durations. */
      const RAW = /undefined|NaN|Invalid Date|\bPT\d+[MH]\b|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\b[AP]M\b/;
      /** English labels of the dashboard (en.json) that must not leak into the Korean one. */
      const ENGLISH =
        /\b(Actual|Forecast|Plan in force|Charging|Plugged in|Ready|Offline|Billing demand|Hour|Acknowledge|Loading|Waiting|days?)\b/;
      const KO_DAY = /\d{1,2}월 \d{1,2}일/;
      const HH_MM = /\b\d{2}:\d{2}\b/;

      const visibleText = (p: Page) =>
        p.evaluate(
          () =>
            (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText,
        );
      /** The chart's SVG text elements (axis labels, units, legend), one per word group. */
      const chartText = (p: Page, id: string) =>
        p
          .locator(`[data-testid=${id}] svg text`)
          .allTextContents()
          .then((l) => l.join(' | '));
      /** Points per series of a chart, once each listed series has at least one. */
      async function points(p: Page, id: string, need: string[], timeout = 30_000) {
        const loc = p.getByTestId(id);
        await loc.locator('svg').first().waitFor({ timeout });
        const end = Date.now() + timeout;
        for (;;) {
          const attr = (await loc.getAttribute('data-points')) ?? '';
          const counts = Object.fromEntries(
            attr.split(';').map((kv) => [kv.split(':')[0], Number(kv.split(':')[1])]),
          );
          if (need.every((s) => counts[s] > 0)) return counts;
          if (Date.now() > end) throw new Error(`${id}: series ${need.join(', ')} not all drawn: ${attr}`);
          await p.waitForTimeout(250);
        }
      }
      async function setLook(p: Page, lang: 'ko' | 'en', theme: 'light' | 'dark') {
        const cur = await p.evaluate(() => {
          const d = (globalThis as unknown as PageWindow).document.documentElement;
          return { lang: d.lang, theme: d.dataset.theme };
        });
        if (cur.lang !== lang) await p.getByTestId('lang-switch').click();
        if (cur.theme !== theme) await p.getByTestId('theme-switch').click();
      }

      /** Each view's checks: SoC, forecast or plan, units and formats, per language. */
      /** `deep`: also switch the power view through a PV array and the battery (once is enough). */
      async function checkView(p: Page, view: string, lang: 'ko' | 'en', deep = false) {
        const ko = lang === 'ko';
        const day = ko ? KO_DAY : /[A-Z][a-z]{2} \d{1,2}\b/;
        if (view === 'overview') {
          await p.getByTestId('soc-shared-battery').waitFor({ timeout: 20_000 });
          expect(await p.getByTestId('soc-shared-battery').textContent()).toMatch(/^\d+%$/);
          expect(await p.getByTestId('flow-soc-battery').textContent()).toMatch(/\d+%/);
          expect(await p.getByTestId('flow-value-grid').textContent()).toMatch(/\d (kW|MW)$/);
          await points(p, 'outlook-chart', ['actual', 'plan']);
          const axis = await chartText(p, 'outlook-chart');
          expect(axis).toContain('kW');
          expect(axis).toMatch(HH_MM);
        }
        if (view === 'power') {
          // The default view (grid): actual and the plan in force ahead.
          const grid = await points(p, 'power-chart', ['actual', 'plan']);
          expect(grid.plan).toBeGreaterThan(1);
          const axis = await chartText(p, 'power-chart');
          expect(axis).toContain('kW');
          expect(axis).toMatch(day);
          expect(axis).toMatch(HH_MM);
        }
        if (view === 'power' && deep) {
          // A PV array has its forecast; the battery its state of charge on a % axis.
          await p.getByTestId('power-asset').selectOption('factory-pv');
          await points(p, 'power-chart', ['actual', 'forecast', 'plan']);
          expect(await p.getByTestId('power-notes').textContent()).toMatch(
            ko ? /예측 모델/ : /Forecast model/,
          );
          // The forecast-model card is there whether or not the server publishes the choice.
          await p.getByTestId('forecast-models').waitFor();
          await p.getByTestId('power-asset').selectOption('shared-battery');
          await points(p, 'power-chart', ['actual', 'soc', 'plan']);
          expect(await p.getByTestId('power-soc').textContent()).toMatch(/\d+%/);
          const axis = await chartText(p, 'power-chart');
          expect(axis).toContain('SoC %');
          expect(axis).toContain('kW');
        }
        if (view === 'fleets') {
          await p.getByTestId('fleet-campus-ev').waitFor({ timeout: 20_000 });
          const chips = (await p.getByTestId('fleet-summary-campus-ev').textContent()) ?? '';
          expect(chips).toMatch(
            ko
              ? /충전 중.*연결됨.*출발 준비.*비어 있음.*오프라인/
              : /Charging.*Plugged in.*Ready.*Free.*Offline/,
          );
          // Every charge point is counted in exactly one state.
          const tiles = await p.locator('[data-testid=fleet-campus-ev] .charger').count();
          const counted = (chips.match(/\d+/g) ?? []).map(Number).reduce((a, b) => a + b, 0);
          expect(counted).toBe(tiles);
          expect(tiles).toBeGreaterThan(0);
          // Each tile names its state in the page's language.
          const states = ko
            ? ['충전 중', '연결됨', '출발 준비', '비어 있음', '오프라인']
            : ['Charging', 'Plugged in', 'Ready', 'Free', 'Offline'];
          expect(states).toContain(
            await p.locator('[data-testid=fleet-campus-ev] .ch-state').first().textContent(),
          );
          await points(p, 'dc-chart', ['actual', 'plan']);
          expect(await chartText(p, 'dc-chart')).toContain('kW');
          await p.getByTestId('job-timeline').waitFor({ timeout: 20_000 });
          expect(await p.getByTestId('job-timeline').textContent()).toMatch(HH_MM);
        }
        if (view === 'cost') {
          await p.getByTestId('cost-net').waitFor({ timeout: 30_000 });
          expect(await p.getByTestId('cost-net').textContent()).toMatch(/^₩[\d,]+$/);
          expect(await p.getByTestId('cost-co2').textContent()).toMatch(/t CO₂$/);
          await points(p, 'bill-chart', ['bill']);
          expect(await chartText(p, 'bill-chart')).toContain(ko ? '원' : 'KRW');
          await points(p, 'peak-chart', ['import15']);
          const peak = await chartText(p, 'peak-chart');
          expect(peak).toContain('kW');
          expect(peak).toContain(ko ? '요금적용전력' : 'Billing demand');
          // Filled on open, not at the next hourly change.
          await points(p, 'heat-chart', ['re100'], 10_000);
          const heat = await chartText(p, 'heat-chart');
          expect(heat).toMatch(ko ? /\d+시/ : /\d+h/);
          expect(heat).toMatch(day);
        }
        if (view === 'scenarios') await p.getByTestId('sim-form').waitFor();
        if (view === 'operations') {
          await p.getByTestId('device-soc-shared-battery').waitFor({ timeout: 20_000 });
          await p.locator('[data-testid=audit-table] tbody tr').first().waitFor({ timeout: 20_000 });
          expect(await p.getByTestId('device-soc-shared-battery').textContent()).toMatch(/^\d+%$/);
          const audit = (await p.getByTestId('audit-table').textContent()) ?? '';
          expect(audit).toContain(ko ? '시각 (Asia/Seoul' : 'Time (Asia/Seoul');
          expect(audit).toMatch(day);
          const devices = (await p.getByTestId('devices-table').textContent()) ?? '';
          expect(devices).toContain(ko ? '공장 배터리' : 'Factory · Battery');
        }
        const text = await visibleText(p);
        expect(text).not.toMatch(RAW);
        if (ko) expect(text).not.toMatch(ENGLISH);
      }

      const VIEWS = ['overview', 'power', 'fleets', 'cost', 'scenarios', 'operations'];
      for (const [lang, theme] of [
        ['ko', 'light'],
        ['en', 'dark'],
      ] as const)
        it(`${lang}/${theme} at 1440×900: SoC, forecast and plan, units and ${lang} formats on every view`, async () => {
          const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
          const p = await ctx.newPage();
          try {
            await signIn(p, dash.tokens.operator);
            await setLook(p, lang, theme);
            for (const view of VIEWS) {
              await p.getByTestId(`nav-${view}`).click();
              await checkView(p, view, lang, lang === 'ko');
              await p.screenshot({ path: `${SHOTS}/web-${view}-${lang}-${theme}.png`, fullPage: true });
            }
          } finally {
            await ctx.close();
          }
        }, 150_000);

      it('on a phone (390×844): a short header, readable flow labels, every view', async () => {
        const ctx = await browser.newContext({
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
        });
        const p = await ctx.newPage();
        try {
          await signIn(p, dash.tokens.operator);
          const header = await p.locator('header.top').boundingBox();
          expect(header!.height).toBeLessThan(110);
          // Flow labels at the page's text size, not a shrunken desktop drawing.
          const labelPx = await p.locator('.flow-node .label').first().boundingBox();
          expect(labelPx!.height).toBeGreaterThanOrEqual(12);
          // Nothing wider than the screen.
          const overflow = await p.evaluate(
            () =>
              (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
                .documentElement.scrollWidth,
          );
          expect(overflow).toBeLessThanOrEqual(390);
          for (const view of VIEWS) {
            await p.getByTestId(`nav-${view}`).click();
            await checkView(p, view, 'ko');
            await p.screenshot({ path: `${SHOTS}/web-${view}-phone-ko-light.png`, fullPage: true });
          }
          // The menu holds the switches: English and dark on the phone too.
          await p.getByTestId('menu-toggle').click();
          await setLook(p, 'en', 'dark');
          await p.getByTestId('nav-overview').click();
          await checkView(p, 'overview', 'en');
          await p.screenshot({ path: `${SHOTS}/web-overview-phone-en-dark.png`, fullPage: true });
        } finally {
          await ctx.close();
        }
      }, 150_000);
    });
  },
);
