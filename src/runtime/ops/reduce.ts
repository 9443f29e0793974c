import { Tensor, shapeSize } from '../tensor.js';
import { apply } from '../autograd.js';
import { binaryMap, expandTo } from './broadcast.js';
import { softmax16 } from './float16.js';
import { defineOp } from './registry.js';
import type { OpDef } from './registry.js';
import { kernels } from '../kernels/index.js';

export function normAxes(axes: readonly number[] | undefined, ndim: number): number[] {
  const all = axes === undefined || axes.length === 0 ? [...Array(ndim).keys()] : axes.map(a => (a < 0 ? a + ndim : a));
  for (const a of all) if (a < 0 || a >= ndim) throw new Error(`axis ${a} is out of range for a ${ndim}-D tensor`);
  return [...new Set(all)].sort((a, b) => a - b);
}

type ReduceKind = 'sum' | 'mean' | 'max';

/**
 * Reduce over `axes`. Accumulates in float64, each output in input order. When the reduced axes are adjacent
 * (one (outer, reduce, inner) block) a direct loop does it; otherwise every input index is mapped to its output.
 */
function reduce(x: Tensor, axes: readonly number[] | undefined, keepDims: boolean,
  init: number, step: (acc: number, v: number) => number, finish: (acc: number, n: number) => number, kind?: ReduceKind): Tensor {
  const ax = normAxes(axes, x.ndim);
  const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outSize = shapeSize(keptShape);
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !ax.includes(i));
  const dtype = x.dtype === 'float16' ? 'float16' : 'float32';
  const n = x.size / outSize;
  const X = x.data;
  // reduced axes adjacent once size-1 dims are ignored: one block
  const live = ax.filter(a => x.shape[a] !== 1);
  const adjacent = live.length === 0 || live.every((a, i) => i === 0 || x.shape.slice(live[i - 1]! + 1, a).every(d => d === 1));
  if (kind && X instanceof Float32Array && adjacent && x.size > 0) {
    const first = live[0] ?? x.ndim, lastAx = live[live.length - 1] ?? x.ndim - 1;
    const L = n, inner = shapeSize(x.shape.slice(lastAx + 1)), outer = shapeSize(x.shape.slice(0, first));
    const out = new Float32Array(outSize);
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        const base = o * L;
        if (kind === 'max') {
          let m = -Infinity;
          for (let l = 0; l < L; l++) { const v = X[base + l]!; if (v > m || Number.isNaN(v)) m = v; }
          out[o] = m;
        } else {
          let acc = 0;
          for (let l = 0; l < L; l++) acc += X[base + l]!;
          out[o] = kind === 'mean' ? acc / L : acc;
        }
      }
    } else {
      const acc = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(kind === 'max' ? -Infinity : 0);
        for (let l = 0; l < L; l++) {
          const base = (o * L + l) * inner;
          if (kind === 'max') for (let i = 0; i < inner; i++) { const v = X[base + i]!; if (v > acc[i]! || Number.isNaN(v)) acc[i] = v; }
          else for (let i = 0; i < inner; i++) acc[i] += X[base + i]!;
        }
        for (let i = 0; i < inner; i++) out[o * inner + i] = kind === 'mean' ? acc[i]! / L : acc[i]!;
      }
    }
    return new Tensor(out, shape, dtype);
  }
  const acc = new Float64Array(outSize).fill(init);
  // map each input index to its output index via strides of the kept shape
  const outStrides: number[] = [];
  let s = 1;
  for (let i = x.ndim - 1; i >= 0; i--) { outStrides[i] = keptShape[i] === 1 ? 0 : s; s *= keptShape[i]!; }
  const idx = new Array<number>(x.ndim).fill(0);
  let o = 0;
  for (let i = 0; i < x.size; i++) {
    acc[o] = step(acc[o]!, Number(X[i]!));
    for (let d = x.ndim - 1; d >= 0; d--) {
      idx[d]!++; o += outStrides[d]!;
      if (idx[d]! < x.shape[d]!) break;
      o -= outStrides[d]! * x.shape[d]!; idx[d] = 0;
    }
  }
  const out = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) out[i] = finish(acc[i]!, n);
  return new Tensor(out, shape, dtype);
}

