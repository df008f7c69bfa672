import { useMutation, useQuery } from '@tanstack/react-query';
import { ControllerForm, useControllerFields } from './ControllerFields.tsx';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ApiErrorAlert } from './ApiErrorAlert.tsx';
import { krw, num, pct } from '../format.ts';
import { anyActive, leaderboardRows, shownRun, type ChallengeRun } from '../testbed-runs.ts';

/** The list is polled this often while a run is queued or running (the quick set takes ~15 s). */
const RUNS_ACTIVE_POLL_MS = 2_000;
/** …and this often otherwise, to pick up runs another admin started. */
const RUNS_IDLE_POLL_MS = 30_000;

/**
 * The test bed's leaderboard: controllers scored offline over the challenge set against the twin,
 * beside the built-ins (docs/testbed.md), the runs with their progress, and the form an admin starts
 * one with (the API refuses anyone else, with the reason).
 */
export function TestbedRuns({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const controller = useControllerFields();
  const [set, setSet] = useState<'quick' | 'full'>('quick');
  const [chosen, setChosen] = useState<string | undefined>();
  const runs = useQuery({
    queryKey: ['testbed-runs'],
    queryFn: () => api<{ runs: ChallengeRun[] }>('/api/testbed/runs'),
    refetchInterval: (q) => (anyActive(q.state.data?.runs ?? []) ? RUNS_ACTIVE_POLL_MS : RUNS_IDLE_POLL_MS),
  });
  const start = useMutation({
    mutationFn: () =>
      api<ChallengeRun>('/api/testbed/runs', {
        method: 'POST',
        body: { name: controller.name, set, ...controller.controller },
      }),
    onSuccess: () => {
      controller.reset();
      void runs.refetch();
    },
  });
  const list = runs.data?.runs ?? [];
  const run = shownRun(list, chosen);
  const rows = leaderboardRows(run);
  return (
    <section className="card" data-testid="leaderboard">
      <h2>{t('leaderboard.title')}</h2>
      <p className="muted small">{t('leaderboard.intro')}</p>
      {!run ? (
        <p className="muted" data-testid="leaderboard-empty">
          {t('leaderboard.empty')}
        </p>
      ) : (
        <>
          <h3>
            {t('leaderboard.of', {
              controller: run.controller,
              set: run.challengeSet ? `${run.challengeSet.name} ${run.challengeSet.version}` : run.set,
            })}
          </h3>
          <table className="table compare" data-testid="leaderboard-table">
            <thead>
              <tr>
                <th>{t('testbed.rank')}</th>
                <th>{t('leaderboard.contender')}</th>
                <th>{t('testbed.state')}</th>
                <th className="num">{t('leaderboard.total')}</th>
                <th className="num">{t('leaderboard.vsRules')}</th>
                <th className="num">{t('testbed.newPeak')}</th>
                <th className="num">{t('leaderboard.re100')}</th>
                <th className="num">{t('leaderboard.co2')}</th>
                <th className="num">{t('leaderboard.unmet')}</th>
                <th className="num">{t('leaderboard.misses')}</th>
                <th className="num">{t('testbed.clamps')}</th>
                <th className="num">{t('leaderboard.failedDecisions')}</th>
                <th className="num">{t('testbed.decisionMs')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.strategy} data-testid={`leaderboard-${c.strategy}`}>
                  <td>{c.rank}</td>
                  <td>
                    {c.kind === 'controller' ? (
                      <strong>{c.strategy}</strong>
                    ) : (
                      t(`strategy.${c.strategy}`, { defaultValue: c.strategy })
                    )}
                  </td>
                  <td>
                    {t(`leaderboard.status.${c.status}`)}
                    {c.failures.map((f) => (
                      <span key={f.caseId} className="error small">
                        {' '}
                        {f.caseId}: {f.reason}: {f.message}
                      </span>
                    ))}
                  </td>
                  <td className="num" data-testid={`leaderboard-${c.strategy}-total`}>
                    {krw(c.totalCostKrw)}
                  </td>
                  <td className={`num ${c.vsRulesKrw !== undefined && c.vsRulesKrw < 0 ? 'best' : ''}`}>
                    {c.vsRulesKrw === undefined ? '—' : krw(c.vsRulesKrw)}
                  </td>
                  <td className="num">{krw(c.newPeakCost12MonthsKrw)}</td>
                  <td className="num">{pct(c.re100HourlyMatching)}</td>
                  <td className="num">{`${num(c.co2Kg / 1000, 1)} t`}</td>
                  <td className="num">{`${num(c.unmetKwh, 0)} kWh`}</td>
                  <td className="num">{num(c.deadlineMisses)}</td>
                  <td className="num">{num(c.clamps)}</td>
                  <td className="num">{num(c.failedDecisions)}</td>
                  <td className="num">{num(c.meanDecisionMs, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {list.length > 0 && <h3>{t('leaderboard.runs')}</h3>}
      {list.length > 0 && (
        <table className="table" data-testid="leaderboard-runs">
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-testid={`testbed-run-${r.id}`}>
                <td>{r.created.slice(0, 16).replace('T', ' ')}</td>
                <td>{r.controller}</td>
                <td>{t(`leaderboard.sets.${r.set}`)}</td>
                <td>
                  {r.state === 'running' || r.state === 'queued' ? (
                    <div className="progress" data-testid="testbed-run-progress">
                      <div className="progress-fill" style={{ width: `${Math.round(r.progress * 100)}%` }} />
                      <span>
                        {t(`leaderboard.states.${r.state}`)} {pct(r.progress, 0)} {r.step ?? ''}
                      </span>
                    </div>
                  ) : (
                    <>
                      {t(`leaderboard.states.${r.state}`)}
                      {r.error && <span className="error small"> {r.error}</span>}
                    </>
                  )}
                </td>
                <td>
                  {r.state === 'done' && r.id !== run?.id && (
                    <button type="button" className="ghost" onClick={() => setChosen(r.id)}>
                      {t('scen.show')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <ControllerForm
          fields={controller}
          testIdPrefix="leaderboard"
          title={t('leaderboard.start')}
          note={t('leaderboard.adminsOnly')}
          submitLabel={t('leaderboard.run')}
          pending={start.isPending}
          onSubmit={() => start.mutate()}
        >
          <label>
            {t('leaderboard.set')}
            <select value={set} onChange={(e) => setSet(e.target.value as 'quick' | 'full')}>
              <option value="quick">{t('leaderboard.sets.quick')}</option>
              <option value="full">{t('leaderboard.sets.full')}</option>
            </select>
          </label>
        </ControllerForm>
      )}
      <ApiErrorAlert errors={[start.error, runs.error]} />
    </section>
  );
}
