import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import {
  api,
  ApiError,
  JOBS_UNAVAILABLE,
  type AssetLive,
  type ChargingSession,
  type JobList,
  type ScheduleRec,
  type TelemetrySeries,
} from '../api.ts';
import { planPoints, wallClock } from '../charts.ts';
import { actualVsPlanOption } from '../components/actual-vs-plan.ts';
import { EChart } from '../components/EChart.tsx';
import { JobTimeline } from '../components/JobTimeline.tsx';
import { useZone } from '../district.ts';
import { energy, hourMinute, isoAt, num, pct, power, time } from '../format.ts';
import { useAssetLabel } from '../labels.ts';
import { assetPowerKw, channels, useLive } from '../live.ts';

// Bus depot and EV chargers, one tile per charge point with the state an on-call engineer acts on:
// charging, plugged in (a session, no power), ready (the energy the session wants is delivered, or
// the car reports a full-enough battery), free, offline. Sessions come from the planner
// (GET /api/charging-sessions: departure, energy wanted and delivered), power and SoC from the live
// state. Then the data center: its power over the last day with the plan in force ahead, and the
// training-job timeline.

/** A vehicle counts as ready for departure from this state of charge when it reports one. */
const READY_SOC = 0.8;
/** Below this a connector is idle (meters report a few watts of standby). */
const CHARGING_MIN_KW = 0.1;
/** A session is done when this little of its wanted energy is left. */
const DONE_TOLERANCE_KWH = 0.5;
const DAY_MS = 86_400_000;
const MS_PER_HOUR = 3_600_000;
/** The plan of the data center is shown this far ahead of now. */
const DC_AHEAD_MS = 6 * MS_PER_HOUR;
/** Sessions and jobs change when cars come and go or the planner re-plans: often enough. */
const SESSIONS_POLL_MS = 10_000;
const JOBS_POLL_MS = 15_000;
const TELEMETRY_POLL_MS = 15_000;

export type PointState = 'charging' | 'plugged' | 'ready' | 'free' | 'offline';
const STATES: PointState[] = ['charging', 'plugged', 'ready', 'free', 'offline'];

interface Connector {
  id: string;
  powerKw?: number;
  soc?: number;
  session?: ChargingSession;
  state: PointState;
}

function connectorState(
  powerKw: number | undefined,
  soc: number | undefined,
  s?: ChargingSession,
): PointState {
  const ready =
    (s !== undefined && s.energyKwh - s.deliveredKwh <= DONE_TOLERANCE_KWH) ||
    (soc !== undefined && soc >= READY_SOC);
  if ((powerKw ?? 0) > CHARGING_MIN_KW) return 'charging';
  if (s && ready) return 'ready';
  if (s) return 'plugged';
  return 'free';
}

/** Charge points of a fleet with their connectors, from `name@<cp>[/<connector>]` measurements. */
function chargePoints(asset: AssetLive, sessions: ChargingSession[]) {
  const byChannel = channels(asset);
  const cps = new Map<string, { online?: number; connectors: Connector[] }>();
  const cpOf = (ch: string) => {
    const id = ch.split('/')[0];
    let cp = cps.get(id);
    if (!cp) cps.set(id, (cp = { connectors: [] }));
    return cp;
  };
  for (const [ch, m] of byChannel) {
    const [cpId, sub] = ch.split('/');
    // Per-transaction channels (`…/tx:<id>`) are sessions, not connectors.
    if (sub?.startsWith('tx:')) continue;
    const cp = cpOf(cpId);
    if (sub === undefined) {
      if (m.online !== undefined) cp.online = m.online;
      if (m.power_kw === undefined) continue;
    }
    const session = sessions.find((s) => s.assetId === asset.id && s.channel === ch);
    cp.connectors.push({
      id: sub ?? '1',
      powerKw: m.power_kw,
      soc: m.soc_fraction,
      session,
      state: connectorState(m.power_kw, m.soc_fraction, session),
    });
  }
  // Sessions the live state has no connector reading for yet still belong on their charge point.
  for (const s of sessions)
    if (s.assetId === asset.id) {
      const [cpId, sub] = s.channel.split('/');
      const cp = cpOf(cpId);
      if (!cp.connectors.some((c) => c.id === (sub ?? '1')))
        cp.connectors.push({ id: sub ?? '1', session: s, state: connectorState(undefined, undefined, s) });
    }
  return [...cps.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, cp]) => {
      const conns = cp.connectors.sort((a, b) => a.id.localeCompare(b.id));
      // The tile shows the state that needs attention first.
      const state: PointState =
        cp.online === 0 ? 'offline' : (STATES.find((s) => conns.some((c) => c.state === s)) ?? 'free');
      return { id, online: cp.online, connectors: conns, state };
    });
}

