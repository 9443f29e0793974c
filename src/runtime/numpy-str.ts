/**
 * Python's `str(tensor)` in MindSpore 2.10: numpy's printing of `asnumpy()` with its defaults (precision 8, 'maxprec'
 * floats, line width 75, summary past 1000 elements with 3 edge items). A port of numpy's FloatingFormat / IntegerFormat
 * and _formatArray (numpy/core/arrayprint.py, legacy=False); conformance/test_reprs.py compares it with MindSpore.
 */
import type { DType, TypedData } from './dtype.js';
import { isFloat, roundToFloat16 } from './dtype.js';

const LINE_WIDTH = 75, THRESHOLD = 1000, EDGE = 3, PRECISION = 8;

/** Shortest decimal digits that read back as the same value of `dtype` (numpy's unique=True): digits and exponent. */
function shortest(v: number, dtype: DType): { digits: string; exp: number } {
  const back = dtype === 'float32' ? Math.fround : dtype === 'float16' ? roundToFloat16 : (x: number) => x;
  for (let p = 1; p <= 17; p++) {
    const s = Math.abs(v).toExponential(p - 1);
    if (back(Number(s)) === Math.abs(v) || p === 17) {
      const [m, e] = s.split('e') as [string, string];
      return { digits: m.replace('.', '').replace(/0+$/, '') || '0', exp: Number(e) };
    }
  }
  throw new Error('unreachable');
}

/** dragon4_positional(unique, precision 8, trim '.'): '1.5', '2.', '-0.01234568'. */
function positional(v: number, dtype: DType): [string, string] {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return [`${sign}0`, ''];
  const { digits, exp } = shortest(v, dtype);
  let int: string, frac: string;
  if (exp >= 0) { int = digits.slice(0, exp + 1).padEnd(exp + 1, '0'); frac = digits.slice(exp + 1); } else { int = '0'; frac = '0'.repeat(-exp - 1) + digits; }
  if (frac.length > PRECISION) {
    // more fractional digits than the precision: the value rounded to 8 places, trailing zeros dropped
    [int, frac] = Math.abs(v).toFixed(PRECISION).split('.') as [string, string];
    frac = frac.replace(/0+$/, '');
  }
  return [sign + int, frac];
}

/** dragon4_scientific(unique, trim '.'): mantissa integer digit, fraction digits, exponent. */
function scientific(v: number, dtype: DType): { int: string; frac: string; exp: number } {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return { int: `${sign}0`, frac: '', exp: 0 };
  const s = shortest(v, dtype);
  if (s.digits.length <= PRECISION + 1) return { int: sign + s.digits[0]!, frac: s.digits.slice(1), exp: s.exp };
  // more digits than the precision: the value rounded to 8 fractional digits, trailing zeros dropped
  const [m, e] = Math.abs(v).toExponential(PRECISION).split('e') as [string, string];
  const [i, f] = m.split('.') as [string, string];
  return { int: sign + i, frac: f.replace(/0+$/, ''), exp: Number(e) };
}

/** numpy FloatingFormat.fillFormat + __call__ over the values shown. */
function floatFormatter(shown: number[], dtype: DType): (v: number) => string {
  const finite = shown.filter(Number.isFinite);
  const nonZero = finite.filter(v => v !== 0).map(Math.abs);
  const max = Math.max(...nonZero), min = Math.min(...nonZero);
  const expFormat = nonZero.length > 0 && (max >= 1e8 || min < 1e-4 || max / min > 1000);
  let padLeft = 0, padRight = 0, fmt: (v: number) => string;
  if (finite.length === 0) {
    fmt = () => '';
  } else if (expFormat) {
    const parts = finite.map(v => scientific(v, dtype));
    const precision = Math.max(...parts.map(p => p.frac.length));
    const expSize = Math.max(...parts.map(p => String(Math.abs(p.exp)).length), 2);
    padLeft = Math.max(...parts.map(p => p.int.length));
    padRight = expSize + 2 + precision;
    fmt = v => {
      // every value gets `precision` fraction digits (numpy's min_digits): further exact digits of the value, not zeros
      const [m, e] = Math.abs(v).toExponential(precision).split('e') as [string, string];
      const [i, f = ''] = m.split('.');
      const exp = Number(e), sign = v < 0 || Object.is(v, -0) ? '-' : '';
      return `${(sign + i).padStart(padLeft)}.${f}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(expSize, '0')}`;
    };
  } else {
    const parts = finite.map(v => positional(v, dtype));
    padLeft = Math.max(...parts.map(p => p[0].length));
    padRight = Math.max(...parts.map(p => p[1].length));
    fmt = v => { const [i, f] = positional(v, dtype); return `${i.padStart(padLeft)}.${f.padEnd(padRight)}`; };
  }
  if (finite.length !== shown.length) {
    const inflen = 3 + (shown.some(v => v === -Infinity) ? 1 : 0);
    padLeft = Math.max(padLeft, 3 - (padRight + 1), inflen - (padRight + 1));
  }
  return v => {
    if (Number.isFinite(v)) return fmt(v);
    const s = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
    return ' '.repeat(Math.max(0, padLeft + padRight + 1 - s.length)) + s;
  };
}

