import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ScheduleRec, type TelemetrySeries } from '../api.ts';
import { planPoints, wallClock } from '../charts.ts';
import { useZone } from '../district.ts';
import { isoAt, time } from '../format.ts';
import { GRID_ID } from '../labels.ts';
import { EChart } from './EChart.tsx';
import { actualVsPlanOption } from './actual-vs-plan.ts';

// The grid import of the last hours against what the plan in force expects for the next ones: the
// first thing an operator checks after the flows (is the district on plan, is a peak coming).

const MS_PER_HOUR = 3_600_000;
/** Hours shown before and after now. */
const BACK_MS = 6 * MS_PER_HOUR;
const AHEAD_MS = 6 * MS_PER_HOUR;
const BUCKET_MIN = 5;
const REFRESH_MS = 15_000;

export function GridOutlook({ nowMs }: { nowMs: number }) {
  const { t } = useTranslation();
  const zone = useZone();
  const from = nowMs - BACK_MS;
  const actual = useQuery({
    queryKey: ['tele', GRID_ID, 'outlook'],
    queryFn: () =>
      api<TelemetrySeries>(
        `/api/telemetry?asset=${GRID_ID}&measurement=power_kw&from=${encodeURIComponent(isoAt(from, zone))}&to=${encodeURIComponent(isoAt(nowMs, zone))}&bucket=PT${BUCKET_MIN}M`,
      ),
    refetchInterval: REFRESH_MS,
  });
  const sched = useQuery({
    queryKey: ['schedule'],
    queryFn: () => api<{ schedule: ScheduleRec | null }>('/api/schedule'),
    refetchInterval: REFRESH_MS * 2,
  });
  const s = sched.data?.schedule;
  const option = useMemo(() => {
    const wall = wallClock(zone);
    const planPts = planPoints(s, GRID_ID, from, nowMs + AHEAD_MS, wall);
    return actualVsPlanOption({
      wall,
      fromMs: from,
      toMs: nowMs + AHEAD_MS,
      nowMs,
      actual: actual.data?.points ?? [],
      plan: planPts,
      labels: { actual: t('power.actual'), plan: t('power.planGrid'), now: t('power.now') },
      grid: { left: 8, right: 16, top: 36, bottom: 4, containLabel: true },
    });
  }, [actual.data, s, zone, from, nowMs, t]);
  return (
    <section className="card outlook" data-testid="grid-outlook">
      <div className="card-head">
        <h2>{t('overview.outlook')}</h2>
        <span className="muted small">
          {s
            ? t('power.planInForce', {
                id: s.id,
                strategy: t(`strategy.${s.strategy}`, { defaultValue: s.strategy }),
                made: time(s.created, zone, true),
              })
            : sched.isError
              ? t('app.loadError')
              : t('power.noPlan')}
        </span>
      </div>
      <EChart option={option} height={220} testId="outlook-chart" />
    </section>
  );
}
