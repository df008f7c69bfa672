import { useTranslation } from 'react-i18next';
import { Alarms } from '../components/Alarms.tsx';
import { FlowDiagram, flowNodes } from '../components/FlowDiagram.tsx';
import { Meter, Ring } from '../components/Gauge.tsx';
import { GridOutlook } from '../components/GridOutlook.tsx';
import { energy, krw, pct, power, time } from '../format.ts';
import { useAssetLabel, useSiteLabel } from '../labels.ts';
import { useLive } from '../live.ts';
import { usePhone } from '../media.ts';
import type { AssetLive } from '../api.ts';

/** Below this a battery counts as idle (inverters report a few kW of standby either way). */
const BATTERY_IDLE_KW = 1;

function BatteryCard({ battery }: { battery: AssetLive }) {
  const { t } = useTranslation();
  const label = useAssetLabel();
  const m = battery.measurements;
  const soc = m.soc_fraction?.value;
  const kw = m.power_kw?.value ?? 0;
  const capKwh = m.capacity_kwh?.value;
  // Natural sign: discharge +, charge −.
  const doing = kw > BATTERY_IDLE_KW ? 'discharging' : kw < -BATTERY_IDLE_KW ? 'charging' : 'idle';
  return (
    <div className="card kpi" data-testid={`battery-${battery.id}`}>
      <h3>{t('kpi.battery', { name: label(battery.id) })}</h3>
      {soc !== undefined ? (
        <Ring fraction={soc} label={pct(soc, 0)} testId={`soc-${battery.id}`} />
      ) : (
        <p className="muted">{t('kpi.socUnknown')}</p>
      )}
      <div className="muted small">
        {t(`kpi.${doing}`, { power: power(Math.abs(kw)) })}
        {soc !== undefined &&
          capKwh !== undefined &&
          ` · ${t('kpi.stored', { energy: energy(soc * capKwh) })}`}
      </div>
    </div>
  );
}

export function Overview() {
  const { t } = useTranslation();
  const state = useLive((s) => s.state);
  const siteLabel = useSiteLabel();
  const phone = usePhone();

  if (!state) return <div className="muted">{t('stream.waiting')}</div>;
  const g = state.grid;
  const d = state.today;
  const batteries = Object.values(state.assets).filter((a) => a.type === 'battery');
  return (
    <div className="overview">
      <section className="card flow-card">
        <div className="card-head">
          <h2>{t('overview.flowTitle')}</h2>
          <span className="muted small" data-testid="live-time">
            {t('overview.asOf', { time: time(state.time) })} · {t('overview.cycle', { n: state.cycle })} ·{' '}
            {t('overview.strategy', {
              name: t(`strategy.${state.strategy}`, { defaultValue: state.strategy }),
            })}
          </span>
        </div>
        <FlowDiagram nodes={flowNodes(state, siteLabel)} compact={phone} />
        <p className="muted small">{t('overview.flowHelp')}</p>
      </section>
      <GridOutlook nowMs={Date.parse(state.time)} />
      <section className="kpis">
        {batteries.map((b) => (
          <BatteryCard key={b.id} battery={b} />
        ))}
        <div className="card kpi">
          <h3>{t('kpi.peak')}</h3>
          <Meter value={g.monthPeakKw} limit={g.billingDemandKw} testId="kpi-peak-meter" />
          <div className="big" data-testid="kpi-peak">
            {power(g.monthPeakKw)}
          </div>
          <div className="muted small">{t('kpi.billingDemand', { power: power(g.billingDemandKw) })}</div>
        </div>
        <div className="card kpi">
          <h3>{t('kpi.costToday')}</h3>
          <div className="big" data-testid="kpi-cost">
            {krw(d.costKrw)}
          </div>
          <div className="muted small">{t('kpi.importToday', { energy: energy(d.importKwh) })}</div>
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
      <Alarms />
    </div>
  );
}
