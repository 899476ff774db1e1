export type Theme = 'light' | 'dark';

const KEY = 'skein.theme';

/** The saved theme, else the system preference. */
export function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(KEY, theme);
}

/** Service colours, distinct in both themes; slot i is the i-th service of a trace. */
const PALETTE = [
  '#4f7cff',
  '#00a88f',
  '#e8a33d',
  '#c157d6',
  '#e0604f',
  '#3fa9d6',
  '#8aa83a',
  '#d6578f',
  '#7a6cf0',
  '#2e9e5b',
  '#c98a2d',
  '#5a8fb8',
  '#b85a5a',
  '#40b3a8',
  '#9c6b3f',
  '#6f7f99',
];

export function serviceColor(slot: number): string {
  return PALETTE[slot % PALETTE.length];
}

/** A stable colour for a service name, for pages that show services without a trace. */
export function colorForName(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}
