/**
 * `mindspore.ops`-style functional API. Names and argument conventions follow MindSpore (axis, keep_dims → keepDims),
 * each a thin call into the op registry.
 */
import './ops/index.js';
import { apply, applyMulti, isGradEnabled } from './autograd.js';
import { DType, isFloat } from './dtype.js';
import { Tensor, Shape } from './tensor.js';
import type { Parameter } from './parameter.js';
import { opRng } from './random.js';
import { resolveShape, PadMode } from './ops/movement.js';
import type { Conv2DAttrs } from './ops/conv.js';
import type { Pool2DAttrs } from './ops/pool.js';

const t = (v: Tensor | number, like?: Tensor): Tensor => (typeof v === 'number' ? Tensor.scalar(v, like?.dtype ?? 'float32') : v);

export const add = (a: Tensor | number, b: Tensor | number): Tensor => apply('Add', [t(a, b as Tensor), t(b, a as Tensor)]);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => apply('Sub', [t(a, b as Tensor), t(b, a as Tensor)]);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => apply('Mul', [t(a, b as Tensor), t(b, a as Tensor)]);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => apply('Div', [t(a, b as Tensor), t(b, a as Tensor)]);
export const pow = (a: Tensor | number, b: Tensor | number): Tensor => apply('Pow', [t(a, b as Tensor), t(b, a as Tensor)]);
export const maximum = (a: Tensor, b: Tensor): Tensor => apply('Maximum', [a, b]);
export const minimum = (a: Tensor, b: Tensor): Tensor => apply('Minimum', [a, b]);
export const equal = (a: Tensor, b: Tensor): Tensor => apply('Equal', [a, b]);
export const less = (a: Tensor, b: Tensor): Tensor => apply('Less', [a, b]);
/** ops.greater / ops.gt: a number operand takes the Tensor's dtype first (0.1 is compared as float32(0.1)). */
export const greater = (a: Tensor | number, b: Tensor | number): Tensor => apply('Greater', [t(a, b as Tensor), t(b, a as Tensor)]);
export const gt = greater;
export const where = (cond: Tensor, x: Tensor, y: Tensor): Tensor => apply('Where', [cond, x, y]);
/** ops.select(cond, input, other): `input` where cond holds, else `other`; a number operand takes the other's dtype. */
export const select = (cond: Tensor, x: Tensor | number, y: Tensor | number): Tensor => where(cond, t(x, y as Tensor), t(y, x as Tensor));

const shapeOf = (shape: number | Shape): number[] => (typeof shape === 'number' ? [shape] : [...shape]);
/** ops.fill(type, shape, value) — note MindSpore's argument order: dtype first. */
export const fill = (dtype: DType, shape: number | Shape, value: number): Tensor => Tensor.full(shapeOf(shape), value, dtype);
/** ops.ones(shape, dtype=float32) / ops.zeros: a number shape is 1-D. */
export const ones = (shape: number | Shape, dtype: DType = 'float32'): Tensor => Tensor.full(shapeOf(shape), 1, dtype);
export const zeros = (shape: number | Shape, dtype: DType = 'float32'): Tensor => Tensor.zeros(shapeOf(shape), dtype);
/** ops.ones_like(input, dtype=None) / ops.zeros_like: the input's shape and (by default) dtype. */
export const onesLike = (x: Tensor, dtype?: DType): Tensor => Tensor.full(x.shape, 1, dtype ?? x.dtype);
export const zerosLike = (x: Tensor, dtype?: DType): Tensor => Tensor.zeros(x.shape, dtype ?? x.dtype);

/**
 * ops.assign(variable, value): overwrite a Parameter's data with `value` (same shape; cast to the Parameter's dtype)
 * and return the Parameter. Not differentiable; MindSpore uses it to update Parameters inside compiled functions.
 */
export const assign = (variable: Parameter, value: Tensor): Parameter => variable.setData(value);

/**
 * ops.uniform(shape, minval, maxval, seed=None, dtype=float32): U[minval, maxval). With an op-level `seed` the n-th
 * call repeats across runs (and after setSeed) while consecutive calls differ; the stream is msport's, not Philox.
 */
