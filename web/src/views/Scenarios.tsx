import { useMutation, useQuery } from '@tanstack/react-query';
import { ControllerForm, useControllerFields } from '../components/ControllerFields.tsx';
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, STRATEGIES, type SimRun } from '../api.ts';
import { ApiErrorAlert } from '../components/ApiErrorAlert.tsx';
import { EChart } from '../components/EChart.tsx';
import { TestbedRuns } from '../components/TestbedRuns.tsx';
import { krw, num, pct, power } from '../format.ts';
import { useSession } from '../session.ts';

/** Progress is polled this often while a run is queued or running. */
const POLL_MS = 1_000;
/** A short default run: a week compares strategies in a few seconds. */
const DEFAULT_DAYS = 7;

/** Shadow controllers are polled this often: the live cycle is a minute of clock time. */
const SHADOW_POLL_MS = 5_000;

/** GET /api/testbed/shadows: one row per shadow controller, best (most saving) first. */
interface ShadowEstimate {
  energyCostKrw: number;
  peakImportKw: number;
  newPeakCost12MonthsKrw: number;
  totalCostKrw: number;
}
interface Shadow {
  name: string;
  kind: 'module' | 'http';
  target: string;
  registeredBy: string;
  registeredAt: string;
  state: 'starting' | 'running' | 'failed';
  failure?: { reason: string; message: string };
  decisions: number;
  skippedCycles: number;
  clamps: number;
  meanDecisionMs: number;
  comparedHours: number;
  acting: ShadowEstimate;
  shadow: ShadowEstimate;
  differenceKrw: number;
}

/** Rows of the comparison table: KPI key, how to format it, and whether lower is better. */
const ROWS: { key: string; fmt: (v: number) => string; lowerBetter: boolean }[] = [
  { key: 'totalCostKrw', fmt: krw, lowerBetter: true },
  { key: 'energyCostKrw', fmt: krw, lowerBetter: true },
  { key: 'demandChargeKrw', fmt: krw, lowerBetter: true },
  { key: 'peakImportKw', fmt: power, lowerBetter: true },
  { key: 'selfSufficiency', fmt: (v) => pct(v), lowerBetter: false },
  { key: 're100HourlyMatching', fmt: (v) => pct(v), lowerBetter: false },
  { key: 'co2Kg', fmt: (v) => `${num(v / 1000, 1)} t`, lowerBetter: true },
  { key: 'batteryCycles', fmt: (v) => num(v, 1), lowerBetter: true },
  { key: 'evUnmetKwh', fmt: (v) => `${num(v, 0)} kWh`, lowerBetter: true },
];

/** Bill components stacked in the bar chart. */
const COMPONENTS = [
  'energyCostKrw',
  'demandChargeKrw',
  'taxesKrw',
  'ppaCostKrw',
  'certificateCostKrw',
  'batteryDegradationCostKrw',
] as const;