export interface ReduceAttrs { axes?: number[]; keepDims: boolean }

const expandBack = (g: Tensor, x: Tensor, { axes }: ReduceAttrs): Tensor =>
  expandTo(g.view(x.shape.map((d, i) => (normAxes(axes, x.ndim).includes(i) ? 1 : d))), x.shape);

export const ReduceSum = defineOp<ReduceAttrs>({
  name: 'ReduceSum',
  forward: ([x], { axes, keepDims }) => reduce(x!, axes, keepDims, 0, (a, v) => a + v, a => a, 'sum'),
  backward: (dy, [x], _y, attrs) => [expandBack(dy, x!, attrs)],
});
export const ReduceMean = defineOp<ReduceAttrs>({
  name: 'ReduceMean',
  forward: ([x], { axes, keepDims }) => reduce(x!, axes, keepDims, 0, (a, v) => a + v, (a, n) => a / n, 'mean'),
  backward: (dy, [x], y, attrs) => [apply('Mul', [expandBack(dy, x!, attrs), Tensor.scalar(y.size / x!.size)])],
});
export const ReduceMax = defineOp<ReduceAttrs>({
  name: 'ReduceMax',
  forward: ([x], { axes, keepDims }) => reduce(x!, axes, keepDims, -Infinity, (a, v) => (v > a || Number.isNaN(v) ? v : a), a => a, 'max'),
  // the gradient goes to every element equal to its slice's maximum (ties share it, as MindSpore's ReduceMax grad does)
  backward: (dy, [x], y, attrs) => {
    const yb = expandBack(y, x!, attrs), gb = expandBack(dy, x!, attrs);
    const mask = binaryMap(x!, yb, (a, b) => (a === b ? 1 : 0), 'ReduceMax');
    const count = expandBack(apply('ReduceSum', [mask], { ...attrs, keepDims: attrs.keepDims }), x!, attrs);
    return [binaryMap(binaryMap(gb, mask, (g, m) => g * m, 'ReduceMax'), count, (g, c) => g / c, 'ReduceMax')];
  },
});

/** Softmax along one axis, max-subtracted, accumulated in float64 (float16: MindSpore's float16 steps, float16.ts). */
function softmaxLike(x: Tensor, axis: number, log: boolean): Tensor {
  const ax = axis < 0 ? axis + x.ndim : axis;
  const L = x.shape[ax]!, inner = shapeSize(x.shape.slice(ax + 1)), outer = x.size / (L * inner);
  if (!log && x.dtype === 'float16' && x.data instanceof Float32Array) {
    const out = new Float32Array(x.size);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) softmax16(x.data, out, o * L * inner + i, L, inner);
    return new Tensor(out, x.shape, x.dtype);
  }
  if (!log && inner === 1 && x.data instanceof Float32Array && x.size > 0) {
    const fast = kernels.softmaxRows(x.data, outer, L);
    if (fast) return new Tensor(fast, x.shape, x.dtype);
  }
  const X = x.data as Float32Array, out = new Float32Array(x.size);
  // exp(v − m) of the slice, kept in float64 so each is computed once
  const e = new Float64Array(L);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const base = o * L * inner + i;
    let m = -Infinity;
    for (let k = 0; k < L; k++) m = Math.max(m, X[base + k * inner]!);
    let sum = 0;
    for (let k = 0; k < L; k++) { const t = Math.exp(X[base + k * inner]! - m); e[k] = t; sum += t; }
    if (log) {
      const lse = Math.log(sum);
      for (let k = 0; k < L; k++) out[base + k * inner] = X[base + k * inner]! - m - lse;
    } else {
      for (let k = 0; k < L; k++) out[base + k * inner] = e[k]! / sum;
    }
  }
  return new Tensor(out, x.shape, x.dtype);
}

