/** Light/dark theme: follows the system until the visitor toggles; the choice is remembered. */
import type { ThemeName } from '../lib/charts/palette.ts';

const STORAGE_KEY = 'emergence-lab:theme';

function systemTheme(): ThemeName {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function storedTheme(): ThemeName | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

class Theme {
  /** null = follow the system. */
  choice = $state<ThemeName | null>(storedTheme());
  system = $state<ThemeName>(systemTheme());
  current = $derived<ThemeName>(this.choice ?? this.system);

  constructor() {
    if (typeof matchMedia === 'function') {
      matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (e) => (this.system = e.matches ? 'dark' : 'light'));
    }
    this.apply();
  }

  toggle(): void {
    this.choice = this.current === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(STORAGE_KEY, this.choice);
    } catch {
      /* private mode: the toggle still works for this page */
    }
    this.apply();
  }

  private apply(): void {
    if (this.choice) document.documentElement.dataset.theme = this.choice;
    else delete document.documentElement.dataset.theme;
  }
}

export const theme = new Theme();

/** The chart colours of the current theme, read from the CSS variables. */
export function chartColors(): { fg: string; muted: string; grid: string; panel: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { fg: v('--fg', '#1b1f24'), muted: v('--muted', '#5b6470'), grid: v('--grid', '#e6e8ec'), panel: v('--panel', '#ffffff') };
}
