import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Switches } from './Switches.tsx';

// The token form of both dashboards. They differ only in the API that checks the token (serve's
// /api or the backend's /fleet) and in their texts, so those come in as props.

export interface SignInProps {
  /** Checks the token with the dashboard's API and keeps it; rejects when the API refuses it. */
  signIn: (token: string) => Promise<void>;
  /** After "Bitgrid ·" in the heading (the fleet dashboard's name); none on the site dashboard. */
  title?: string;
  intro: string;
  placeholder?: string;
  hint?: string;
  testId: string;
}

/** Both dashboards' API errors carry the HTTP status; 401 is the token refused, not a failed request. */
function refused(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 401;
}

export function SignIn({ signIn, title, intro, placeholder, hint, testId }: SignInProps) {
  const { t } = useTranslation();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(refused(err) ? t('signin.invalid') : t('signin.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form className="card" onSubmit={submit} data-testid={testId}>
        <h1>
          <span className="logo">⚡</span> Bitgrid{title && ` · ${title}`}
        </h1>
        <p className="muted">{intro}</p>
        <label>
          {t('signin.token')}
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder={placeholder}
            data-testid="token-input"
            required
          />
        </label>
        {error && (
          <p className="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token.trim()} data-testid="signin-submit">
          {busy ? t('app.loading') : t('signin.submit')}
        </button>
        {hint && <p className="muted small">{hint}</p>}
        <Switches />
      </form>
    </div>
  );
}