export const Softmax = defineOp<{ axis: number }>({
  name: 'Softmax',
  forward: ([x], { axis }) => softmaxLike(x!, axis, false),
  // dx = y * (dy - sum(dy * y, axis))
  backward: (dy, _x, y, { axis }) => {
    const s = apply('ReduceSum', [apply('Mul', [dy, y])], { axes: [axis], keepDims: true });
    return [apply('Mul', [y, apply('Sub', [dy, s])])];
  },
});
export const LogSoftmax = defineOp<{ axis: number }>({
  name: 'LogSoftmax',
  forward: ([x], { axis }) => softmaxLike(x!, axis, true),
  // dx = dy - exp(y) * sum(dy, axis)
  backward: (dy, _x, y, { axis }) => {
    const s = apply('ReduceSum', [dy], { axes: [axis], keepDims: true });
    return [apply('Sub', [dy, apply('Mul', [apply('Exp', [y]), s])])];
  },
});

/** Index of the first maximum along one axis, as int64 (MindSpore P.Argmax(axis, output_type=int64)). */
export const Argmax = defineOp<{ axis: number; keepDims: boolean }>({
  name: 'Argmax',
  forward: ([x], { axis, keepDims }) => {
    const ax = normAxes([axis], x!.ndim)[0]!;
    const L = x!.shape[ax]!, inner = shapeSize(x!.shape.slice(ax + 1)), outer = x!.size / (L * inner);
    const X = x!.data, out = new BigInt64Array(outer * inner);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const base = o * L * inner + i;
      let best = 0;
      for (let k = 1; k < L; k++) if (Number(X[base + k * inner]!) > Number(X[base + best * inner]!)) best = k;
      out[o * inner + i] = BigInt(best);
    }
    const shape = keepDims ? x!.shape.map((d, i) => (i === ax ? 1 : d)) : x!.shape.filter((_, i) => i !== ax);
    return new Tensor(out, shape, 'int64');
  },
  noGrad: 'indices: piecewise constant',
});

export const reduceOps: OpDef<any>[] = [ReduceSum, ReduceMean, ReduceMax, Softmax, LogSoftmax, Argmax];

/**
 * ops.cumsum(input, axis): running sums along `axis` (float64 accumulation, rounded per element); `exclusive` starts
 * from 0, `reverse` runs from the end (ONNX CumSum's attributes). The gradient is the same sum in the other direction.
 */
function cumsum(x: Tensor, axis: number, exclusive: boolean, reverse: boolean): Tensor {
  const ax = axis < 0 ? axis + x.ndim : axis;
  const n = x.shape[ax]!, inner = shapeSize(x.shape.slice(ax + 1)), outer = shapeSize(x.shape.slice(0, ax));
  const X = x.data, out = Tensor.zeros(x.shape, x.dtype), O = out.data;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    let acc = 0;
    for (let s = 0; s < n; s++) {
      const j = reverse ? n - 1 - s : s, at = (o * n + j) * inner + i;
      const v = Number(X[at]!);
      if (exclusive) { O[at] = (O instanceof BigInt64Array ? BigInt(acc) : acc) as never; acc += v; } else { acc += v; O[at] = (O instanceof BigInt64Array ? BigInt(acc) : acc) as never; }
    }
  }
  return out;
}
export const CumSum = defineOp<{ axis: number; exclusive: boolean; reverse: boolean }>({
  name: 'CumSum',
  forward: ([x], a) => cumsum(x!, a.axis, a.exclusive, a.reverse),
  backward: (dy, _xs, _y, a) => [cumsum(dy, a.axis, a.exclusive, !a.reverse)],
});
reduceOps.push(CumSum);
