import { useTranslation } from 'react-i18next';
import { toggleTheme, useTheme } from '../theme.ts';

// One component for the site and the fleet dashboard (header and sign-in form alike), so that
// both pages keep the same switches, test ids and labels.
export function Switches() {
  const { t, i18n } = useTranslation();
  const theme = useTheme((s) => s.theme);
  return (
    <div className="switches">
      <button
        type="button"
        className="ghost"
        data-testid="lang-switch"
        onClick={() => void i18n.changeLanguage(i18n.language === 'ko' ? 'en' : 'ko')}
      >
        {i18n.language === 'ko' ? 'English' : '한국어'}
      </button>
      <button
        type="button"
        className="ghost"
        data-testid="theme-switch"
        onClick={toggleTheme}
        aria-label={t('app.theme')}
      >
        {theme === 'dark' ? '☀' : '☾'} {t(theme === 'dark' ? 'app.light' : 'app.dark')}
      </button>
    </div>
  );
}
