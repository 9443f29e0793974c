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

/** Log-spaced bins of |a − b|: [0], (0, 1e-9], (1e-9, 1e-8], ..., (0.1, 1], (1, ∞), and non-finite disagreements. */
export const HISTOGRAM_EDGES = [0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

export interface ErrorHistogram {
  /** upper edges of the bins; the last bin is everything above the last edge */
  edges: number[];
  counts: number[];
  /** elements where one side is NaN/±inf and the other differs */
  nonFinite: number;
}

export function errorHistogram(reference: Tensor, actual: Tensor): ErrorHistogram {
  const counts = new Array<number>(HISTOGRAM_EDGES.length + 1).fill(0);
  let nonFinite = 0;
  if (reference.shape.join() !== actual.shape.join()) return { edges: HISTOGRAM_EDGES, counts, nonFinite: reference.size };
  for (let i = 0; i < reference.size; i++) {
    const b = reference.get(i), a = actual.get(i);
    if (!Number.isFinite(a) || !Number.isFinite(b)) { if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) nonFinite++; continue; }
    const d = Math.abs(a - b);
    let k = 0;
    while (k < HISTOGRAM_EDGES.length && d > HISTOGRAM_EDGES[k]!) k++;
    counts[k]!++;
  }
  return { edges: HISTOGRAM_EDGES, counts, nonFinite };
}
