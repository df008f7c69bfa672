import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, KIND_BY_TYPE, type AuditRec, type OverrideRec, type PlannerRec } from '../api.ts';
import { useZone } from '../district.ts';
import { num, pct, power, time } from '../format.ts';
import { useAssetLabel } from '../labels.ts';
import { assetPowerKw, useLive } from '../live.ts';
import { useSession } from '../session.ts';

/** Overrides and the audit log refresh this often (they are not on the stream). */
const POLL_MS = 5_000;
/** The form's starting duration; the API allows up to a day. */
const DEFAULT_DURATION_MIN = 30;

function OverrideForm({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const label = useAssetLabel();
  const qc = useQueryClient();
  const assets = useLive((s) => s.state?.assets);
  const controllable = Object.values(assets ?? {}).filter((a) => KIND_BY_TYPE[a.type]);
  const [assetId, setAssetId] = useState('');
  const [value, setValue] = useState('0');
  const [duration, setDuration] = useState(String(DEFAULT_DURATION_MIN));
  const [reason, setReason] = useState('');
  const chosen = controllable.find((a) => a.id === assetId) ?? controllable[0];
  const kind = chosen ? KIND_BY_TYPE[chosen.type] : '';
  const set = useMutation({
    mutationFn: () =>
      api<OverrideRec>('/api/overrides', {
        method: 'POST',
        body: { assetId: chosen!.id, kind, value: Number(value), durationMinutes: Number(duration), reason },
      }),
    onSuccess: () => {
      setReason('');
      void qc.invalidateQueries({ queryKey: ['overrides'] });
      void qc.invalidateQueries({ queryKey: ['audit'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate();
  };
  const err = set.error instanceof ApiError ? set.error : null;
  return (
    <form className="card override-form" onSubmit={submit} data-testid="override-form">
      <h2>{t('ops.newOverride')}</h2>
      {!canWrite && (
        <p className="notice" data-testid="viewer-notice">
          {t('ops.operatorsOnly')}
        </p>
      )}
      <fieldset disabled={!canWrite || set.isPending}>
        <label>
          {t('ops.asset')}
          <select
            value={chosen?.id ?? ''}
            onChange={(e) => setAssetId(e.target.value)}
            data-testid="override-asset"
          >
            {controllable.map((a) => (
              <option key={a.id} value={a.id}>
                {label(a.id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('ops.kind')}
          <input value={kind ? t(`kind.${kind}`) : ''} readOnly />
        </label>
        <label>
          {t('ops.valueKw')}
          <input
            type="number"
            step="any"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            data-testid="override-value"
            required
          />
        </label>
        <label>
          {t('ops.durationMin')}
          <input
            type="number"
            min={1}
            max={1440}
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
            data-testid="override-duration"
            required
          />
        </label>
        <label className="wide">
          {t('ops.reason')}
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            maxLength={500}
            data-testid="override-reason"
            required
          />
        </label>
        <button type="submit" data-testid="override-submit">
          {t('ops.apply')}
        </button>
      </fieldset>
      {kind === 'battery_power_kw' && <p className="muted small">{t('ops.batterySign')}</p>}
      {err && (
        <p className="error" role="alert" data-testid="override-error">
          {t(`errors.${err.status}`, { defaultValue: '' }) || err.code}: {err.message}
        </p>
      )}
      {set.isSuccess && (
        <p className="ok" data-testid="override-ok">
          {t('ops.applied', {
            asset: label(set.data.assetId),
            until: time(set.data.expires, undefined, true),
          })}
        </p>
      )}
    </form>
  );
}

function ActiveOverrides({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const label = useAssetLabel();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['overrides'],
    queryFn: () => api<{ overrides: OverrideRec[] }>('/api/overrides'),
    refetchInterval: POLL_MS,
  });
  const clear = useMutation({
    mutationFn: (id: string) => api(`/api/overrides/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['overrides'] }),
  });
  return (
    <section className="card">
      <h2>{t('ops.active')}</h2>
      {q.data?.overrides.length === 0 && <p className="muted">{t('ops.noOverrides')}</p>}
      {q.isError && <p className="error">{t('app.loadError')}</p>}
      <div className="table-wrap">
        <table className="table" data-testid="overrides-table">
          {!!q.data?.overrides.length && (
            <thead>
              <tr>
                <th>{t('ops.asset')}</th>
                <th>{t('ops.kind')}</th>
                <th className="num">{t('ops.value')}</th>
                <th>{t('ops.expires')}</th>
                <th>{t('ops.by')}</th>
                <th />
              </tr>
            </thead>
          )}
          <tbody>
            {q.data?.overrides.map((o) => (
              <tr key={o.id}>
                <td title={o.assetId}>{label(o.assetId)}</td>
                <td>{t(`kind.${o.kind}`)}</td>
                <td className="num">{num(o.value, 1)} kW</td>
                <td>{t('ops.until', { time: time(o.expires, undefined, true) })}</td>
                <td className="muted">
                  {o.createdBy}: {o.reason}
                </td>
                <td>
                  {canWrite && (
                    <button
                      type="button"
                      className="ghost"
                      onClick={() => clear.mutate(o.id)}
                      data-testid={`override-clear-${o.id}`}
                    >
                      {t('ops.clear')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DeviceStatus() {
  const { t } = useTranslation();
  const label = useAssetLabel();
  const assets = useLive((s) => s.state?.assets);
  return (
    <section className="card">
      <h2>{t('ops.devices')}</h2>
      <div className="table-wrap">
        <table className="table" data-testid="devices-table">
          <thead>
            <tr>
              <th>{t('ops.asset')}</th>
              <th>{t('ops.type')}</th>
              <th>{t('ops.mode')}</th>
              <th className="num">{t('ops.power')}</th>
              <th className="num">{t('ops.soc')}</th>
              <th className="num">{t('ops.setpoint')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.values(assets ?? {}).map((a) => (
              <tr key={a.id} data-testid={`device-${a.id}`}>
                <td title={a.id}>{label(a.id)}</td>
                <td>{t(`assetType.${a.type}`, { defaultValue: a.type })}</td>
                <td>
                  <span className={`mode mode-${a.mode}`} data-testid={`mode-${a.id}`}>
                    {t(`mode.${a.mode}`)}
                  </span>
                  {a.reason && <span className="muted small"> {a.reason}</span>}
                </td>
                <td className="num">{power(assetPowerKw(a))}</td>
                <td className="num" data-testid={`device-soc-${a.id}`}>
                  {a.measurements.soc_fraction ? pct(a.measurements.soc_fraction.value, 0) : '—'}
                </td>
                <td className="num">{a.setpoint ? power(a.setpoint.value) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The controller's re-plan reasons (src/live/controller.ts) as dictionary keys; others shown as sent. */
const REPLAN_REASON_KEYS: Record<string, string> = {
  scheduled: 'ops.replanReason.scheduled',
  submit: 'ops.replanReason.submit',
  'EV arrival or departure': 'ops.replanReason.ev',
  'grid signal (DR event or price)': 'ops.replanReason.gridSignal',
};
const OFF_PLAN = /^import (-?\d+) kW is off the plan's (-?\d+) kW$/;

function useReplanReason() {
  const { t } = useTranslation();
  return (r: string) => {
    const m = OFF_PLAN.exec(r);
    if (m)
      return t('ops.replanReason.offPlan', { actual: power(Number(m[1])), planned: power(Number(m[2])) });
    const key = REPLAN_REASON_KEYS[r];
    return key ? t(key) : r;
  };
}

/** What decides now: the strategy, the schedule it follows, the last re-plan (GET /api/planner). */
function Planner() {
  const { t } = useTranslation();
  const reason = useReplanReason();
  const q = useQuery({
    queryKey: ['planner'],
    queryFn: () => api<PlannerRec>('/api/planner'),
    refetchInterval: POLL_MS,
  });
  const p = q.data;
  return (
    <section className="card" data-testid="planner">
      <h2>{t('ops.planner')}</h2>
      {p ? (
        <dl className="facts">
          <dt>{t('ops.strategy')}</dt>
          <dd>{t(`strategy.${p.strategy}`, { defaultValue: p.strategy })}</dd>
          <dt>{t('ops.deciding')}</dt>
          <dd data-testid="planner-mode">{t(`ops.plannerMode.${p.mode}`)}</dd>
          {p.scheduleMadeAt && (
            <>
              <dt>{t('ops.scheduleMade')}</dt>
              <dd>
                #{p.scheduleId} · {time(p.scheduleMadeAt, undefined, true)}
              </dd>
            </>
          )}
          {p.lastSolve && (
            <>
              <dt>{t('ops.lastReplan')}</dt>
              <dd>
                {time(p.lastSolve.at, undefined, true)} ·{' '}
                {t(`ops.solveStatus.${p.lastSolve.status}`, { defaultValue: p.lastSolve.status })} ·{' '}
                {t('ops.solveMs', { ms: num(p.lastSolve.solveMs) })} · {reason(p.lastSolve.reason)}
              </dd>
            </>
          )}
          <dt>{t('ops.replans')}</dt>
          <dd>
            {num(p.counters.solves ?? 0)} ({t('ops.failed')}{' '}
            {num((p.counters.solveFailures ?? 0) + (p.counters.solveTimeouts ?? 0))})
            {p.solving ? ` · ${t('ops.solving')}` : ''}
          </dd>
        </dl>
      ) : (
        <p className={q.isError ? 'error' : 'muted'}>{q.isError ? t('ops.noPlanner') : t('app.loading')}</p>
      )}
    </section>
  );
}

/** An audit target as people read it: asset ids as names, `job:<uuid>` and `event:<n>` shortened. */
function useTargetLabel() {
  const { t } = useTranslation();
  const label = useAssetLabel();
  return (target: string) => {
    const [kind, id] = target.includes(':') ? target.split(/:(.*)/s) : ['', target];
    if (kind === 'job') return t('audit.job', { id: id.slice(0, 8) });
    if (kind === 'event') return t('audit.event', { id });
    if (kind === 'planner') return `${t('ops.planner')} · ${t(`strategy.${id}`, { defaultValue: id })}`;
    if (kind) return target;
    return label(target);
  };
}

function AuditLog({ canRead }: { canRead: boolean }) {
  const { t } = useTranslation();
  const zone = useZone();
  const target = useTargetLabel();
  const q = useQuery({
    queryKey: ['audit'],
    queryFn: () => api<{ entries: AuditRec[] }>('/api/audit?limit=50'),
    refetchInterval: POLL_MS,
    enabled: canRead,
  });
  return (
    <section className="card">
      <h2>{t('ops.audit')}</h2>
      {!canRead && <p className="muted">{t('ops.auditOperatorsOnly')}</p>}
      {q.isError && <p className="error">{t('app.loadError')}</p>}
      {canRead && q.data?.entries.length === 0 && <p className="muted">{t('audit.empty')}</p>}
      {canRead && (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th>{t('audit.time', { zone })}</th>
                <th>{t('audit.actor')}</th>
                <th>{t('audit.action')}</th>
                <th>{t('audit.target')}</th>
                <th>{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {q.data?.entries.map((e) => (
                <tr key={e.id}>
                  <td className="muted nowrap">{time(e.time, zone, true)}</td>
                  <td>{e.actor}</td>
                  <td title={e.action}>
                    {t(`auditAction.${e.action.replace('.', '_')}`, { defaultValue: e.action })}
                  </td>
                  <td title={e.target}>{target(e.target)}</td>
                  <td className={`outcome-${e.outcome}`}>{t(`outcome.${e.outcome}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function Operations() {
  const role = useSession((s) => s.role);
  const canWrite = role === 'operator';
  return (
    <div className="grid2">
      <div className="col">
        <OverrideForm canWrite={canWrite} />
        <ActiveOverrides canWrite={canWrite} />
        <AuditLog canRead={canWrite} />
      </div>
      <div className="col">
        <Planner />
        <DeviceStatus />
      </div>
    </div>
  );
}
