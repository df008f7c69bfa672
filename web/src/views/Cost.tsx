import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type PeriodKpis, type TelemetrySeries } from '../api.ts';
import { EChart } from '../components/EChart.tsx';
import { isoAt, krw, localDate, localMidnightMs, num, pct, power, zoneOffset } from '../format.ts';
import { useLive } from '../live.ts';

// The bill of the month so far by component (/api/kpis), the 15-minute peak that sets the demand
// charge, hourly RE100 matching as an hour × day heat map, and emissions. All from stored telemetry.

const ZONE = 'Asia/Seoul';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
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

function tele(asset: string, fromMs: number, toMs: number, bucket: string) {
  return api<TelemetrySeries>(
    `/api/telemetry?asset=${encodeURIComponent(asset)}&measurement=power_kw&from=${encodeURIComponent(isoAt(fromMs, ZONE))}&to=${encodeURIComponent(isoAt(toMs, ZONE))}&bucket=${bucket}`,
  );
}

export default function Cost() {
  const { t } = useTranslation();
  const liveTime = useLive((s) => s.state?.time);
  const assets = useLive((s) => s.state?.assets);
  const nowMs = liveTime ? Date.parse(liveTime) : Date.now();
  // Month start in the district's zone: the day's midnight minus (day of month − 1) days.
  const today0 = localMidnightMs(nowMs, ZONE);
  const monthStart = today0 - (Number(localDate(nowMs, ZONE).slice(8, 10)) - 1) * DAY_MS;
  const nowKey = Math.floor(nowMs / (15 * 60_000));
  const kpis = useQuery({
    queryKey: ['kpis', monthStart, nowKey],
    queryFn: () =>
      api<PeriodKpis>(
        `/api/kpis?from=${encodeURIComponent(isoAt(monthStart, ZONE))}&to=${encodeURIComponent(isoAt(Math.max(nowMs, monthStart + 15 * 60_000), ZONE))}`,
      ),
    refetchInterval: REFRESH_MS,
  });
  const peak = useQuery({
    queryKey: ['peak', monthStart, nowKey],
    queryFn: () => tele('grid', monthStart, nowMs, 'PT15M'),
    refetchInterval: REFRESH_MS,
  });
  const pvIds = Object.values(assets ?? {})
    .filter((a) => a.type === 'pv' || a.type === 'battery')
    .map((a) => `${a.type}:${a.id}`);
  const heatFrom = today0 - (HEATMAP_DAYS - 1) * DAY_MS;
  const heat = useQuery({
    queryKey: ['heat', heatFrom, pvIds.join(','), Math.floor(nowMs / HOUR_MS)],
    enabled: pvIds.length > 0,
    queryFn: async () => {
      const grid = await tele('grid', heatFrom, nowMs, 'PT1H');
      const others = await Promise.all(
        pvIds.map(async (k) => ({
          type: k.split(':')[0],
          s: await tele(k.split(':')[1], heatFrom, nowMs, 'PT1H'),
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
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 140, right: 30, top: 10, bottom: 30 },
        xAxis: { type: 'value', axisLabel: { formatter: (v: number) => `₩${num(v / 1e6, 1)}M` } },
        yAxis: { type: 'category', data: BILL_PARTS.map((p) => t(`bill.${p}`)), inverse: true },
        series: [
          {
            type: 'bar',
            data: BILL_PARTS.map((p) => Math.round(k.bill[p])),
            itemStyle: { color: '#2c7fb8' },
          },
        ],
      },
    [k, t],
  );
  const peakOption = useMemo(() => {
    const pts = peak.data?.points ?? [];
    let max = 0;
    let at = '';
    for (const p of pts) if (p.value > max) [max, at] = [p.value, p.time];
    // ECharts formats time axes in the browser's zone or UTC only: shift to the district's wall clock.
    const off = zoneOffset(nowMs, ZONE);
    const shiftMs =
      (off.startsWith('-') ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6))) * 60_000;
    return {
      useUTC: true,
      tooltip: { trigger: 'axis' },
      grid: { left: 70, right: 30, top: 30, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: 'kW' },
      series: [
        {
          type: 'line',
          name: t('cost.import15'),
          showSymbol: false,
          data: pts.map((p) => [Date.parse(p.time) + shiftMs, Math.round(p.value)]),
          markPoint: at
            ? {
                data: [{ coord: [Date.parse(at) + shiftMs, Math.round(max)], value: power(max) }],
                symbolSize: 60,
              }
            : undefined,
          markLine: k
            ? {
                symbol: 'none',
                data: [{ yAxis: Math.round(k.billingDemandKw), name: t('cost.billingDemand') }],
                label: { formatter: t('cost.billingDemand'), position: 'insideEndTop' },
              }
            : undefined,
        },
      ],
    };
  }, [peak.data, k, t, nowMs]);
  const heatOption = useMemo(
    () => ({
      tooltip: {
        formatter: (p: { value: [number, number, number] }) =>
          `${localDate(heatFrom + p.value[1] * DAY_MS, ZONE)} ${p.value[0]}:00 — ${pct(p.value[2], 0)}`,
      },
      grid: { left: 90, right: 20, top: 10, bottom: 70 },
      xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => `${h}`), name: t('cost.hour') },
      yAxis: {
        type: 'category',
        data: Array.from({ length: HEATMAP_DAYS }, (_, d) =>
          localDate(heatFrom + d * DAY_MS + HOUR_MS, ZONE).slice(5),
        ),
      },
      visualMap: {
        min: 0,
        max: 1,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        calculable: false,
        inRange: { color: ['#3b3b52', '#2c7fb8', '#7fcdbb', '#ffffcc'] },
        formatter: (v: number) => pct(v, 0),
      },
      series: [{ type: 'heatmap', data: heat.data ?? [] }],
    }),
    [heat.data, heatFrom, t],
  );

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
                <span data-testid="cost-co2">{num(k.co2Kg / 1000, 2)} t CO₂</span>
              </div>
              <div>
                <span className="muted">{t('cost.coverage')}</span>
                <span>{pct(k.coverage, 0)}</span>
              </div>
            </div>
            {billOption && <EChart option={billOption} height={260} testId="bill-chart" />}
          </>
        ) : (
          <p className="muted">{kpis.isError ? (kpis.error as Error).message : t('app.loading')}</p>
        )}
      </section>
      <section className="card">
        <h2>{t('cost.peakTitle')}</h2>
        <EChart option={peakOption} height={300} testId="peak-chart" />
        <p className="muted small">{t('cost.peakHelp')}</p>
      </section>
      <section className="card span2">
        <h2>{t('cost.heatTitle')}</h2>
        <EChart option={heatOption} height={420} testId="heat-chart" />
        <p className="muted small">{t('cost.heatHelp')}</p>
      </section>
    </div>
  );
}
