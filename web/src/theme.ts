import { create } from 'zustand';

// Light or dark, remembered in localStorage and starting from the system preference. A store (not
// component state) so the charts can redraw in the new colours when it changes.

const THEME_KEY = 'bitgrid.theme';
export type Theme = 'light' | 'dark';

function initial(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useTheme = create<{ theme: Theme }>(() => ({ theme: initial() }));

function apply(theme: Theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(THEME_KEY, theme);
}
apply(useTheme.getState().theme);
useTheme.subscribe((s) => apply(s.theme));

export function toggleTheme(): void {
  useTheme.setState((s) => ({ theme: s.theme === 'dark' ? 'light' : 'dark' }));
}
