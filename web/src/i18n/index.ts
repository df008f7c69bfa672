import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import ko from './ko.json';

// Korean first; the choice is remembered in localStorage. Both dictionaries are small and bundled.
export const LANG_KEY = 'bitgrid.lang';
export const LANGUAGES = ['ko', 'en'] as const;

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(LANG_KEY) : null;

void i18n.use(initReactI18next).init({
  resources: { ko: { translation: ko }, en: { translation: en } },
  lng: saved === 'en' ? 'en' : 'ko',
  fallbackLng: 'ko',
  interpolation: { escapeValue: false },
});

i18n.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
  localStorage.setItem(LANG_KEY, lng);
});
if (typeof document !== 'undefined') document.documentElement.lang = i18n.language;

export default i18n;
