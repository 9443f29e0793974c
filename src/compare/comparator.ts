/** allclose-style comparison of one output pair; the tolerances travel with the result. */
import { Tensor } from '../runtime/tensor.js';

export interface Tolerance { atol: number; rtol: number }

export interface OutputComparison {
  name: string;
  shape: number[];
  referenceShape: number[];
  dtype: string;
  maxAbsDiff: number;
  /** max |a − b| / |b| over elements where the reference is non-zero */
  maxRelDiff: number;
  meanAbsDiff: number;
  mismatches: number;
  size: number;
  /** flat index and coordinates of the largest absolute difference (or the first NaN disagreement) */
  worstIndex: number[] | null;
  reference: number | null;
  actual: number | null;
  passed: boolean;
  /** why it failed when not a value mismatch */
  error?: string;
}

function coords(flat: number, shape: readonly number[]): number[] {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) { c[d] = flat % shape[d]!; flat = Math.floor(flat / shape[d]!); }
  return c;
}

/**
 * `|actual − reference| <= atol + rtol·|reference|` per element (numpy.allclose with the reference as b);
 * NaN matches only NaN, infinities match only the same infinity.
 */
export function compareOutput(name: string, reference: Tensor, actual: Tensor, tol: Tolerance): OutputComparison {
  const base = { name, shape: [...actual.shape], referenceShape: [...reference.shape], dtype: reference.dtype, size: reference.size };
  if (reference.shape.join() !== actual.shape.join()) {
    return { ...base, maxAbsDiff: Infinity, maxRelDiff: Infinity, meanAbsDiff: Infinity, mismatches: reference.size, worstIndex: null, reference: null, actual: null, passed: false,
      error: `shape mismatch: reference (${reference.shape.join(', ')}) vs msport (${actual.shape.join(', ')})` };
  }
  let maxAbs = 0, maxRel = 0, sumAbs = 0, mismatches = 0, worst = -1, worstNaN = -1;
  const n = reference.size;
  for (let i = 0; i < n; i++) {
    const b = reference.get(i), a = actual.get(i);
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (!(Number.isNaN(a) && Number.isNaN(b))) { mismatches++; if (worstNaN < 0) worstNaN = i; }
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (a !== b) { mismatches++; if (worstNaN < 0) worstNaN = i; }
      continue;
    }
    const d = Math.abs(a - b);
    sumAbs += d;
    if (worst < 0 || d > maxAbs) { maxAbs = d; worst = i; }
    if (b !== 0) { const r = d / Math.abs(b); if (r > maxRel) maxRel = r; }
    if (d > tol.atol + tol.rtol * Math.abs(b)) mismatches++;
  }
  const w = worstNaN >= 0 ? worstNaN : worst;
  if (worstNaN >= 0) { maxAbs = Infinity; maxRel = Infinity; }
  return {
    ...base, maxAbsDiff: maxAbs, maxRelDiff: maxRel, meanAbsDiff: n ? sumAbs / n : 0, mismatches,
    worstIndex: w >= 0 ? coords(w, reference.shape) : null,
    reference: w >= 0 ? reference.get(w) : null, actual: w >= 0 ? actual.get(w) : null,
    passed: mismatches === 0,
  };
}
