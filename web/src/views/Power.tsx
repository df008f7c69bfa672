import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  api,
  ApiError,
  type ForecastRec,
  type MeasurementName,
  type ScheduleRec,
  type TelemetrySeries,
} from '../api.ts';
import { nowLine, timeAxis, timeTooltip, valueAxis, wallClock } from '../charts.ts';
import { SERIES_COLOR } from '../components/chart-theme.ts';
import { EChart } from '../components/EChart.tsx';
import { ForecastModels } from '../components/ForecastModels.tsx';
import { useZone } from '../district.ts';
import { duration, isoAt, num, pct, power, time } from '../format.ts';
import { GRID_ID, useAssetLabel } from '../labels.ts';
import { useLive } from '../live.ts';

// Actual power (stored telemetry, downsampled by the API) against the latest forecast (P50, and the
// P10–P90 band where the model gives one) and the plan in force, over a window from a day to a year
// ending at the live clock with a quarter of the window ahead. A battery also shows its state of
// charge. The grid meter has no forecast of its own: the plan's grid line is what the planner
// expects to import, made from the load and PV forecasts.

const MS_PER_MINUTE = 60_000;
const H = 3_600_000;
/** Window lengths and the bucket (minutes) that keeps each under ~1,000 points. */
const RANGES = {
  day: { ms: 24 * H, bucketMin: 5 },
  week: { ms: 7 * 24 * H, bucketMin: 15 },
  month: { ms: 31 * 24 * H, bucketMin: 60 },
  year: { ms: 366 * 24 * H, bucketMin: 720 },
} as const;
type Range = keyof typeof RANGES;
/** Share of the window shown ahead of now, for the forecast and the plan. */
const AHEAD_FRACTION = 0.25;
/** The live clock moves quickly in the twin; re-read the series this often. */
const REFRESH_MS = 15_000;
/** Forecasts and plans change every few (clock) minutes at most. */
const PLAN_REFRESH_MS = 30_000;

/** The planned power of one asset from the schedule in force (`serve` stores its plan per asset). */
function planFor(s: ScheduleRec | null | undefined, asset: string) {
  const p = s?.payload as { intervalMinutes?: number; assets?: Record<string, number[]> } | undefined;
  const values = p?.assets?.[asset];
  if (!s || !p?.intervalMinutes || !values) return undefined;
  return { startMs: Date.parse(s.start), intervalMinutes: p.intervalMinutes, values };
}

function tele(
  asset: string,
  measurement: MeasurementName,
  fromMs: number,
  toMs: number,
  bucketMin: number,
  zone: string,
) {
  return api<TelemetrySeries>(
    `/api/telemetry?asset=${encodeURIComponent(asset)}&measurement=${measurement}&from=${encodeURIComponent(isoAt(fromMs, zone))}&to=${encodeURIComponent(isoAt(toMs, zone))}&bucket=PT${bucketMin}M`,
  );
}

