/** Number formatting shared by the reporters. */
export function fmtNum(v: number | null): string {
  if (v === null) return '-';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(+v.toPrecision(4)) : v.toExponential(2);
}

export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
export const fmtShape = (s: readonly (number | string)[] | null): string => (s ? `(${s.join(', ')})` : '?');

import chalk from 'chalk';
/** cli-table3 colors on its own; follow chalk's decision (TTY, NO_COLOR, FORCE_COLOR, --no-color). */
export const tableStyle = (): { head: string[]; border: string[]; compact: boolean } =>
  (chalk.level > 0 ? { head: ['cyan'], border: ['grey'], compact: true } : { head: [], border: [], compact: true });
