import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { timeAxis, timeTooltip, valueAxis, wallClock } from '../charts.ts';
import { SERIES_COLOR } from '../components/chart-theme.ts';
import { EChart } from '../components/EChart.tsx';
import { Ring } from '../components/Gauge.tsx';
import { SignIn } from '../components/SignIn.tsx';
import { Switches } from '../components/Switches.tsx';
import { currentZone, energy, krw, num, pct, power, time } from '../format.ts';
import {
  FLEET_TOKEN_KEY,
  fleetApi,
  fleetToken,
  planSeries,
  sharedKw,
  type FeederView,
  type FleetKpis,
  type FleetLedger,
  type FleetSite,
  type SiteDetail,
  type SiteSeries,
} from './api.ts';

// The fleet dashboard: the sites a token may see with their status, today's KPIs summed, the RE100
// ledger per day, the coordinated feeders with their shares, and a drill-down into one site (its
// latest telemetry, grid power with the plan in force, KPIs and shares). A token scoped to some
// sites sees only those: the backend leaves the others out of every answer.

/** The fleet's figures change with the sites' cycles (a minute) and KPI summaries (15 minutes). */
const REFRESH_MS = 30_000;
/** Ledger days shown. */
const LEDGER_DAYS = 14;
const SITE_HASH = '#site=';

function siteFromHash(): string | null {
  return location.hash.startsWith(SITE_HASH)
    ? decodeURIComponent(location.hash.slice(SITE_HASH.length))
    : null;
}

function StatusBadge({ id, status }: { id: string; status: FleetSite['status'] }) {
  const { t } = useTranslation();
  return (
    <span
      className={`badge ${status === 'online' ? 'stream-open' : 'stream-closed'}`}
      data-testid={`site-status-${id}`}
      data-status={status}
    >
      ● {t(`fleetDash.${status}`)}
    </span>
  );
}

function Kpis({ k }: { k: FleetKpis }) {
  const { t } = useTranslation();
  return (
    <section className="kpis">
      <div className="card kpi">
        <h3>{t('fleetDash.importToday')}</h3>
        <div className="big" data-testid="fleet-kpi-import">
          {energy(k.importKwh)}
        </div>
        <div className="muted small">{t('fleetDash.sitesWithKpis', { n: k.sitesWithKpis, of: k.sites })}</div>
      </div>
      <div className="card kpi">
        <h3>{t('fleetDash.consumption')}</h3>
        <div className="big" data-testid="fleet-kpi-consumption">
          {energy(k.consumptionKwh)}
        </div>
        <div className="muted small">
          {t('fleetDash.pv')} {energy(k.pvKwh)}
        </div>
      </div>
      <div className="card kpi">
        <h3>{t('fleetDash.cost')}</h3>
        <div className="big" data-testid="fleet-kpi-cost">
          {krw(k.costKrw)}
        </div>
        <div className="muted small">
          {t('fleetDash.peaks')} {power(k.sumOfMonthPeaksKw)}
        </div>
      </div>
      <div className="card kpi">
        <h3>{t('fleetDash.re100')}</h3>
        <Ring
          fraction={k.re100HourlyMatching}
          label={pct(k.re100HourlyMatching, 0)}
          testId="fleet-kpi-re100"
        />
      </div>
    </section>
  );
}

