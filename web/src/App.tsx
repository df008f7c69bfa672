import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLive } from './live.ts';
import { useSession } from './session.ts';
import { SignIn } from './components/SignIn.tsx';
import { Switches } from './components/Switches.tsx';
import { Overview } from './views/Overview.tsx';

// The shell: navigation, language and theme switches, the stream indicator. Views are routed by
// the path (serve returns index.html for any non-API path), the heavier ones loaded on demand.

const Power = lazy(() => import('./views/Power.tsx'));
const Fleets = lazy(() => import('./views/Fleets.tsx'));
const Cost = lazy(() => import('./views/Cost.tsx'));
const Scenarios = lazy(() => import('./views/Scenarios.tsx'));
const Operations = lazy(() => import('./views/Operations.tsx'));
const Ledger = lazy(() => import('./views/Ledger.tsx'));

export const VIEWS = ['overview', 'power', 'fleets', 'cost', 'ledger', 'scenarios', 'operations'] as const;
export type View = (typeof VIEWS)[number];

function viewFromPath(): View {
  const p = location.pathname.replace(/^\/+|\/+$/g, '');
  return (VIEWS as readonly string[]).includes(p) ? (p as View) : 'overview';
}

function StreamBadge() {
  const { t } = useTranslation();
  const status = useLive((s) => s.status);
  const time = useLive((s) => s.state?.time);
  return (
    <span className={`badge stream-${status}`} data-testid="stream-status" title={time}>
      ● {t(`stream.${status}`)}
    </span>
  );
}

export function App() {
  const { t } = useTranslation();
  const session = useSession();
  const [view, setView] = useState<View>(viewFromPath);
  // Phones: the header folds the switches and sign-out into a menu (see styles.css).
  const [menuOpen, setMenuOpen] = useState(false);
  const [restoring, setRestoring] = useState(true);
  const districtName = useLive((s) => s.state?.districtName);

  useEffect(() => {
    void session.restore().finally(() => setRestoring(false));
    const onPop = () => setView(viewFromPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const go = (v: View) => {
    history.pushState(null, '', `/${v}`);
    setView(v);
    setMenuOpen(false);
  };

  if (restoring) return <div className="center muted">{t('app.loading')}</div>;
  if (!session.token)
    return (
      <SignIn
        signIn={session.signIn}
        intro={t('signin.intro')}
        placeholder="bgt_…"
        hint={t('signin.hint')}
        testId="signin-form"
      />
    );

  return (
    <div className="shell">
      <header className={`top ${menuOpen ? 'menu-open' : ''}`}>
        <div className="brand">
          <span className="logo">⚡</span> Bitgrid <span className="muted district">{districtName}</span>
        </div>
        <StreamBadge />
        <button
          type="button"
          className="ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-label={t('app.menu')}
          data-testid="menu-toggle"
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰
        </button>
        <nav>
          {VIEWS.map((v) => (
            <a
              key={v}
              href={`/${v}`}
              data-testid={`nav-${v}`}
              className={v === view ? 'active' : ''}
              onClick={(e) => (e.preventDefault(), go(v))}
            >
              {t(`nav.${v}`)}
            </a>
          ))}
        </nav>
        <div className="right">
          <span className="badge" data-testid="role">
            {t(`role.${session.role}`)}
          </span>
          <Switches />
          <button type="button" className="ghost" data-testid="sign-out" onClick={session.signOut}>
            {t('app.signOut')}
          </button>
        </div>
      </header>
      <main>
        <Suspense fallback={<div className="muted">{t('app.loading')}</div>}>
          {view === 'overview' && <Overview />}
          {view === 'power' && <Power />}
          {view === 'fleets' && <Fleets />}
          {view === 'cost' && <Cost />}
          {view === 'scenarios' && <Scenarios />}
          {view === 'operations' && <Operations />}
          {view === 'ledger' && <Ledger />}
        </Suspense>
      </main>
    </div>
  );
}
