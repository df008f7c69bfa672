import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api.ts';
import { useSession } from '../session.ts';

export function SignIn({ switches }: { switches: ReactNode }) {
  const { t } = useTranslation();
  const signIn = useSession((s) => s.signIn);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? t('signin.invalid')
          : t('signin.failed', { message: (err as Error).message }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form className="card" onSubmit={submit} data-testid="signin-form">
        <h1>
          <span className="logo">⚡</span> Bitgrid
        </h1>
        <p className="muted">{t('signin.intro')}</p>
        <label>
          {t('signin.token')}
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="bgt_…"
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
        <p className="muted small">{t('signin.hint')}</p>
        {switches}
      </form>
    </div>
  );
}