export const uniform = (shape: number | Shape, minval: Tensor | number, maxval: Tensor | number, seed: number | null = null,
  dtype: DType = 'float32'): Tensor => {
  if (!isFloat(dtype)) throw new Error(`uniform: dtype must be a float type, got ${dtype}`);
  const lo = typeof minval === 'number' ? minval : minval.item(), hi = typeof maxval === 'number' ? maxval : maxval.item();
  if (!(lo < hi)) throw new Error(`uniform: minval (${lo}) must be below maxval (${hi})`);
  const rng = opRng('uniform', seed), out = Tensor.zeros(shapeOf(shape), dtype);
  for (let i = 0; i < out.size; i++) out.data[i] = rng.uniform(lo, hi);
  return out;
};
export const neg = (x: Tensor): Tensor => apply('Neg', [x]);
export const abs = (x: Tensor): Tensor => apply('Abs', [x]);
export const relu = (x: Tensor): Tensor => apply('Relu', [x]);
export const relu6 = (x: Tensor): Tensor => apply('Clip', [x], { min: 0, max: 6 });
export const sigmoid = (x: Tensor): Tensor => apply('Sigmoid', [x]);
export const tanh = (x: Tensor): Tensor => apply('Tanh', [x]);
export const exp = (x: Tensor): Tensor => apply('Exp', [x]);
export const log = (x: Tensor): Tensor => apply('Log', [x]);
export const sqrt = (x: Tensor): Tensor => apply('Sqrt', [x]);
export const reciprocal = (x: Tensor): Tensor => apply('Reciprocal', [x]);
export const erf = (x: Tensor): Tensor => apply('Erf', [x]);
export const floor = (x: Tensor): Tensor => apply('Floor', [x]);
export const ceil = (x: Tensor): Tensor => apply('Ceil', [x]);
export const softplus = (x: Tensor): Tensor => apply('Softplus', [x]);
export const logicalNot = (x: Tensor): Tensor => apply('Not', [x]);
export const isnan = (x: Tensor): Tensor => apply('IsNan', [x]);
/** ops.cumsum(input, axis): running sums along axis (ONNX CumSum's exclusive/reverse as options). */
export const cumsum = (x: Tensor, axis: number, exclusive = false, reverse = false): Tensor => apply('CumSum', [x], { axis, exclusive, reverse });
/** The last two dims' lower (tril) or upper (triu) triangle from `diagonal` on; the rest 0 (ops.tril / ops.triu). */
const triangle = (x: Tensor, diagonal: number, upper: boolean): Tensor => {
  if (x.ndim < 2) throw new Error(`${upper ? 'triu' : 'tril'}: input must be at least 2-D, got [${x.shape}]`);
  const R = x.shape[x.ndim - 2]!, C = x.shape[x.ndim - 1]!;
  const keep = Tensor.zeros([R, C], 'bool');
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) keep.data[r * C + c] = (upper ? c - r >= diagonal : c - r <= diagonal) ? 1 : 0;
  return where(keep, x, zerosLike(x));
};
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, false);
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, true);
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => apply('LeakyRelu', [x], { alpha });
/** ops.elu(input_x, alpha=1.0): MindSpore 2.10 accepts only alpha = 1.0 (conformance: ops.elu(alpha=0.5) raises there). */
export const elu = (x: Tensor, alpha = 1.0): Tensor => {
  if (alpha !== 1) throw new Error(`ops.elu: alpha must be 1.0 in MindSpore 2.10, got ${alpha} (write x if x > 0 else alpha·(exp(x) − 1) with ops.where)`);
  return apply('Elu', [x], { alpha });
};
/** ELU with any slope, composed as MindSpore code would write it (ops.where over alpha·expm1); for ONNX Elu(alpha ≠ 1). */
export const eluAnyAlpha = (x: Tensor, alpha: number): Tensor => apply('Elu', [x], { alpha });
export const hardsigmoid = (x: Tensor): Tensor => apply('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
export const hardswish = (x: Tensor): Tensor => apply('HardSwish', [x]);
/** ops.clamp: MindSpore 2.10 maps NaN to min (to max when only max is given; conformance: ops.clamp(edge 4x5)). */
export const clamp = (x: Tensor, min = -Infinity, max = Infinity): Tensor =>
  apply('Clip', [x], { min, max, ...(min === -Infinity && max !== Infinity ? { nanTo: max } : {}) });
export const cast = (x: Tensor, dtype: DType): Tensor => apply('Cast', [x], { to: dtype });
/** SiLU / Swish: x · sigmoid(x). */
export const silu = (x: Tensor): Tensor => apply('SiLU', [x]);
export const mish = (x: Tensor): Tensor => apply('Mish', [x]);
/** GELU; MindSpore's ops.gelu defaults to the exact (erf) form, nn.GELU to the tanh approximation. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  approximate === 'none'
    ? apply('GeLU', [x])
    // MindSpore's order, x·(1 + tanh(…))·0.5: ·0.5 is exact, so only where x·2 overflows does it differ (gelu(3.4e38) = inf)
    : mul(mul(x, add(tanh(mul(add(x, mul(pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1)), 0.5);

export const matmul = (a: Tensor, b: Tensor): Tensor => apply('MatMul', [a, b]);
export const dense = (x: Tensor, w: Tensor, b?: Tensor | null): Tensor => apply('Dense', b ? [x, w, b] : [x, w]);
export const conv2d = (x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DAttrs): Tensor => apply('Conv2D', b ? [x, w, b] : [x, w], { ...attrs });
export const maxPool2d = (x: Tensor, attrs: Pool2DAttrs): Tensor => apply('MaxPool2D', [x], { ...attrs });
export const avgPool2d = (x: Tensor, attrs: Pool2DAttrs): Tensor => apply('AvgPool2D', [x], { ...attrs });
export const adaptiveAvgPool2d = (x: Tensor, outputSize: [number, number]): Tensor => apply('AdaptivePool2D', [x], { outputSize, mode: 'avg' });
export const adaptiveMaxPool2d = (x: Tensor, outputSize: [number, number]): Tensor => apply('AdaptivePool2D', [x], { outputSize, mode: 'max' });
export const batchNormInference = (x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, eps: number): Tensor =>
  apply('BatchNormInference', [x, gamma, beta, mean, variance], { eps });

export const sum = (x: Tensor, axis?: number | number[], keepDims = false): Tensor => apply('ReduceSum', [x], { axes: axisList(axis), keepDims });
export const mean = (x: Tensor, axis?: number | number[], keepDims = false): Tensor => apply('ReduceMean', [x], { axes: axisList(axis), keepDims });
export const amax = (x: Tensor, axis?: number | number[], keepDims = false): Tensor => apply('ReduceMax', [x], { axes: axisList(axis), keepDims });
export const softmax = (x: Tensor, axis = -1): Tensor => apply('Softmax', [x], { axis });
/** ops.argmax(input, dim=None, keepdim=False): int64 indices of the first maximum; dim None means the flattened input. */
export const argmax = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  dim === null ? apply('Argmax', [reshape(x, [x.size])], { axis: 0, keepDims: false }) : apply('Argmax', [x], { axis: dim, keepDims: keepdim });
export const logSoftmax = (x: Tensor, axis = -1): Tensor => apply('LogSoftmax', [x], { axis });
const axisList = (a?: number | number[]): number[] | undefined => (a === undefined ? undefined : Array.isArray(a) ? a : [a]);

export const reshape = (x: Tensor, shape: readonly number[]): Tensor => apply('Reshape', [x], { shape: [...shape] });
/** MindSpore ops.transpose takes a full permutation (torch.permute); torch.transpose's two-axis swap is ops.swapaxes. */
export const transpose = (x: Tensor, perm: readonly number[]): Tensor => apply('Transpose', [x], { perm: [...perm] });
export const permute = transpose;
export const swapaxes = (x: Tensor, a: number, b: number): Tensor => {
  const p = [...x.shape.keys()];
  const [i, j] = [a < 0 ? a + x.ndim : a, b < 0 ? b + x.ndim : b];
  [p[i], p[j]] = [p[j]!, p[i]!];
  return transpose(x, p);
};
/** ops.flatten: start_dim defaults to 1 in MindSpore (torch.flatten: 0). */
export const flatten = (x: Tensor, startDim = 1, endDim = -1): Tensor => {
  const s = startDim < 0 ? startDim + x.ndim : startDim, e = endDim < 0 ? endDim + x.ndim : endDim;
  return reshape(x, [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(e + 1)]);
};
export const concat = (xs: Tensor[], axis = 0): Tensor => apply('Concat', xs, { axis });
export const cat = concat;
/** ops.stack(tensors, axis=0): join equal-shaped tensors along a new axis (unsqueeze + concat, so differentiable). */
export const stack = (xs: Tensor[], axis = 0): Tensor => {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const a = axis < 0 ? axis + xs[0]!.ndim + 1 : axis;
  return concat(xs.map(x => unsqueeze(x, a)), a);
};
/**
 * ops.unsorted_segment_sum(input_x, segment_ids, num_segments): out[s] = Σ input_x[j] over j with segment_ids[j] = s;
 * ids outside [0, num_segments) are dropped. Output shape [num_segments, ...input_x.shape[segment_ids.ndim:]].
 * Composed as one_hot(ids)ᵀ · x, so it is differentiable in input_x.
 */
export const unsortedSegmentSum = (x: Tensor, segmentIds: Tensor, numSegments: number): Tensor => {
  const k = segmentIds.size, rest = x.shape.slice(segmentIds.ndim);
  if (x.shape.slice(0, segmentIds.ndim).join() !== segmentIds.shape.join()) {
    throw new Error(`unsorted_segment_sum: segment_ids shape [${segmentIds.shape}] must be a prefix of input_x shape [${x.shape}]`);
  }
  const oneHot = cast(apply('OneHot', [reshape(segmentIds, [k])], { depth: numSegments, onValue: 1, offValue: 0, axis: -1 }), x.dtype);
  const sums = matmul(transpose(oneHot, [1, 0]), reshape(x, [k, x.size / Math.max(k, 1)]));
  return reshape(sums, [numSegments, ...rest]);
};
/** ops.split into pieces of `sizes` along `axis`; composed of slices so each piece carries its own gradient. */
export const split = (x: Tensor, sizes: number[], axis = 0): Tensor[] => {
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) throw new Error(`split: sizes [${sizes}] do not add up to dim ${ax} = ${x.shape[ax]}`);
  if (!isGradEnabled() || !x.requiresGrad) return applyMulti('Split', [x], { axis: ax, sizes });
  let off = 0;
  return sizes.map(sz => {
    const begin = x.shape.map((_, i) => (i === ax ? off : 0)), end = x.shape.map((d, i) => (i === ax ? off + sz : d));
    off += sz;
    return stridedSlice(x, begin, end, x.shape.map(() => 1));
  });
};
export const stridedSlice = (x: Tensor, begin: number[], end: number[], strides: number[]): Tensor => apply('StridedSlice', [x], { begin, end, strides });
export const gather = (x: Tensor, indices: Tensor, axis: number): Tensor => apply('Gather', [x, indices], { axis });
export const expand = (x: Tensor, shape: number[]): Tensor => apply('Expand', [x], { shape });
/** ops.tile: repeat along each axis (composed of concat, so it is differentiable). */
export const tile = (x: Tensor, reps: number[]): Tensor => {
  let t = x.ndim < reps.length ? reshape(x, [...Array(reps.length - x.ndim).fill(1), ...x.shape]) : x;
  const off = t.ndim - reps.length;
  reps.forEach((r, d) => { if (r > 1) t = concat(Array(r).fill(t), d + off); });
  return t === x ? reshape(x, x.shape) : t;
};
export const squeeze = (x: Tensor, axis?: number | number[]): Tensor => {
  const ax = axisList(axis)?.map(a => (a < 0 ? a + x.ndim : a));
  return reshape(x, x.shape.filter((d, i) => (ax ? !ax.includes(i) : d !== 1)));
};
export const unsqueeze = (x: Tensor, axis: number): Tensor => {
  const a = axis < 0 ? axis + x.ndim + 1 : axis;
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
};
/**
 * ops.pad: `padding` in torch order (last dim first, (before, after) pairs); mode 'constant' | 'reflect' | 'replicate'.
 */
