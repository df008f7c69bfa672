import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, getToken } from '../api.ts';
import { timeAxis, timeTooltip, valueAxis, wallClock } from '../charts.ts';
import { EChart } from '../components/EChart.tsx';
import { useZone } from '../district.ts';
import { energy, isoAt, localDate, localMidnightMs, num, pct } from '../format.ts';
import { useLive } from '../live.ts';
import type { LedgerEnergyKey, LedgerJson } from '../../../src/ledger/types.ts';

// The hourly RE100 ledger (GET /api/ledger, docs/ledger.md): the same figures `simulate --out` and the
// monthly report print, for this month so far or the last 7 days. Annual and hourly (24/7) matching
// are shown side by side; every hour splits consumption into on-site PV, PPA and grid residual.

/** The wire shape of GET /api/ledger (src/server/routes/ledger.ts), the backend's own declaration. */
export type LedgerReply = LedgerJson;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WEEK_DAYS = 7;
const KG_PER_TONNE = 1_000;
const REFRESH_MS = 60_000;
const COLORS = { pv: '#f2b01e', ppa: '#3fa34d', grid: '#8c8c9c' };

type Period = 'month' | 'week';

export default function Ledger() {
  const { t } = useTranslation();
  const zone = useZone();
  const liveTime = useLive((s) => s.state?.time);
  const nowMs = liveTime ? Date.parse(liveTime) : Date.now();
  const [period, setPeriod] = useState<Period>('month');
  const today0 = localMidnightMs(nowMs, zone);
  const fromMs =
    period === 'month'
      ? today0 - (Number(localDate(nowMs, zone).slice(8, 10)) - 1) * DAY_MS
      : today0 - (WEEK_DAYS - 1) * DAY_MS;
  // Up to the end of the current hour, so the hour under way shows as it fills.
  const toMs = Math.ceil((nowMs + 1) / HOUR_MS) * HOUR_MS;
  const query = `from=${encodeURIComponent(isoAt(fromMs, zone))}&to=${encodeURIComponent(isoAt(toMs, zone))}`;
  const ledger = useQuery({
    queryKey: ['ledger', fromMs, toMs],
    queryFn: () => api<LedgerReply>(`/api/ledger?${query}`),
    refetchInterval: REFRESH_MS,
    placeholderData: (prev) => prev,
  });

  const l = ledger.data;
  const option = useMemo(() => {
    const wall = wallClock(zone);
    const hours = l?.hours ?? [];
    const series = (id: 'pv' | 'ppa' | 'grid', key: LedgerEnergyKey) => ({
      id,
      name: t(`ledger.${id}`),
      type: 'bar',
      stack: 'use',
      barCategoryGap: '10%',
      data: hours.map((h) => [wall(Date.parse(h.hourStart)), Math.round(h[key])]),
      itemStyle: { color: COLORS[id] },
    });
    return {
      useUTC: true,
      tooltip: timeTooltip((_, v) => energy(v)),
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
      xAxis: timeAxis(wall(fromMs), wall(toMs)),
      yAxis: valueAxis('kWh', (v: number) => num(v, 0)),
      series: [series('pv', 'pvUsedKwh'), series('ppa', 'ppaUsedKwh'), series('grid', 'gridResidualKwh')],
    };
  }, [l, t, zone, fromMs, toMs]);

  const downloadCsv = async () => {
    const res = await fetch(`/api/ledger?${query}&format=csv`, {
      headers: { authorization: `Bearer ${getToken() ?? ''}` },
    });
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `ledger-${localDate(fromMs, zone)}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="grid2">
      <section className="card span2">
        <h2>{t('ledger.title')}</h2>
        <div className="switches">
          {(['month', 'week'] as const).map((p) => (
            <button
              key={p}
              type="button"
              className={p === period ? '' : 'ghost'}
              data-testid={`ledger-period-${p}`}
              onClick={() => setPeriod(p)}
            >
              {t(`ledger.period.${p}`)}
            </button>
          ))}
          <button type="button" className="ghost" data-testid="ledger-csv" onClick={() => void downloadCsv()}>
            {t('ledger.csv')}
          </button>
        </div>
        {l ? (
          <div className="figures">
            <div>
              <span className="muted">{t('ledger.annual')}</span>
              <span className="big" data-testid="ledger-annual">
                {pct(l.totals.annualMatchingShare)}
              </span>
            </div>
            <div>
              <span className="muted">{t('ledger.hourly')}</span>
              <span className="big" data-testid="ledger-hourly">
                {pct(l.totals.hourlyMatchingShare)}
              </span>
            </div>
            <div>
              <span className="muted">{t('ledger.consumption')}</span>
              <span>{energy(l.totals.consumptionKwh)}</span>
            </div>
            <div>
              <span className="muted">{t('ledger.pv')}</span>
              <span>{energy(l.totals.pvUsedKwh)}</span>
            </div>
            <div>
              <span className="muted">{t('ledger.ppaDelivered')}</span>
              <span>
                {energy(l.totals.ppaDeliveredKwh)} ({t('ledger.ppaUsed')} {energy(l.totals.ppaUsedKwh)})
              </span>
            </div>
            <div>
              <span className="muted">{t('ledger.certificates')}</span>
              <span>{energy(l.totals.certificatesKwh)}</span>
            </div>
            <div>
              <span className="muted">{t('ledger.grid')}</span>
              <span>{energy(l.totals.gridResidualKwh)}</span>
            </div>
            <div>
              <span className="muted">{t('ledger.emissions')}</span>
              <span>
                {num(l.totals.emissionsKg / KG_PER_TONNE, 2)} {t('unit.tCo2')}
              </span>
            </div>
          </div>
        ) : (
          <p className={ledger.isError ? 'error' : 'muted'}>
            {ledger.isError ? `${t('app.loadError')} (${(ledger.error as Error).message})` : t('app.loading')}
          </p>
        )}
        <EChart option={option} height={320} testId="ledger-chart" />
        <p className="muted small">{t('ledger.help')}</p>
      </section>
    </div>
  );
}
