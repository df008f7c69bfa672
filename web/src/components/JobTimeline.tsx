import { useTranslation } from 'react-i18next';
import type { JobRec } from '../api.ts';
import { day, hourMinute, localMidnightMs, num, pct, time } from '../format.ts';

// The data center's training jobs on the district clock: one row per job, the planner's intervals as
// bars (darker = higher GPU power cap), the window from earliest start to deadline as a pale band,
// the deadline as a red mark and now as a dashed line. Plain HTML positioned in percent of the
// window, so it reflows with the page and needs no chart library.

const HOUR_MS = 3_600_000;
/** Past shown before now: long enough to see what just ran. */
const LOOKBACK_MS = 6 * HOUR_MS;
/** The window reaches at least a day ahead (the planner's horizon) … */
const MIN_AHEAD_MS = 24 * HOUR_MS;
/** … and at most a week, so one far deadline does not squash every bar. */
const MAX_AHEAD_MS = 7 * 24 * HOUR_MS;
/** Tick steps to choose from, hours; the smallest that keeps the axis readable. */
const TICK_STEPS_H = [1, 3, 6, 12, 24];
const MAX_TICKS = 9;
/** Bars at the lowest power cap stay visible. */
const MIN_BAR_OPACITY = 0.35;

export function JobTimeline({ jobs, nowMs, zone }: { jobs: JobRec[]; nowMs: number; zone: string }) {
  const { t } = useTranslation();
  const fromMs = nowMs - LOOKBACK_MS;
  // Unfinished jobs, and finished ones that ended inside the window.
  const shown = jobs.filter((j) => !j.finished || Date.parse(j.finished) >= fromMs);
  const latest = Math.max(
    nowMs + MIN_AHEAD_MS,
    ...shown.map((j) => Date.parse(j.deadline)),
    ...shown.flatMap((j) => j.plannedIntervals.map((i) => Date.parse(i.end))),
  );
  const toMs = Math.min(latest, nowMs + MAX_AHEAD_MS);
  const span = toMs - fromMs;
  const x = (ms: number) => ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / span) * 100;

  const stepH = TICK_STEPS_H.find((h) => span / (h * HOUR_MS) <= MAX_TICKS) ?? TICK_STEPS_H.at(-1)!;
  const stepMs = stepH * HOUR_MS;
  const midnight = localMidnightMs(fromMs, zone);
  const ticks: number[] = [];
  for (let tick = midnight + Math.ceil((fromMs - midnight) / stepMs) * stepMs; tick <= toMs; tick += stepMs)
    ticks.push(tick);

  if (shown.length === 0) return <p className="muted">{t('jobs.none')}</p>;
  return (
    <div className="jobs" data-testid="job-timeline">
      <div className="jobs-row jobs-axis">
        <div />
        <div className="jobs-track">
          {ticks.map((tick) => (
            <span key={tick} className="jobs-tick" style={{ left: `${x(tick)}%` }}>
              {/* Midnight shows the date, other ticks the time of day. */}
              {tick === localMidnightMs(tick, zone) ? day(tick, zone) : hourMinute(tick, zone)}
            </span>
          ))}
        </div>
      </div>
      {shown.map((j) => {
        const deadlineMs = Date.parse(j.deadline);
        const late = j.expectedFinish !== undefined && Date.parse(j.expectedFinish) > deadlineMs;
        return (
          <div key={j.id} className="jobs-row" data-testid={`job-${j.id}`}>
            <div className="jobs-label">
              <div>
                <strong>{j.name}</strong>{' '}
                <span className={`job-status ${j.status}`}>{t(`jobs.status.${j.status}`)}</span>
                {/* Priority 0 is the default and says nothing; others say which way they go. */}
                {j.priority !== 0 && (
                  <span className="job-priority" data-testid={`job-priority-${j.id}`}>
                    {t('jobs.priority', { priority: j.priority > 0 ? `+${j.priority}` : String(j.priority) })}
                  </span>
                )}
              </div>
              <div className="muted small">
                {t('jobs.detail', {
                  gpus: num(j.gpus),
                  done: num(j.doneGpuHours, 0),
                  total: num(j.gpuHours, 0),
                })}
              </div>
              <div className="muted small">
                {t('jobs.deadline', { time: time(j.deadline, zone, true) })}
                {j.expectedFinish !== undefined && (
                  <span className={late ? 'error' : ''}>
                    {' · '}
                    {t('jobs.expectedFinish', { time: time(j.expectedFinish, zone, true) })}
                    {late ? ` (${t('jobs.late')})` : ''}
                  </span>
                )}
              </div>
            </div>
            <div className="jobs-track">
              {ticks.map((tick) => (
                <span key={tick} className="jobs-grid" style={{ left: `${x(tick)}%` }} />
              ))}
              <span
                className="jobs-window"
                style={{
                  left: `${x(Date.parse(j.earliestStart))}%`,
                  width: `${x(deadlineMs) - x(Date.parse(j.earliestStart))}%`,
                }}
              />
              {j.plannedIntervals.map((i, k) => (
                <span
                  key={k}
                  className="jobs-bar"
                  style={{
                    left: `${x(Date.parse(i.start))}%`,
                    width: `${x(Date.parse(i.end)) - x(Date.parse(i.start))}%`,
                    opacity: MIN_BAR_OPACITY + (1 - MIN_BAR_OPACITY) * i.powerCapFraction,
                  }}
                  title={t('jobs.interval', {
                    from: time(i.start, zone, true),
                    to: time(i.end, zone, true),
                    gpus: num(i.gpus),
                    cap: pct(i.powerCapFraction, 0),
                  })}
                />
              ))}
              {deadlineMs <= toMs && <span className="jobs-deadline" style={{ left: `${x(deadlineMs)}%` }} />}
              <span className="jobs-now" style={{ left: `${x(nowMs)}%` }} />
            </div>
          </div>
        );
      })}
      <p className="muted small">{t('jobs.legend', { zone })}</p>
    </div>
  );
}
