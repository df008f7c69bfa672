import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, type EventRec } from '../api.ts';
import { FlowDiagram, flowNodes } from '../components/FlowDiagram.tsx';
import { Meter, Ring } from '../components/Gauge.tsx';
import { krw, pct, power, time } from '../format.ts';
import { useLive } from '../live.ts';

/** Alarms refresh this often; the stream carries measurements, not events. */
const EVENTS_POLL_MS = 10_000;

export function useSiteLabel() {
  const { t, i18n } = useTranslation();
  return (id: string, name: string) => (i18n.exists(`site.${id}`) ? t(`site.${id}`) : name);
}

export function Overview() {
  const { t } = useTranslation();
  const state = useLive((s) => s.state);
  const siteLabel = useSiteLabel();
  const events = useQuery({
    queryKey: ['events'],
    queryFn: () => api<{ events: EventRec[] }>('/api/events?limit=20'),
    refetchInterval: EVENTS_POLL_MS,
  });

  if (!state) return <div className="muted">{t('stream.waiting')}</div>;
  const g = state.grid;
  const d = state.today;
  return (
    <div className="overview">
      <section className="card flow-card">
        <div className="card-head">
          <h2>{t('overview.flowTitle')}</h2>
          <span className="muted small" data-testid="live-time">
            {t('overview.asOf', { time: time(state.time) })} · {t('overview.cycle', { n: state.cycle })} ·{' '}
            {t('overview.strategy', { name: state.strategy })}
          </span>
        </div>
        <FlowDiagram nodes={flowNodes(state, siteLabel)} />
        <p className="muted small">{t('overview.flowHelp')}</p>
      </section>
      <section className="kpis">
        <div className="card kpi">
          <h3>{t('kpi.costToday')}</h3>
          <div className="big" data-testid="kpi-cost">
            {krw(d.costKrw)}
          </div>
          <div className="muted small">
            {t('kpi.importToday', { energy: `${Math.round(d.importKwh).toLocaleString()} kWh` })}
          </div>
        </div>
        <div className="card kpi">
          <h3>{t('kpi.peak')}</h3>
          <Meter value={g.monthPeakKw} limit={g.billingDemandKw} testId="kpi-peak-meter" />
          <div className="big" data-testid="kpi-peak">
            {power(g.monthPeakKw)}
          </div>
          <div className="muted small">{t('kpi.billingDemand', { power: power(g.billingDemandKw) })}</div>
        </div>
        <div className="card kpi">
          <h3>{t('kpi.selfSufficiency')}</h3>
          <Ring fraction={d.selfSufficiency} label={pct(d.selfSufficiency, 0)} testId="kpi-self" />
        </div>
        <div className="card kpi">
          <h3>{t('kpi.re100')}</h3>
          <Ring fraction={d.re100HourlyMatching} label={pct(d.re100HourlyMatching, 0)} testId="kpi-re100" />
        </div>
      </section>
      <section className="card alarms">
        <h2>{t('overview.alarms')}</h2>
        {events.isError && <p className="error">{t('app.loadError')}</p>}
        {events.data && events.data.events.length === 0 && <p className="muted">{t('overview.noAlarms')}</p>}
        <ul className="events" data-testid="alarms">
          {events.data?.events.map((e) => (
            <li key={e.id} className={`sev-${e.severity}`}>
              <span className="sev">{t(`severity.${e.severity}`)}</span>
              <span className="muted">{time(e.time, undefined, true)}</span>
              <span>
                {e.assetId ? `${e.assetId}: ` : ''}
                {e.message}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