export const pad = (x: Tensor, padding: readonly number[], mode: 'constant' | 'reflect' | 'replicate' = 'constant', value = 0): Tensor => {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) throw new Error(`pad: padding [${padding}] must hold (before, after) pairs for at most ${x.ndim} dims`);
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  for (let k = 0; k < padding.length / 2; k++) pads[x.ndim - 1 - k] = [padding[2 * k]!, padding[2 * k + 1]!];
  const m: PadMode = mode === 'replicate' ? 'edge' : mode;
  return apply('Pad', [x], { pads, mode: m, value });
};
export { resolveShape };
export * from './functional-layers.js';

/** ops.remainder (Python %, sign of the divisor) and ops.fmod (C fmod, sign of the dividend). */
export const remainder = (a: Tensor, b: Tensor): Tensor => apply('Mod', [a, b], { fmod: false });
export const fmod = (a: Tensor, b: Tensor): Tensor => apply('Mod', [a, b], { fmod: true });
/** ops.tensor_scatter_update / ONNX ScatterND: replace the slices at `indices` with `updates`. */
export const tensorScatterUpdate = (x: Tensor, indices: Tensor, updates: Tensor): Tensor => apply('ScatterND', [x, indices, updates]);
/** ops.einsum for explicit equations. */
export const einsum = (equation: string, ...xs: Tensor[]): Tensor => apply('Einsum', xs, { equation });
/** ops.interpolate as ONNX Resize describes it: output sizes and scales per axis, coordinate and rounding modes. */
export const resize = (x: Tensor, attrs: import('./ops/resize.js').ResizeAttrs): Tensor => apply('Resize', [x], { ...attrs });
