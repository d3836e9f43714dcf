/**
 * Okabe & Ito (2008) colour-blind-safe palette. Variants also differ by point shape, so no
 * line is told apart by colour alone. Black is swapped for a light grey on dark backgrounds.
 */
export type ThemeName = 'light' | 'dark';

export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  yellow: '#F0E442',
  black: '#000000',
} as const;

// Yellow is last but one: it has the weakest contrast on white.
const ORDER = [
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.vermillion,
  OKABE_ITO.blue,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.yellow,
  OKABE_ITO.black,
];

/** Chart.js point styles, one per series index (paired with colour). */
export const POINT_STYLES = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot', 'rectRounded', 'cross'] as const;
export type PointStyleName = (typeof POINT_STYLES)[number];

export function seriesColor(index: number, theme: ThemeName): string {
  const c = ORDER[((index % ORDER.length) + ORDER.length) % ORDER.length];
  return c === OKABE_ITO.black && theme === 'dark' ? '#DDDDDD' : c;
}

export function seriesPointStyle(index: number): PointStyleName {
  return POINT_STYLES[((index % POINT_STYLES.length) + POINT_STYLES.length) % POINT_STYLES.length];
}

/** "#RRGGBB" with an alpha in [0, 1] as rgba(), for bands and hover fills. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h, 16));
  return `rgba(${r}, ${g}, ${b}, ${Math.min(1, Math.max(0, alpha))})`;
}
