import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type uPlot from 'uplot';
import {
  api,
  ApiError,
  JOBS_UNAVAILABLE,
  type AssetLive,
  type JobList,
  type TelemetrySeries,
} from '../api.ts';
import { JobTimeline } from '../components/JobTimeline.tsx';
import { UPlotChart } from '../components/UPlotChart.tsx';
import { isoAt, num, pct, power, time } from '../format.ts';
import { assetPowerKw, channels, useLive } from '../live.ts';

const ZONE = 'Asia/Seoul';
/** A vehicle counts as ready for departure from this state of charge (no target is on the API). */
const READY_SOC = 0.8;
const DAY_MS = 86_400_000;
/** Jobs change when someone submits one or the planner re-plans: a quarter-minute is fresh enough. */
const JOBS_POLL_MS = 15_000;

function Fleet({ asset }: { asset: AssetLive }) {
  const { t } = useTranslation();
  const points = [...channels(asset).entries()].sort(([a], [b]) => a.localeCompare(b));
  const online = points.filter(([, m]) => m.online === 1).length;
  const charging = points.filter(([, m]) => (m.power_kw ?? 0) > 0.1).length;
  return (
    <section className="card" data-testid={`fleet-${asset.id}`}>
      <div className="card-head">
        <h2>
          {t(`assetType.${asset.type}`)} · {asset.id}
        </h2>
        <span className="muted">
          {t('fleet.summary', { total: points.length, online, charging, power: power(assetPowerKw(asset)) })}
        </span>
      </div>
      <div className="chargers">
        {points.map(([ch, m]) => {
          const soc = m.soc_fraction;
          const ready = soc !== undefined && soc >= READY_SOC;
          return (
            <div
              key={ch}
              className={`charger ${m.online === 1 ? '' : 'off'} ${(m.power_kw ?? 0) > 0.1 ? 'on' : ''}`}
              title={ch}
            >
              <div className="ch-id">{ch.replace(`${asset.id}-`, '')}</div>
              <div className="ch-bar">
                <div
                  style={{ height: `${Math.round((soc ?? 0) * 100)}%` }}
                  className={ready ? 'ready' : ''}
                />
              </div>
              <div className="ch-val">{m.power_kw !== undefined ? `${num(m.power_kw, 0)} kW` : '—'}</div>
              <div className="ch-val muted">{soc !== undefined ? pct(soc, 0) : t('fleet.socUnknown')}</div>
            </div>
          );
        })}
      </div>
      <p className="muted small">{t('fleet.legend', { ready: pct(READY_SOC, 0) })}</p>
    </section>
  );
}

function DataCenter({ asset, nowMs }: { asset: AssetLive; nowMs: number }) {
  const { t } = useTranslation();
  const from = nowMs - DAY_MS;
  const q = useQuery({
    queryKey: ['dc', asset.id],
    queryFn: () =>
      api<TelemetrySeries>(
        `/api/telemetry?asset=${encodeURIComponent(asset.id)}&measurement=power_kw&from=${encodeURIComponent(isoAt(from, ZONE))}&to=${encodeURIComponent(isoAt(nowMs, ZONE))}&bucket=PT5M`,
      ),
    refetchInterval: 15_000,
  });
  const data = useMemo<uPlot.AlignedData>(() => {
    const pts = q.data?.points ?? [];
    return [pts.map((p) => Date.parse(p.time) / 1000), pts.map((p) => p.value)];
  }, [q.data]);
  const series = useMemo<uPlot.Series[]>(
    () => [{ label: t('fleet.dcPower'), stroke: '#9467bd', width: 2, fill: 'rgba(148,103,189,0.15)' }],
    [t],
  );
  return (
    <section className="card" data-testid="fleet-datacenter">
      <div className="card-head">
        <h2>
          {t('fleet.datacenter')} · {asset.id}
        </h2>
        <span className="big">{power(assetPowerKw(asset))}</span>
      </div>
      <UPlotChart data={data} series={series} height={220} />
      <Jobs datacenterId={asset.id} nowMs={nowMs} />
    </section>
  );
}

function Jobs({ datacenterId, nowMs }: { datacenterId: string; nowMs: number }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['jobs'],
    queryFn: () => api<JobList>('/api/jobs'),
    refetchInterval: JOBS_POLL_MS,
    // A server without a job book says so; asking again will not change that.
    retry: (n, e) => !(e instanceof ApiError && e.code === JOBS_UNAVAILABLE) && n < 3,
  });
  let body;
  if (q.isError)
    body =
      q.error instanceof ApiError && q.error.code === JOBS_UNAVAILABLE ? (
        <p className="notice small">{t('jobs.unavailable')}</p>
      ) : (
        <p className="error small">{(q.error as Error).message}</p>
      );
  else if (!q.data) body = <p className="muted">{t('app.loading')}</p>;
  else
    body = (
      <JobTimeline
        jobs={q.data.jobs.filter((j) => j.datacenterId === datacenterId)}
        nowMs={nowMs}
        zone={ZONE}
      />
    );
  return (
    <div className="jobs-section">
      <div className="card-head">
        <h3>{t('jobs.title')}</h3>
        {q.data && (
          <span className="muted small">
            {q.data.plannedAt
              ? t('jobs.plannedAt', { time: time(q.data.plannedAt, ZONE, true) })
              : t('jobs.noPlan')}
          </span>
        )}
      </div>
      {body}
    </div>
  );
}

export default function Fleets() {
  const { t } = useTranslation();
  const state = useLive((s) => s.state);
  if (!state) return <div className="muted">{t('stream.waiting')}</div>;
  const all = Object.values(state.assets);
  const fleets = all.filter((a) => a.type === 'ev_chargers' || a.type === 'bus_depot');
  const dcs = all.filter((a) => a.type === 'datacenter');
  return (
    <div className="col">
      {fleets.map((a) => (
        <Fleet key={a.id} asset={a} />
      ))}
      {dcs.map((a) => (
        <DataCenter key={a.id} asset={a} nowMs={Date.parse(state.time)} />
      ))}
    </div>
  );
}
