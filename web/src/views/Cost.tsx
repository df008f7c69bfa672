import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type PeriodKpis, type TelemetrySeries } from '../api.ts';
import { timeAxis, timeTooltip, valueAxis, wallClock } from '../charts.ts';
import { SERIES_COLOR } from '../components/chart-theme.ts';
import { EChart } from '../components/EChart.tsx';
import { useZone } from '../district.ts';
import {
  dayWithWeekday,
  isoAt,
  krw,
  krwShort,
  localDate,
  localMidnightMs,
  num,
  pct,
  power,
} from '../format.ts';
import { useLive } from '../live.ts';

// The bill of the month so far by component (/api/kpis), the 15-minute peak that sets the demand
// charge, hourly RE100 matching as an hour × day heat map, and emissions. All from stored telemetry.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const QUARTER_MS = 15 * 60_000;
const HOURS_PER_DAY = 24;
const KG_PER_TONNE = 1_000;
/** Room above the highest line of the peak chart. */
const Y_HEADROOM = 1.1;
/** Days shown in the heat map. */
const HEATMAP_DAYS = 14;
const REFRESH_MS = 30_000;

const BILL_PARTS = [
  'energyChargeKrw',
  'demandChargeKrw',
  'climateEnvironmentKrw',
  'fuelCostAdjustmentKrw',
  'excessDemandPenaltyKrw',
  'vatKrw',
  'powerFundKrw',
] as const;

function tele(asset: string, fromMs: number, toMs: number, bucket: string, zone: string) {
  return api<TelemetrySeries>(
    `/api/telemetry?asset=${encodeURIComponent(asset)}&measurement=power_kw&from=${encodeURIComponent(isoAt(fromMs, zone))}&to=${encodeURIComponent(isoAt(toMs, zone))}&bucket=${bucket}`,
  );
}