export default function Power() {
  const { t } = useTranslation();
  const zone = useZone();
  const label = useAssetLabel();
  const assets = useLive((s) => s.state?.assets);
  const liveTime = useLive((s) => s.state?.time);
  const ids = [GRID_ID, ...Object.values(assets ?? {}).map((a) => a.id)];
  const [asset, setAsset] = useState(GRID_ID);
  const [range, setRange] = useState<Range>('day');
  const isBattery = assets?.[asset]?.type === 'battery';
  const nowMs = liveTime ? Date.parse(liveTime) : Date.now();
  const r = RANGES[range];
  const fromMs = nowMs - r.ms;
  const toMs = nowMs + r.ms * AHEAD_FRACTION;

  const actual = useQuery({
    queryKey: ['tele', asset, 'power_kw', range],
    queryFn: () => tele(asset, 'power_kw', fromMs, nowMs, r.bucketMin, zone),
    refetchInterval: REFRESH_MS,
  });
  const soc = useQuery({
    queryKey: ['tele', asset, 'soc_fraction', range],
    queryFn: () => tele(asset, 'soc_fraction', fromMs, nowMs, r.bucketMin, zone),
    refetchInterval: REFRESH_MS,
    enabled: isBattery,
  });
  const fc = useQuery({
    queryKey: ['fc', asset],
    queryFn: () =>
      api<{ forecasts: ForecastRec[] }>(`/api/forecasts?asset=${encodeURIComponent(asset)}&latest=true`),
    refetchInterval: PLAN_REFRESH_MS,
    enabled: asset !== GRID_ID,
  });
  const forecast = fc.data?.forecasts[0];
  const sched = useQuery({
    queryKey: ['schedule'],
    queryFn: () => api<{ schedule: ScheduleRec | null }>('/api/schedule'),
    refetchInterval: PLAN_REFRESH_MS,
  });
  const schedule = sched.data?.schedule;
  const plan = useMemo(() => planFor(schedule, asset), [schedule, asset]);

  const option = useMemo(() => {
    const wall = wallClock(zone);
    const inWindow = (ms: number) => ms >= fromMs && ms <= toMs;
    const pts = (actual.data?.points ?? []).map((p) => [wall(Date.parse(p.time)), p.value]);
    const fcAt = (q: number[] | undefined) =>
      !forecast || !q
        ? []
        : q.flatMap((v, i) => {
            const ms = Date.parse(forecast.start) + i * forecast.intervalMinutes * MS_PER_MINUTE;
            return inWindow(ms) ? [[wall(ms), v]] : [];
          });
    const q = forecast?.quantiles ?? {};
    const p50 = fcAt(q.p50);
    const p10 = fcAt(q.p10);
    const p90 = fcAt(q.p90);
    const planPts = plan
      ? plan.values.flatMap((v, i) => {
          const ms = plan.startMs + i * plan.intervalMinutes * MS_PER_MINUTE;
          return inWindow(ms) ? [[wall(ms), v]] : [];
        })
      : [];
    const kwFormat = (v: number) => num(v, 0);
    const series: Record<string, unknown>[] = [
      {
        id: 'actual',
        name: t('power.actual'),
        type: 'line',
        showSymbol: false,
        data: pts,
        lineStyle: { width: 2, color: SERIES_COLOR.actual },
        itemStyle: { color: SERIES_COLOR.actual },
        markLine: nowLine(wall(nowMs), t('power.now')),
      },
    ];
    if (p10.length && p90.length) {
      // The band as a stack: an invisible P10 line, then P90 − P10 filled on top of it.
      series.push(
        {
          id: 'p10',
          name: 'P10',
          type: 'line',
          stack: 'band',
          showSymbol: false,
          data: p10,
          lineStyle: { opacity: 0 },
          tooltip: { show: false },
        },
        {
          id: 'band',
          name: t('power.band'),
          type: 'line',
          stack: 'band',
          showSymbol: false,
          data: p90.map(([x, v], i) => [x, v - (p10[i]?.[1] ?? v)]),
          lineStyle: { opacity: 0 },
          areaStyle: { color: SERIES_COLOR.forecast, opacity: 0.15 },
        },
      );
    }
    series.push({
      id: 'forecast',
      name: t('power.forecast'),
      type: 'line',
      showSymbol: false,
      data: p50,
      lineStyle: { width: 1.5, type: 'dashed', color: SERIES_COLOR.forecast },
      itemStyle: { color: SERIES_COLOR.forecast },
    });
    series.push({
      id: 'plan',
      name: asset === GRID_ID ? t('power.planGrid') : t('power.plan'),
      type: 'line',
      step: 'start',
      showSymbol: false,
      data: planPts,
      lineStyle: { width: 1.5, color: SERIES_COLOR.plan },
      itemStyle: { color: SERIES_COLOR.plan },
    });
    if (isBattery)
      series.push({
        id: 'soc',
        name: t('power.soc'),
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: (soc.data?.points ?? []).map((p) => [wall(Date.parse(p.time)), p.value * 100]),
        lineStyle: { width: 1.5, color: SERIES_COLOR.soc },
        itemStyle: { color: SERIES_COLOR.soc },
      });
    return {
      useUTC: true,
      // Only what is drawn: an empty series in the legend reads as a value of zero.
      legend: {
        top: 0,
        data: series.filter((s) => s.id !== 'p10' && (s.data as unknown[]).length > 0).map((s) => s.name),
      },
      grid: { left: 8, right: isBattery ? 8 : 24, top: 48, bottom: 8, containLabel: true },
      tooltip: timeTooltip((id, v) => (id === 'soc' ? pct(v / 100, 0) : power(v))),
      dataZoom: [{ type: 'inside' }],
      xAxis: timeAxis(wall(fromMs), wall(toMs)),
      yAxis: [
        valueAxis('kW', kwFormat),
        ...(isBattery
          ? [
              valueAxis(t('power.socAxis'), (v: number) => `${num(v, 0)}%`, {
                min: 0,
                max: 100,
                splitLine: { show: false },
              }),
            ]
          : []),
      ],
      series,
    };
  }, [actual.data, soc.data, forecast, plan, fromMs, toMs, nowMs, zone, t, asset, isBattery]);

  const planNote = schedule
    ? t('power.planInForce', {
        id: schedule.id,
        strategy: t(`strategy.${schedule.strategy}`, { defaultValue: schedule.strategy }),
        made: time(schedule.created, zone, true),
      })
    : t('power.noPlan');
  const error = actual.error instanceof ApiError ? actual.error : null;
  return (
    <div className="col">
      <section className="card">
        <div className="card-head">
          <h2>{t('power.title')}</h2>
          <div className="controls">
            <select value={asset} onChange={(e) => setAsset(e.target.value)} data-testid="power-asset">
              {ids.map((id) => (
                <option key={id} value={id}>
                  {label(id)}
                </option>
              ))}
            </select>
            {(Object.keys(RANGES) as Range[]).map((k) => (
              <button
                key={k}
                type="button"
                className={k === range ? '' : 'ghost'}
                onClick={() => setRange(k)}
                data-testid={`range-${k}`}
              >
                {t(`power.range.${k}`)}
              </button>
            ))}
          </div>
        </div>
        {isBattery && assets?.[asset]?.measurements.soc_fraction && (
          <p data-testid="power-soc">
            {t('power.socNow', { soc: pct(assets[asset].measurements.soc_fraction.value, 0) })}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {t('app.loadError')} ({error.message})
          </p>
        )}
        <EChart option={option} height={380} testId="power-chart" />
        <p className="muted small" data-testid="power-notes">
          {t('power.help', { bucket: duration(r.bucketMin) })}{' '}
          {asset === GRID_ID
            ? t('power.gridForecast')
            : forecast
              ? t('power.forecastFrom', {
                  model: forecast.model ?? '—',
                  issued: time(forecast.issued, zone, true),
                })
              : t('power.noForecast')}{' '}
          {plan ? planNote : schedule ? t('power.noPlanForAsset') : planNote}
        </p>
      </section>
      {asset !== GRID_ID && <ForecastModels assetId={asset} />}
    </div>
  );
}