function Sites({ sites, open }: { sites: FleetSite[]; open: (id: string) => void }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <div className="card-head">
        <h2>{t('fleetDash.sites')}</h2>
      </div>
      {sites.length === 0 ? (
        <p className="muted">{t('fleetDash.noSites')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="fleet-sites">
            <thead>
              <tr>
                <th>{t('fleetDash.site')}</th>
                <th>{t('fleetDash.status')}</th>
                <th>{t('fleetDash.lastSeen')}</th>
              </tr>
            </thead>
            <tbody>
              {sites.map((s) => (
                <tr key={s.id} data-testid={`site-row-${s.id}`}>
                  <td>
                    <a
                      href={`${SITE_HASH}${encodeURIComponent(s.id)}`}
                      data-testid={`site-link-${s.id}`}
                      onClick={(e) => (e.preventDefault(), open(s.id))}
                    >
                      {s.id}
                    </a>
                  </td>
                  <td>
                    <StatusBadge id={s.id} status={s.status} />
                  </td>
                  <td className="muted">{time(s.lastSeenMs, currentZone(), true)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Ledger({ ledger }: { ledger: FleetLedger }) {
  const { t } = useTranslation();
  const option = useMemo(
    () => ({
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => energy(v) },
      xAxis: { type: 'category', data: ledger.days.map((d) => d.day) },
      yAxis: valueAxis('kWh', (v) => num(v)),
      series: [
        {
          id: 'consumption',
          name: t('fleetDash.consumption'),
          type: 'bar',
          data: ledger.days.map((d) => d.consumptionKwh),
          color: SERIES_COLOR.bar,
        },
        {
          id: 'matched',
          name: t('fleetDash.matched'),
          type: 'bar',
          data: ledger.days.map((d) => d.matchedKwh),
          color: SERIES_COLOR.plan,
        },
      ],
    }),
    [ledger, t],
  );
  return (
    <section className="card">
      <div className="card-head">
        <h2>{t('fleetDash.ledger')}</h2>
        <span className="muted small" data-testid="fleet-ledger-total">
          {t('fleetDash.re100')} {pct(ledger.totals.re100HourlyMatching)}
        </span>
      </div>
      <EChart option={option} height={240} testId="fleet-ledger-chart" />
      <div className="table-wrap">
        <table className="table" data-testid="fleet-ledger">
          <thead>
            <tr>
              <th>{t('fleetDash.day')}</th>
              <th className="num">{t('fleetDash.consumption')}</th>
              <th className="num">{t('fleetDash.matched')}</th>
              <th className="num">{t('fleetDash.re100')}</th>
              <th className="num">{t('fleetDash.cost')}</th>
            </tr>
          </thead>
          <tbody>
            {ledger.days.map((d) => (
              <tr key={d.day} data-testid={`ledger-day-${d.day}`}>
                <td>{d.day}</td>
                <td className="num">{energy(d.consumptionKwh)}</td>
                <td className="num">{energy(d.matchedKwh)}</td>
                <td className="num">{pct(d.re100HourlyMatching)}</td>
                <td className="num">{krw(d.costKrw)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Feeders({ feeders }: { feeders: FeederView[] }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <div className="card-head">
        <h2>{t('fleetDash.feeders')}</h2>
      </div>
      {feeders.length === 0 ? (
        <p className="muted">{t('fleetDash.noFeeders')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="fleet-feeders">
            <thead>
              <tr>
                <th>{t('fleetDash.feeder')}</th>
                <th className="num">{t('fleetDash.cap')}</th>
                <th>{t('fleetDash.shares')}</th>
                <th className="num">{t('fleetDash.shared')}</th>
              </tr>
            </thead>
            <tbody>
              {feeders.map((f) => (
                <tr key={f.id} data-testid={`feeder-${f.id}`}>
                  <td>{f.id}</td>
                  <td className="num" data-testid={`feeder-cap-${f.id}`}>
                    {power(f.capKw)}
                  </td>
                  <td>
                    {f.sites
                      .map((s) => `${s} ${f.sharesKw[s] === undefined ? '—' : power(f.sharesKw[s])}`)
                      .join(' · ')}
                    {f.waitingFor && f.waitingFor.length > 0 && (
                      <span className="muted small">
                        {' '}
                        ({t('fleetDash.waiting', { sites: f.waitingFor.join(', ') })})
                      </span>
                    )}
                  </td>
                  <td className="num">{power(sharedKw(f))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Site({ id, back }: { id: string; back: () => void }) {
  const { t } = useTranslation();
  const detail = useQuery({
    queryKey: ['fleet-site', id],
    queryFn: () => fleetApi<SiteDetail>(`/fleet/sites/${encodeURIComponent(id)}`),
    refetchInterval: REFRESH_MS,
  });
  const series = useQuery({
    queryKey: ['fleet-site-grid', id],
    queryFn: () =>
      fleetApi<SiteSeries>(
        `/fleet/sites/${encodeURIComponent(id)}/telemetry?asset=grid&measurement=power_kw`,
      ),
    refetchInterval: REFRESH_MS,
  });
  const d = detail.data;
  const option = useMemo(() => {
    const wall = wallClock(currentZone());
    return {
      legend: { top: 0 },
      tooltip: timeTooltip((_s, v) => power(v)),
      xAxis: timeAxis(),
      yAxis: valueAxis('kW', (v) => num(v)),
      series: [
        {
          id: 'measured',
          name: t('fleetDash.measured'),
          type: 'line',
          showSymbol: false,
          data: (series.data?.points ?? []).map(([ms, kw]) => [wall(ms), kw]),
          color: SERIES_COLOR.actual,
        },
        {
          id: 'plan',
          name: t('fleetDash.plan'),
          type: 'line',
          step: 'start',
          showSymbol: false,
          lineStyle: { type: 'dashed' },
          color: SERIES_COLOR.plan,
          data: d?.schedule ? planSeries(d.schedule).map(([ms, kw]) => [wall(ms), kw]) : [],
        },
      ],
    };
  }, [series.data, d, t]);
  return (
    <div className="overview" data-testid="fleet-site-detail">
      <section className="card">
        <div className="card-head">
          <h2 data-testid="fleet-site-title">
            <button type="button" className="ghost" data-testid="fleet-back" onClick={back}>
              {t('fleetDash.back')}
            </button>{' '}
            {id} {d && <StatusBadge id={id} status={d.status} />}
          </h2>
        </div>
        {detail.error && (
          <p className="error" data-testid="fleet-site-error">
            {(detail.error as Error).message}
          </p>
        )}
        {d && (
          <p className="muted small">
            {d.schedule
              ? t('fleetDash.planInForce', { strategy: d.schedule.strategy, time: time(d.schedule.madeMs) })
              : t('fleetDash.noPlan')}
            {d.report &&
              ` · ${t('fleetDash.report', { want: power(d.report.wantKw), floor: power(d.report.inflexibleKw), own: power(d.report.ownLimitKw) })}`}
            {d.shares.map(
              (s) => ` · ${t('fleetDash.share', { limit: power(s.limitKw), feeder: s.feederId })}`,
            )}
          </p>
        )}
        <h3>{t('fleetDash.gridPower')}</h3>
        <EChart option={option} height={280} testId="fleet-site-chart" />
      </section>
      {d?.kpis && (
        <Kpis
          k={{
            ...d.kpis,
            sites: 1,
            sitesWithKpis: 1,
            sumOfMonthPeaksKw: d.kpis.monthPeakKw,
            bySite: {},
          }}
        />
      )}
      {d && (
        <section className="card">
          <h3>{t('fleetDash.latest')}</h3>
          <table className="table" data-testid="fleet-site-telemetry">
            <thead>
              <tr>
                <th>{t('fleetDash.asset')}</th>
                <th>{t('fleetDash.measurement')}</th>
                <th className="num">{t('fleetDash.value')}</th>
                <th>{t('fleetDash.time')}</th>
              </tr>
            </thead>
            <tbody>
              {d.telemetry.map((p) => (
                <tr key={`${p.assetId}/${p.measurement}/${p.channel ?? ''}`}>
                  <td>{p.assetId}</td>
                  <td>
                    {p.measurement}
                    {p.channel ? `@${p.channel}` : ''}
                  </td>
                  <td className="num">{num(p.value, 1)}</td>
                  <td className="muted">{time(p.timeMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

function Fleet({ open }: { open: (id: string) => void }) {
  const { t } = useTranslation();
  const sites = useQuery({
    queryKey: ['fleet-sites'],
    queryFn: () => fleetApi<{ sites: FleetSite[] }>('/fleet/sites'),
    refetchInterval: REFRESH_MS,
  });
  const kpis = useQuery({
    queryKey: ['fleet-kpis'],
    queryFn: () => fleetApi<FleetKpis>('/fleet/kpis'),
    refetchInterval: REFRESH_MS,
  });
  const ledger = useQuery({
    queryKey: ['fleet-ledger'],
    queryFn: () => fleetApi<FleetLedger>(`/fleet/ledger?days=${LEDGER_DAYS}`),
    refetchInterval: REFRESH_MS,
  });
  const feeders = useQuery({
    queryKey: ['fleet-feeders'],
    queryFn: () => fleetApi<{ feeders: FeederView[] }>('/fleet/feeders'),
    refetchInterval: REFRESH_MS,
  });
  const error = sites.error ?? kpis.error ?? ledger.error ?? feeders.error;
  return (
    <div className="overview" data-testid="fleet-overview">
      {error && <p className="error">{t('app.loadError')}</p>}
      {kpis.data && <Kpis k={kpis.data} />}
      {sites.data && <Sites sites={sites.data.sites} open={open} />}
      {ledger.data && <Ledger ledger={ledger.data} />}
      {feeders.data && <Feeders feeders={feeders.data.feeders} />}
    </div>
  );
}

export function FleetApp() {
  const { t } = useTranslation();
  const [token, setToken] = useState<string | null>(fleetToken);
  const [site, setSite] = useState<string | null>(siteFromHash);

  useEffect(() => {
    const onHash = () => setSite(siteFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const signIn = async (tk: string) => {
    await fleetApi('/fleet/sites', tk); // a 401 here: the token is not valid
    sessionStorage.setItem(FLEET_TOKEN_KEY, tk);
    setToken(tk);
  };
  const signOut = () => {
    sessionStorage.removeItem(FLEET_TOKEN_KEY);
    setToken(null);
  };
  const open = (id: string | null) => {
    history.pushState(null, '', id ? `${SITE_HASH}${encodeURIComponent(id)}` : location.pathname);
    setSite(id);
  };

  if (!token)
    return (
      <SignIn
        signIn={signIn}
        title={t('fleetDash.title')}
        intro={t('fleetDash.intro')}
        testId="fleet-signin"
      />
    );
  const header: ReactNode = (
    <header className="top">
      <div className="brand">
        <span className="logo">⚡</span> Bitgrid{' '}
        <span className="muted district">{t('fleetDash.title')}</span>
      </div>
      <div className="right">
        <Switches />
        <button type="button" className="ghost" data-testid="sign-out" onClick={signOut}>
          {t('app.signOut')}
        </button>
      </div>
    </header>
  );
  return (
    <div className="shell">
      {header}
      <main>{site ? <Site id={site} back={() => open(null)} /> : <Fleet open={(id) => open(id)} />}</main>
    </div>
  );
}