function Departure({ c, nowMs }: { c: Connector; nowMs: number }) {
  const { t } = useTranslation();
  const s = c.session;
  if (!s) return null;
  const leftKwh = Math.max(0, s.energyKwh - s.deliveredKwh);
  const hoursLeft = (Date.parse(s.departure) - nowMs) / MS_PER_HOUR;
  const kw = c.powerKw ?? 0;
  // Not charging is not late by itself: the plan may charge later, when energy is cheaper. Late is
  // past the departure with energy missing, or charging too slowly to make it.
  const outlook: 'onTime' | 'atRisk' | 'waiting' =
    leftKwh <= DONE_TOLERANCE_KWH
      ? 'onTime'
      : hoursLeft <= 0
        ? 'atRisk'
        : kw > CHARGING_MIN_KW
          ? leftKwh / kw <= hoursLeft
            ? 'onTime'
            : 'atRisk'
          : 'waiting';
  return (
    <div className="ch-session">
      <div className="ch-bar-h">
        <div style={{ width: `${Math.min(100, (s.deliveredKwh / Math.max(s.energyKwh, 1)) * 100)}%` }} />
      </div>
      <div className="small">
        {num(s.deliveredKwh, 0)}/{num(s.energyKwh, 0)} kWh
      </div>
      <div className={`small ${outlook === 'onTime' ? 'ok' : outlook === 'atRisk' ? 'error' : 'muted'}`}>
        {t('fleet.departs', { time: hourMinute(s.departure) })} · {t(`fleet.outlook.${outlook}`)}
      </div>
    </div>
  );
}

