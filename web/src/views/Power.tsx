import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type uPlot from 'uplot';
import { api, type ForecastRec, type TelemetrySeries } from '../api.ts';
import { UPlotChart } from '../components/UPlotChart.tsx';
import { isoAt } from '../format.ts';
import { useLive } from '../live.ts';

// Actual (stored telemetry, downsampled by the API) against the latest forecast's P10–P90 band and
// P50, over a window from a day to a year ending at the live clock, with a quarter of the window
// ahead for the forecast.

const ZONE = 'Asia/Seoul';
const H = 3_600_000;
/** Window lengths and the bucket that keeps each under ~1,000 points. */
const RANGES = {
  day: { ms: 24 * H, bucket: 'PT5M' },
  week: { ms: 7 * 24 * H, bucket: 'PT15M' },
  month: { ms: 31 * 24 * H, bucket: 'PT1H' },
  year: { ms: 366 * 24 * H, bucket: 'PT12H' },
} as const;
type Range = keyof typeof RANGES;
/** The live clock moves quickly in the twin; re-read the series this often. */
const REFRESH_MS = 15_000;

interface ScheduleRec {
  start: string;
  strategy: string;
  payload: unknown;
}

/** The planned power of one asset from the schedule in force (`serve` stores its plan per asset). */
function planFor(s: ScheduleRec | null | undefined, asset: string) {
  const p = s?.payload as { intervalMinutes?: number; assets?: Record<string, number[]> } | undefined;
  const values = p?.assets?.[asset];
  if (!s || !p?.intervalMinutes || !values) return undefined;
  return { startMs: Date.parse(s.start), intervalMinutes: p.intervalMinutes, values };
}

export default function Power() {
  const { t } = useTranslation();
  const assets = useLive((s) => s.state?.assets);
  const liveTime = useLive((s) => s.state?.time);
  const ids = ['grid', ...Object.values(assets ?? {}).map((a) => a.id)];
  const [asset, setAsset] = useState('grid');
  const [range, setRange] = useState<Range>('day');
  const nowMs = liveTime ? Date.parse(liveTime) : Date.now();
  const r = RANGES[range];
  const fromMs = nowMs - r.ms;
  const toMs = nowMs + r.ms / 4;
  const measurement = asset === 'grid' || assets?.[asset]?.measurements.power_kw ? 'power_kw' : 'power_kw';
  const tele = useQuery({
    queryKey: ['tele', asset, range],
    queryFn: () =>
      api<TelemetrySeries>(
        `/api/telemetry?asset=${encodeURIComponent(asset)}&measurement=${measurement}&from=${encodeURIComponent(isoAt(fromMs, ZONE))}&to=${encodeURIComponent(isoAt(nowMs, ZONE))}&bucket=${r.bucket}`,
      ),
    refetchInterval: REFRESH_MS,
  });
  const fc = useQuery({
    queryKey: ['fc', asset],
    queryFn: () =>
      api<{ forecasts: ForecastRec[] }>(`/api/forecasts?asset=${encodeURIComponent(asset)}&latest=true`),
    refetchInterval: REFRESH_MS * 4,
  });
  const forecast = fc.data?.forecasts[0];
  const sched = useQuery({
    queryKey: ['schedule'],
    queryFn: () => api<{ schedule: ScheduleRec | null }>('/api/schedule'),
    refetchInterval: REFRESH_MS * 4,
  });
  const plan = useMemo(() => planFor(sched.data?.schedule, asset), [sched.data, asset]);

  const { data, series, bands } = useMemo(() => {
    const xs = new Map<number, number>();
    const act = new Map<number, number>();
    for (const p of tele.data?.points ?? []) {
      const x = Date.parse(p.time) / 1000;
      xs.set(x, x);
      act.set(x, p.value);
    }
    const p10 = new Map<number, number>();
    const p50 = new Map<number, number>();
    const p90 = new Map<number, number>();
    if (forecast) {
      const s0 = Date.parse(forecast.start);
      const q = forecast.quantiles;
      const n = (q.p50 ?? q.p10 ?? []).length;
      for (let i = 0; i < n; i++) {
        const x = (s0 + i * forecast.intervalMinutes * 60_000) / 1000;
        if (x * 1000 < fromMs || x * 1000 > toMs) continue;
        xs.set(x, x);
        if (q.p10) p10.set(x, q.p10[i]);
        if (q.p50) p50.set(x, q.p50[i]);
        if (q.p90) p90.set(x, q.p90[i]);
      }
    }
    const planned = new Map<number, number>();
    if (plan) {
      for (let i = 0; i < plan.values.length; i++) {
        const x = (plan.startMs + i * plan.intervalMinutes * 60_000) / 1000;
        if (x * 1000 < fromMs || x * 1000 > toMs) continue;
        xs.set(x, x);
        planned.set(x, plan.values[i]);
      }
    }
    const x = [...xs.keys()].sort((a, b) => a - b);
    const col = (m: Map<number, number>) => x.map((v) => m.get(v) ?? null);
    const data: uPlot.AlignedData = [x, col(act), col(p10), col(p50), col(p90), col(planned)];
    const series: uPlot.Series[] = [
      { label: t('power.actual'), stroke: '#1f77b4', width: 2, spanGaps: true },
      { label: 'P10', stroke: 'rgba(255,127,14,0.5)', width: 1 },
      { label: 'P50', stroke: '#ff7f0e', width: 1.5, dash: [6, 4] },
      { label: 'P90', stroke: 'rgba(255,127,14,0.5)', width: 1 },
      { label: t('power.planned'), stroke: '#2ca02c', width: 1.5, dash: [2, 3], spanGaps: true },
    ];
    const bands: uPlot.Band[] = [{ series: [4, 2], fill: 'rgba(255,127,14,0.15)' }];
    return { data, series, bands };
  }, [tele.data, forecast, plan, fromMs, toMs, t]);

  return (
    <section className="card">
      <div className="card-head">
        <h2>{t('power.title')}</h2>
        <div className="controls">
          <select value={asset} onChange={(e) => setAsset(e.target.value)} data-testid="power-asset">
            {ids.map((id) => (
              <option key={id} value={id}>
                {id === 'grid' ? t('flow.grid') : id}
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
      <UPlotChart data={data} series={series} bands={bands} height={360} testId="power-chart" />
      <p className="muted small">
        {t('power.help', { bucket: r.bucket })} {!forecast && t('power.noForecast')}{' '}
        {!plan && t('power.noSchedule')}
      </p>
    </section>
  );
}
