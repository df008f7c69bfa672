import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ledgerJson } from '../../src/ledger/index.ts';
import { simLedger } from '../../src/report/ledger-sim.ts';
import { PPA_ASSET_ID } from '../../src/ledger/telemetry.ts';
import { GRID_ASSET_ID } from '../../src/model/schema.ts';
import { timeAt } from '../../src/model/time.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';
import type { TelemetryPoint } from '../../src/store/index.ts';
import { startTestServer, type TestServer } from '../server/fixture.ts';
import { referenceDistrict } from '../sim/helpers.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, WEB_ROOT } from '../web/harness.ts';

// One period, three readers: `simulate` (the KPI), GET /api/ledger and the dashboard's ledger view
// print the same hourly matching share for a simulated day replayed into the store.

const hasChromium = existsSync(CHROMIUM);
/** Where the end-to-end tests leave their screenshots. */
const SHOTS = 'test-results';
const d = referenceDistrict(1);
const result = runSimulation(d, getStrategy('rules')(d));
const stepMs = d.grid.intervalMinutes * 60_000;

describe.skipIf(!hasChromium)(
  `the ledger in the dashboard${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found)`}`,
  () => {
    let srv: TestServer;
    let browser: Browser;
    beforeAll(async () => {
      await ensureWebBuild();
      srv = await startTestServer({ webRoot: WEB_ROOT });
      const s = result.series;
      const battery = d.batteries[0];
      const points: TelemetryPoint[] = [];
      for (let i = 0; i < d.grid.count; i++) {
        const t = timeAt(d.grid, i);
        points.push({ assetId: GRID_ASSET_ID, measurement: 'power_kw', value: s.gridKw[i], timeMs: t });
        points.push({ assetId: PPA_ASSET_ID, measurement: 'power_kw', value: d.ppaKw[i], timeMs: t });
        for (const pv of d.pv)
          points.push({
            assetId: pv.id,
            measurement: 'power_kw',
            value: s.byAsset.get(pv.id)![i],
            timeMs: t,
          });
        points.push({ assetId: battery.id, measurement: 'power_kw', value: s.batteryKw[i], timeMs: t });
        points.push({
          assetId: battery.id,
          measurement: 'soc_fraction',
          value: s.batterySocKwh[i] / battery.cfg.capacity_kwh,
          timeMs: t + stepMs - 1000,
        });
      }
      points.push({
        assetId: battery.id,
        measurement: 'soc_fraction',
        value: battery.cfg.soc_initial,
        timeMs: d.grid.startMs - 1000,
      });
      await srv.store.appendTelemetry(points);
      // The live clock at the end of the simulated day: "this month" then covers it.
      srv.live.timeMs = timeAt(d.grid, d.grid.count);
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await srv?.close();
    });

    it('shows the matching shares simulate and the API give', async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(srv.url);
      await page.getByTestId('token-input').fill(srv.tokens.viewer);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('nav-ledger').click();
      await page.getByTestId('ledger-hourly').waitFor({ timeout: 20_000 });
      const shown = (await page.getByTestId('ledger-hourly').textContent())!;
      const shownAnnual = (await page.getByTestId('ledger-annual').textContent())!;
      const { kpis } = computeKpis(d, result);
      const api = ledgerJson(simLedger(d, result)).totals;
      expect(api.hourlyMatchingShare).toBe(kpis.re100HourlyMatching);
      // pct() prints one decimal and a % sign, in Korean and English alike.
      expect(shown).toBe(`${(kpis.re100HourlyMatching * 100).toFixed(1)}%`);
      expect(shownAnnual).toBe(`${(kpis.re100AnnualShare * 100).toFixed(1)}%`);
      mkdirSync(SHOTS, { recursive: true });
      await page.getByTestId('ledger-chart').waitFor();
      await page.screenshot({ path: `${SHOTS}/web-ledger.png` });
      await page.close();
    }, 60_000);
  },
);