function Fleet({ asset, sessions, nowMs }: { asset: AssetLive; sessions: ChargingSession[]; nowMs: number }) {
  const { t } = useTranslation();
  const label = useAssetLabel();
  const points = chargePoints(asset, sessions);
  const count = (s: PointState) => points.filter((p) => p.state === s).length;
  return (
    <section className="card" data-testid={`fleet-${asset.id}`}>
      <div className="card-head">
        <h2>{label(asset.id)}</h2>
        <span className="big">{power(assetPowerKw(asset))}</span>
      </div>
      <div className="state-chips" data-testid={`fleet-summary-${asset.id}`}>
        {STATES.map((s) => (
          <span key={s} className={`chip st-${s}`} data-testid={`fleet-count-${asset.id}-${s}`}>
            {t(`fleet.state.${s}`)} <b>{count(s)}</b>
          </span>
        ))}
      </div>
      <div className="chargers">
        {points.map((p) => (
          <div key={p.id} className={`charger st-${p.state}`} title={p.id} data-state={p.state}>
            <div className="ch-head">
              <span className="ch-id">{p.id.replace(`${asset.id}-`, '')}</span>
              <span className="ch-state">{t(`fleet.state.${p.state}`)}</span>
            </div>
            {p.connectors
              .filter((c) => c.state !== 'free' || p.connectors.length === 1)
              .map((c) => (
                <div key={c.id} className="ch-conn">
                  {p.connectors.length > 1 && <span className="muted small">#{c.id} </span>}
                  <span className="ch-val">{c.powerKw !== undefined ? power(c.powerKw) : '—'}</span>
                  {c.soc !== undefined && (
                    <span className="small"> · {t('fleet.soc', { soc: pct(c.soc, 0) })}</span>
                  )}
                  <Departure c={c} nowMs={nowMs} />
                </div>
              ))}
          </div>
        ))}
      </div>
      <p className="muted small">{t('fleet.legend', { ready: pct(READY_SOC, 0) })}</p>
    </section>
  );
}

function DataCenter({ asset, nowMs }: { asset: AssetLive; nowMs: number }) {
  const { t } = useTranslation();
  const zone = useZone();
  const label = useAssetLabel();
  const from = nowMs - DAY_MS;
  const q = useQuery({
    queryKey: ['dc', asset.id],
    queryFn: () =>
      api<TelemetrySeries>(
        `/api/telemetry?asset=${encodeURIComponent(asset.id)}&measurement=power_kw&from=${encodeURIComponent(isoAt(from, zone))}&to=${encodeURIComponent(isoAt(nowMs, zone))}&bucket=PT5M`,
      ),
    refetchInterval: TELEMETRY_POLL_MS,
  });
  const sched = useQuery({
    queryKey: ['schedule'],
    queryFn: () => api<{ schedule: ScheduleRec | null }>('/api/schedule'),
    refetchInterval: TELEMETRY_POLL_MS * 2,
  });
  const option = useMemo(() => {
    const wall = wallClock(zone);
    const s = sched.data?.schedule;
    const planPts = planPoints(s, asset.id, from, nowMs + DC_AHEAD_MS, wall);
    return actualVsPlanOption({
      wall,
      fromMs: from,
      toMs: nowMs + DC_AHEAD_MS,
      nowMs,
      actual: q.data?.points ?? [],
      plan: planPts,
      labels: { actual: t('power.actual'), plan: t('power.plan'), now: t('power.now') },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      area: true,
    });
  }, [q.data, sched.data, zone, from, nowMs, asset.id, t]);
  return (
    <section className="card" data-testid="fleet-datacenter">
      <div className="card-head">
        <h2>{label(asset.id)}</h2>
        <span className="big">{power(assetPowerKw(asset))}</span>
      </div>
      {q.isError && <p className="error">{t('app.loadError')}</p>}
      <EChart option={option} height={240} testId="dc-chart" />
      <Jobs datacenterId={asset.id} nowMs={nowMs} />
    </section>
  );
}

function Jobs({ datacenterId, nowMs }: { datacenterId: string; nowMs: number }) {
  const { t } = useTranslation();
  const zone = useZone();
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
        <p className="error small">
          {t('app.loadError')} ({(q.error as Error).message})
        </p>
      );
  else if (!q.data) body = <p className="muted">{t('app.loading')}</p>;
  else
    body = (
      <JobTimeline
        jobs={q.data.jobs.filter((j) => j.datacenterId === datacenterId)}
        nowMs={nowMs}
        zone={zone}
      />
    );
  return (
    <div className="jobs-section">
      <div className="card-head">
        <h3>{t('jobs.title')}</h3>
        {q.data && (
          <span className="muted small">
            {q.data.plannedAt
              ? t('jobs.plannedAt', { time: time(q.data.plannedAt, zone, true) })
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
  const sessions = useQuery({
    queryKey: ['charging-sessions'],
    queryFn: () => api<{ sessions: ChargingSession[] }>('/api/charging-sessions'),
    refetchInterval: SESSIONS_POLL_MS,
    retry: false,
  });
  if (!state) return <div className="muted">{t('stream.waiting')}</div>;
  const nowMs = Date.parse(state.time);
  const all = Object.values(state.assets);
  const fleets = all.filter((a) => a.type === 'ev_chargers' || a.type === 'bus_depot');
  const dcs = all.filter((a) => a.type === 'datacenter');
  const list = sessions.data?.sessions ?? [];
  return (
    <div className="col">
      {sessions.isError && (
        <p className="notice small" data-testid="sessions-unavailable">
          {t('fleet.noSessions')}
        </p>
      )}
      <p className="muted small" data-testid="sessions-count">
        {t('fleet.sessions', {
          n: list.length,
          energy: energy(list.reduce((a, s) => a + s.deliveredKwh, 0)),
        })}
      </p>
      {fleets.map((a) => (
        <Fleet key={a.id} asset={a} sessions={list} nowMs={nowMs} />
      ))}
      {dcs.map((a) => (
        <DataCenter key={a.id} asset={a} nowMs={nowMs} />
      ))}
    </div>
  );
}
