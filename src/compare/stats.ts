/** Statistics across samples for one output, beyond allclose: cosine similarity, top-k agreement, the smallest passing atol. */
import type { Tensor } from '../runtime/tensor.js';
import type { OutputComparison } from './comparator.js';

export function cosineSimilarity(a: Tensor, b: Tensor): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.size; i++) { const x = a.get(i), y = b.get(i); ab += x * y; aa += x * x; bb += y * y; }
  if (aa === 0 && bb === 0) return 1;
  return ab / Math.sqrt(aa * bb);
}

/** The smallest atol with which `|a − b| <= atol + rtol·|b|` holds everywhere (0 when rtol alone suffices). */
export function minPassingAtol(ref: Tensor, actual: Tensor, rtol: number): number {
  let m = 0;
  for (let i = 0; i < ref.size; i++) {
    const b = ref.get(i), a = actual.get(i);
    if (Number.isNaN(a) || Number.isNaN(b)) { if (!(Number.isNaN(a) && Number.isNaN(b))) return Infinity; continue; }
    m = Math.max(m, Math.abs(a - b) - rtol * Math.abs(b));
  }
  return m;
}

/** A class-score output: rank 2 ([batch, classes]) with at least 5 classes. */
export const isClassScores = (t: Tensor): boolean => t.ndim === 2 && t.shape[1]! >= 5;

function topK(t: Tensor, row: number, k: number): number[] {
  const C = t.shape[1]!;
  return Array.from({ length: C }, (_, j) => j).sort((x, y) => t.get(row * C + y) - t.get(row * C + x) || x - y).slice(0, k);
}

/** Rows whose top-1 class agrees, and rows whose top-5 sets are equal. */
export function topAgreement(ref: Tensor, actual: Tensor): { rows: number; top1: number; top5: number } {
  const rows = ref.shape[0]!;
  let top1 = 0, top5 = 0;
  for (let r = 0; r < rows; r++) {
    const a = topK(ref, r, 5), b = topK(actual, r, 5);
    if (a[0] === b[0]) top1++;
    if ([...a].sort().join() === [...b].sort().join()) top5++;
  }
  return { rows, top1, top5 };
}

export interface OutputStats extends OutputComparison {
  samples: number;
  /** sample (0-based) where the largest difference occurred */
  worstSample: number;
  /** lowest cosine similarity over samples */
  cosine: number;
  /** smallest atol (at the run's rtol) that would have passed every sample */
  minPassingAtol: number;
  /** for class-score outputs: rows agreeing on top-1 and on the top-5 set, over all samples */
  topk?: { rows: number; top1: number; top5: number };
}

export function aggregate(name: string, perSample: OutputComparison[], extra: { cosine: number; minAtol: number; topk?: { rows: number; top1: number; top5: number } }[]): OutputStats {
  let worst = 0;
  perSample.forEach((c, i) => { if (c.maxAbsDiff > perSample[worst]!.maxAbsDiff || (Number.isNaN(c.maxAbsDiff))) worst = i; });
  const w = perSample[worst]!;
  const topk = extra.every(e => e.topk) ? extra.reduce((s, e) => ({ rows: s.rows + e.topk!.rows, top1: s.top1 + e.topk!.top1, top5: s.top5 + e.topk!.top5 }), { rows: 0, top1: 0, top5: 0 }) : undefined;
  return {
    ...w, name,
    maxAbsDiff: Math.max(...perSample.map(c => c.maxAbsDiff)),
    maxRelDiff: Math.max(...perSample.map(c => c.maxRelDiff)),
    meanAbsDiff: perSample.reduce((s, c) => s + c.meanAbsDiff, 0) / perSample.length,
    mismatches: perSample.reduce((s, c) => s + c.mismatches, 0),
    size: perSample.reduce((s, c) => s + c.size, 0),
    passed: perSample.every(c => c.passed),
    error: perSample.find(c => c.error)?.error,
    samples: perSample.length, worstSample: worst,
    cosine: Math.min(...extra.map(e => e.cosine)),
    minPassingAtol: Math.max(...extra.map(e => e.minAtol)),
    ...(topk ? { topk } : {}),
  };
}