export default function Cost() {
  const { t } = useTranslation();
  const zone = useZone();
  const liveTime = useLive((s) => s.state?.time);
  const assets = useLive((s) => s.state?.assets);
  const nowMs = liveTime ? Date.parse(liveTime) : Date.now();
  // Month start in the district's zone: the day's midnight minus (day of month − 1) days.
  const today0 = localMidnightMs(nowMs, zone);
  const monthStart = today0 - (Number(localDate(nowMs, zone).slice(8, 10)) - 1) * DAY_MS;
  const nowKey = Math.floor(nowMs / QUARTER_MS);
  const kpis = useQuery({
    queryKey: ['kpis', monthStart, nowKey],
    queryFn: () =>
      api<PeriodKpis>(
        `/api/kpis?from=${encodeURIComponent(isoAt(monthStart, zone))}&to=${encodeURIComponent(isoAt(Math.max(nowMs, monthStart + QUARTER_MS), zone))}`,
      ),
    refetchInterval: REFRESH_MS,
    placeholderData: (prev) => prev,
  });
  const peak = useQuery({
    queryKey: ['peak', monthStart, nowKey],
    queryFn: () => tele('grid', monthStart, Math.max(nowMs, monthStart + QUARTER_MS), 'PT15M', zone),
    refetchInterval: REFRESH_MS,
    placeholderData: (prev) => prev,
  });
  const pvIds = Object.values(assets ?? {})
    .filter((a) => a.type === 'pv' || a.type === 'battery')
    .map((a) => `${a.type}:${a.id}`);
  const heatFrom = today0 - (HEATMAP_DAYS - 1) * DAY_MS;
  const heat = useQuery({
    queryKey: ['heat', heatFrom, pvIds.join(','), Math.floor(nowMs / HOUR_MS)],
    enabled: pvIds.length > 0,
    placeholderData: (prev) => prev,
    queryFn: async () => {
      const to = Math.max(nowMs, heatFrom + HOUR_MS);
      const grid = await tele('grid', heatFrom, to, 'PT1H', zone);
      const others = await Promise.all(
        pvIds.map(async (k) => ({
          type: k.split(':')[0],
          s: await tele(k.split(':')[1], heatFrom, to, 'PT1H', zone),
        })),
      );
      // consumption = grid + pv + battery; clean = pv (hourly, in kWh since the bucket is an hour)
      const cons = new Map<number, number>();
      const clean = new Map<number, number>();
      for (const p of grid.points) cons.set(Date.parse(p.time), p.value);
      for (const o of others)
        for (const p of o.s.points) {
          const k = Date.parse(p.time);
          if (!cons.has(k)) continue;
          cons.set(k, cons.get(k)! + p.value);
          if (o.type === 'pv') clean.set(k, (clean.get(k) ?? 0) + Math.max(0, p.value));
        }
      const cells: [number, number, number][] = [];
      for (const [k, c] of cons) {
        if (c <= 0) continue;
        const day = Math.floor((k - heatFrom) / DAY_MS);
        const hour = Math.floor(((k - heatFrom) % DAY_MS) / HOUR_MS);
        cells.push([hour, day, Math.min(1, (clean.get(k) ?? 0) / c)]);
      }
      return cells;
    },
    refetchInterval: REFRESH_MS * 2,
  });

  const k = kpis.data;
  const billOption = useMemo(
    () =>
      k && {
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          valueFormatter: (v: number) => krw(v),
        },
        grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
        xAxis: valueAxis(t('unit.krw'), krwShort),
        yAxis: { type: 'category', data: BILL_PARTS.map((p) => t(`bill.${p}`)), inverse: true },
        series: [
          {
            id: 'bill',
            name: t('cost.billTitle'),
            type: 'bar',
            data: BILL_PARTS.map((p) => Math.round(k.bill[p])),
            itemStyle: { color: SERIES_COLOR.bar },
          },
        ],
      },
    [k, t],
  );
  const peakOption = useMemo(() => {
    const wall = wallClock(zone);
    const pts = peak.data?.points ?? [];
    // The demand peak counts only the tariff's mid- and peak-load hours (a night-time maximum does
    // not set the charge): mark the interval that matches the KPI API's counted peak.
    const peakKw = k?.peakImportKw ?? 0;
    let at = '';
    let best = Infinity;
    if (peakKw > 0)
      for (const p of pts)
        if (Math.abs(p.value - peakKw) < best) [best, at] = [Math.abs(p.value - peakKw), p.time];
    const max = Math.max(peakKw, ...pts.map((p) => p.value));
    return {
      useUTC: true,
      tooltip: timeTooltip((_, v) => power(v)),
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
      xAxis: timeAxis(wall(monthStart), wall(Math.max(nowMs, monthStart + HOUR_MS))),
      // Up to the billing demand at least, so its line is always in view.
      yAxis: valueAxis('kW', (v: number) => num(v, 0), {
        max: k ? Math.ceil(Math.max(max, k.billingDemandKw) * Y_HEADROOM) : undefined,
      }),
      series: [
        {
          id: 'import15',
          type: 'line',
          name: t('cost.import15'),
          showSymbol: false,
          data: pts.map((p) => [wall(Date.parse(p.time)), Math.round(p.value)]),
          lineStyle: { color: SERIES_COLOR.actual, width: 1.5 },
          itemStyle: { color: SERIES_COLOR.actual },
          markPoint: at
            ? {
                symbol: 'pin',
                symbolSize: 44,
                itemStyle: { color: SERIES_COLOR.forecast },
                label: { formatter: t('cost.peakMark'), fontSize: 11 },
                data: [{ coord: [wall(Date.parse(at)), Math.round(peakKw)] }],
              }
            : undefined,
          markLine: k
            ? {
                symbol: 'none',
                silent: true,
                lineStyle: { color: SERIES_COLOR.limit, type: 'dashed' },
                data: [{ yAxis: Math.round(k.billingDemandKw) }],
                // At the start of the line: the month's peak (marked) is usually at its end.
                label: {
                  formatter: `${t('cost.billingDemand')} ${power(k.billingDemandKw)}`,
                  position: 'insideStartTop',
                },
              }
            : undefined,
        },
      ],
    };
  }, [peak.data, k, t, nowMs, monthStart, zone]);
  const heatOption = useMemo(() => {
    const dayLabel = (d: number) => dayWithWeekday(heatFrom + d * DAY_MS + HOUR_MS, zone);
    return {
      tooltip: {
        formatter: (p: { value: [number, number, number] }) =>
          `${dayLabel(p.value[1])} ${t('cost.hourLabel', { h: p.value[0] })}<br/>RE100 <b>${pct(p.value[2], 0)}</b>`,
      },
      grid: { left: 8, right: 24, top: 24, bottom: 56, containLabel: true },
      xAxis: {
        type: 'category',
        name: t('cost.hour'),
        nameLocation: 'middle',
        nameGap: 28,
        data: Array.from({ length: HOURS_PER_DAY }, (_, h) => t('cost.hourLabel', { h })),
        axisLabel: { hideOverlap: true },
      },
      yAxis: {
        type: 'category',
        data: Array.from({ length: HEATMAP_DAYS }, (_, d) => dayLabel(d)),
      },
      visualMap: {
        min: 0,
        max: 1,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        calculable: false,
        text: [pct(1, 0), pct(0, 0)],
        inRange: { color: ['#3b3b52', '#2c7fb8', '#7fcdbb', '#ffffcc'] },
        formatter: (v: number) => pct(v, 0),
      },
      series: [{ id: 're100', name: t('kpi.re100'), type: 'heatmap', data: heat.data ?? [] }],
    };
  }, [heat.data, heatFrom, t, zone]);

  return (
    <div className="grid2">
      <section className="card">
        <h2>{t('cost.billTitle')}</h2>
        {k ? (
          <>
            <div className="figures">
              <div>
                <span className="muted">{t('cost.net')}</span>
                <span className="big" data-testid="cost-net">
                  {krw(k.netCostKrw)}
                </span>
              </div>
              <div>
                <span className="muted">{t('cost.exportRevenue')}</span>
                <span>{krw(k.bill.exportRevenueKrw)}</span>
              </div>
              <div>
                <span className="muted">{t('cost.emissions')}</span>
                <span data-testid="cost-co2">
                  {num(k.co2Kg / KG_PER_TONNE, 2)} {t('unit.tCo2')}
                </span>
              </div>
              <div>
                <span className="muted">{t('cost.coverage')}</span>
                <span>{pct(k.coverage, 0)}</span>
              </div>
            </div>
            {billOption && <EChart option={billOption} height={280} testId="bill-chart" />}
          </>
        ) : (
          <p className={kpis.isError ? 'error' : 'muted'}>
            {kpis.isError ? `${t('app.loadError')} (${(kpis.error as Error).message})` : t('app.loading')}
          </p>
        )}
      </section>
      <section className="card">
        <h2>{t('cost.peakTitle')}</h2>
        {peak.isError && <p className="error">{t('app.loadError')}</p>}
        <EChart option={peakOption} height={300} testId="peak-chart" />
        <p className="muted small">{t('cost.peakHelp')}</p>
      </section>
      <section className="card span2">
        <h2>{t('cost.heatTitle')}</h2>
        {heat.isError && <p className="error">{t('app.loadError')}</p>}
        {heat.data && heat.data.length === 0 && <p className="muted">{t('cost.heatEmpty')}</p>}
        <EChart option={heatOption} height={440} testId="heat-chart" />
        <p className="muted small">{t('cost.heatHelp')}</p>
      </section>
    </div>
  );
}