/** numpy's str of a 0-d array: the scalar's str ('2.0', '1e-05', '7', 'True'). */
function scalarStr(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'True' : 'False';
  if (!isFloat(dtype)) return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-4 && a < 1e16)) { const [i, f] = positional(v, dtype); return `${i}.${f || '0'}`; }
  const p = scientific(v, dtype);
  return `${p.int}${p.frac ? `.${p.frac}` : ''}e${p.exp < 0 ? '-' : '+'}${String(Math.abs(p.exp)).padStart(2, '0')}`;
}

/** numpy array_str: `str(tensor)` for any dtype msport holds. */
export function numpyStr(data: TypedData, shape: readonly number[], dtype: DType): string {
  const size = data.length;
  const value = (i: number): number => Number(data[i]!);
  if (shape.length === 0) return scalarStr(value(0), dtype);
  if (size === 0) return '[]';
  const summarise = size > THRESHOLD;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // the indices shown along each axis (numpy formats only the shown values when it summarises)
  const shownIdx = (n: number): number[] => (summarise && n > 2 * EDGE ? [...Array(EDGE).keys(), ...Array.from({ length: EDGE }, (_, k) => n - EDGE + k)] : [...Array(n).keys()]);
  const shown: number[] = [];
  const collect = (d: number, off: number): void => {
    for (const i of shownIdx(shape[d]!)) { if (d === shape.length - 1) shown.push(value(off + i)); else collect(d + 1, off + i * strides[d]!); }
  };
  collect(0, 0);
  let format: (v: number) => string;
  if (dtype === 'bool') format = v => (v ? ' True' : 'False');
  else if (isFloat(dtype)) format = floatFormatter(shown, dtype);
  else { const w = Math.max(...shown.map(v => String(v).length)); format = v => String(v).padStart(w); }

  const extendLine = (s: string, line: string, word: string, width: number, prefix: string): [string, string] => {
    // numpy: wrap when the word would pass the width, unless the line holds only the prefix
    if (line.length + word.length > width && line.length > prefix.length) { s += line.trimEnd() + '\n'; line = prefix; }
    return [s, line + word];
  };
  const recurse = (d: number, off: number, indent: string, width: number): string => {
    const n = shape[d]!, axesLeft = shape.length - d, nextIndent = indent + ' ', nextWidth = width - 1;
    const showSummary = summarise && 2 * EDGE < n;
    const lead = showSummary ? EDGE : 0, trail = showSummary ? EDGE : n;
    let s = '';
    if (axesLeft === 1) {
      const elemWidth = width - 1;
      let line = indent;
      for (let i = 0; i < lead; i++) { [s, line] = extendLine(s, line, format(value(off + i)), elemWidth, indent); line += ' '; }
      if (showSummary) { [s, line] = extendLine(s, line, '...', elemWidth, indent); line += ' '; }
      for (let i = trail; i > 1; i--) { [s, line] = extendLine(s, line, format(value(off + n - i)), elemWidth, indent); line += ' '; }
      [s, line] = extendLine(s, line, format(value(off + n - 1)), elemWidth, indent);
      s += line;
    } else {
      const sep = '\n'.repeat(axesLeft - 1);
      const sub = (i: number) => recurse(d + 1, off + i * strides[d]!, nextIndent, nextWidth);
      for (let i = 0; i < lead; i++) s += indent + sub(i) + sep;
      if (showSummary) s += `${indent}...${sep}`;
      for (let i = trail; i > 1; i--) s += indent + sub(n - i) + sep;
      s += indent + sub(n - 1);
    }
    return `[${s.slice(indent.length)}]`;
  };
  return recurse(0, 0, ' ', LINE_WIDTH);
}