function Compare({ run }: { run: SimRun }) {
  const { t } = useTranslation();
  const results = run.result?.results ?? [];
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 90, right: 20, top: 20, bottom: 60 },
      xAxis: {
        type: 'category',
        data: results.map((r) => t(`strategy.${r.strategy}`, { defaultValue: r.strategy })),
      },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `₩${num(v / 1e6, 0)}M` } },
      series: COMPONENTS.map((c) => ({
        name: t(`kpiName.${c}`),
        type: 'bar',
        stack: 'cost',
        data: results.map((r) => Math.round(r.kpis[c] ?? 0)),
      })),
    }),
    [results, t],
  );
  if (!run.result) return null;
  return (
    <section className="card" data-testid="sim-result">
      <h2>{t('scen.compare', { start: run.result.start.slice(0, 10), days: run.result.days })}</h2>
      <table className="table compare" data-testid="sim-table">
        <thead>
          <tr>
            <th />
            {results.map((r) => (
              <th key={r.strategy} className="num">
                {t(`strategy.${r.strategy}`, { defaultValue: r.strategy })}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ROWS.filter((row) => results.some((r) => typeof r.kpis[row.key] === 'number')).map((row) => {
            const vals = results.map((r) => r.kpis[row.key]);
            const best = row.lowerBetter ? Math.min(...vals) : Math.max(...vals);
            return (
              <tr key={row.key}>
                <th>{t(`kpiName.${row.key}`)}</th>
                {results.map((r) => (
                  <td
                    key={r.strategy}
                    className={`num ${results.length > 1 && r.kpis[row.key] === best ? 'best' : ''}`}
                    data-testid={`sim-${r.strategy}-${row.key}`}
                  >
                    {row.fmt(r.kpis[row.key])}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <EChart option={option} testId="sim-chart" />
    </section>
  );
}

/**
 * The test bed: outside controllers in shadow mode on the live site (docs/testbed.md), ranked by
 * what they would have saved against the strategy that acts, and the form an admin registers one with.
 */
function TestBed({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const controller = useControllerFields();
  const shadows = useQuery({
    queryKey: ['shadows'],
    queryFn: () => api<{ shadows: Shadow[] }>('/api/testbed/shadows'),
    refetchInterval: SHADOW_POLL_MS,
  });
  const register = useMutation({
    mutationFn: () =>
      api<Shadow>('/api/testbed/shadows', {
        method: 'POST',
        body: { name: controller.name, ...controller.controller },
      }),
    onSuccess: () => {
      controller.reset();
      void shadows.refetch();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) => api(`/api/testbed/shadows/${encodeURIComponent(n)}`, { method: 'DELETE' }),
    onSuccess: () => void shadows.refetch(),
  });
  const list = shadows.data?.shadows ?? [];
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 90, right: 20, top: 20, bottom: 60 },
      xAxis: { type: 'category', data: list.map((s) => s.name) },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `₩${num(v / 1e6, 1)}M` } },
      series: [
        { name: t('testbed.acting'), type: 'bar', data: list.map((s) => Math.round(s.acting.totalCostKrw)) },
        { name: t('testbed.shadow'), type: 'bar', data: list.map((s) => Math.round(s.shadow.totalCostKrw)) },
      ],
    }),
    [list, t],
  );
  return (
    <section className="card" data-testid="testbed">
      <h2>{t('testbed.title')}</h2>
      <p className="muted small">{t('testbed.intro')}</p>
      {list.length === 0 ? (
        <p className="muted" data-testid="testbed-empty">
          {t('testbed.empty')}
        </p>
      ) : (
        <>
          <table className="table compare" data-testid="testbed-table">
            <thead>
              <tr>
                <th>{t('testbed.rank')}</th>
                <th>{t('testbed.name')}</th>
                <th>{t('testbed.state')}</th>
                <th className="num">{t('testbed.hours')}</th>
                <th className="num">{t('testbed.actingCost')}</th>
                <th className="num">{t('testbed.shadowCost')}</th>
                <th className="num">{t('testbed.difference')}</th>
                <th className="num">{t('testbed.newPeak')}</th>
                <th className="num">{t('testbed.clamps')}</th>
                <th className="num">{t('testbed.decisionMs')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((s, k) => (
                <tr key={s.name} data-testid={`shadow-${s.name}`}>
                  <td>{k + 1}</td>
                  <td title={s.target}>{s.name}</td>
                  <td>
                    {t(`testbed.states.${s.state}`)}
                    {s.failure && (
                      <span className="error small">
                        {' '}
                        {s.failure.reason}: {s.failure.message}
                      </span>
                    )}
                  </td>
                  <td className="num">{num(s.comparedHours, 1)}</td>
                  <td className="num">{krw(s.acting.totalCostKrw)}</td>
                  <td className="num">{krw(s.shadow.totalCostKrw)}</td>
                  <td className={`num ${s.differenceKrw < 0 ? 'best' : ''}`}>{krw(s.differenceKrw)}</td>
                  <td className="num">{krw(s.shadow.newPeakCost12MonthsKrw)}</td>
                  <td className="num">{num(s.clamps)}</td>
                  <td className="num">{num(s.meanDecisionMs, 1)}</td>
                  <td>
                    {canWrite && (
                      <button
                        type="button"
                        className="ghost"
                        onClick={() => remove.mutate(s.name)}
                        data-testid={`shadow-remove-${s.name}`}
                      >
                        {t('testbed.remove')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <EChart option={option} testId="testbed-chart" />
        </>
      )}
      {canWrite && (
        <ControllerForm
          fields={controller}
          testIdPrefix="testbed"
          title={t('testbed.register')}
          note={t('testbed.adminsOnly')}
          submitLabel={t('testbed.start')}
          pending={register.isPending}
          onSubmit={() => register.mutate()}
        />
      )}
      <ApiErrorAlert errors={[register.error, remove.error, shadows.error]} />
    </section>
  );
}

export default function Scenarios() {
  const { t } = useTranslation();
  const role = useSession((s) => s.role);
  const [start, setStart] = useState('');
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [chosen, setChosen] = useState<string[]>(['none', 'rules']);
  const [runId, setRunId] = useState<string | null>(null);
  const startRun = useMutation({
    mutationFn: () =>
      api<SimRun>('/api/simulations', {
        method: 'POST',
        body: { ...(start ? { start } : {}), days: Number(days), strategies: chosen },
      }),
    onSuccess: (r) => setRunId(r.id),
  });
  const run = useQuery({
    queryKey: ['sim', runId],
    queryFn: () => api<SimRun>(`/api/simulations/${runId}`),
    enabled: !!runId,
    refetchInterval: (q) =>
      q.state.data && ['done', 'failed', 'cancelled'].includes(q.state.data.status) ? false : POLL_MS,
  });
  const history = useQuery({
    queryKey: ['sims', run.data?.status],
    queryFn: () => api<{ simulations: SimRun[] }>('/api/simulations?limit=10'),
  });
  const toggle = (s: string) => setChosen((c) => (c.includes(s) ? c.filter((x) => x !== s) : [...c, s]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    startRun.mutate();
  };
  const r = run.data;
  return (
    <div className="col">
      <form className="card sim-form" onSubmit={submit} data-testid="sim-form">
        <h2>{t('scen.title')}</h2>
        {role !== 'operator' && <p className="notice">{t('scen.operatorsOnly')}</p>}
        <fieldset disabled={role !== 'operator' || startRun.isPending}>
          <label>
            {t('scen.start')}
            <input
              type="date"
              value={start}
              onChange={(e) => setStart(e.target.value)}
              data-testid="sim-start"
            />
            <span className="muted small">{t('scen.startHint')}</span>
          </label>
          <label>
            {t('scen.days')}
            <input
              type="number"
              min={1}
              max={366}
              value={days}
              onChange={(e) => setDays(e.target.value)}
              data-testid="sim-days"
              required
            />
          </label>
          <div className="checks">
            {t('scen.strategies')}
            {STRATEGIES.map((s) => (
              <label key={s} className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(s)}
                  onChange={() => toggle(s)}
                  data-testid={`sim-strategy-${s}`}
                />
                {t(`strategy.${s}`)}
              </label>
            ))}
          </div>
          <button type="submit" disabled={chosen.length === 0} data-testid="sim-submit">
            {t('scen.run')}
          </button>
        </fieldset>
        <ApiErrorAlert errors={[startRun.error]} />
        {r && r.status !== 'done' && (
          <div className="progress" data-testid="sim-progress">
            <div className="progress-fill" style={{ width: `${Math.round(r.progress * 100)}%` }} />
            <span>
              {t(`simStatus.${r.status}`)} {pct(r.progress, 0)}
            </span>
          </div>
        )}
        {r?.error && <p className="error">{r.error}</p>}
      </form>
      {r?.status === 'done' && <Compare run={r} />}
      <TestbedRuns canWrite={role === 'operator'} />
      <TestBed canWrite={role === 'operator'} />
      <section className="card">
        <h2>{t('scen.history')}</h2>
        <table className="table">
          <tbody>
            {history.data?.simulations.map((s) => (
              <tr key={s.id}>
                <td>{s.params?.start}</td>
                <td>{t('scen.nDays', { n: s.params?.days ?? 0 })}</td>
                <td>
                  {s.params?.strategies?.map((x) => t(`strategy.${x}`, { defaultValue: x })).join(', ')}
                </td>
                <td>{t(`simStatus.${s.status}`)}</td>
                <td>
                  {s.status === 'done' && (
                    <button type="button" className="ghost" onClick={() => setRunId(s.id)}>
                      {t('scen.show')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
