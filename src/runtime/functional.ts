/**
 * `mindspore.ops`-style functional API. Names and argument conventions follow MindSpore (axis, keep_dims → keepDims),
 * each a thin call into the op registry.
 */
import './ops/index.js';
import { apply, applyMulti, isGradEnabled } from './autograd.js';
import { DType } from './dtype.js';
import { Tensor } from './tensor.js';
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
export const greater = (a: Tensor, b: Tensor): Tensor => apply('Greater', [a, b]);
export const where = (cond: Tensor, x: Tensor, y: Tensor): Tensor => apply('Where', [cond, x, y]);
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
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => apply('LeakyRelu', [x], { alpha });
export const elu = (x: Tensor, alpha = 1.0): Tensor => apply('Elu', [x], { alpha });
export const hardsigmoid = (x: Tensor): Tensor => apply('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
export const hardswish = (x: Tensor): Tensor => apply('HardSwish', [x]);
export const clamp = (x: Tensor, min = -Infinity, max = Infinity): Tensor => apply('Clip', [x], { min, max });
export const cast = (x: Tensor, dtype: DType): Tensor => apply('Cast', [x], { to: dtype });
/** SiLU / Swish: x · sigmoid(x), composed so its gradient comes from the primitives. */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));
/** GELU; MindSpore's ops.gelu defaults to the exact (erf) form, nn.GELU to the tanh approximation. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  approximate === 'none'
    ? mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1))
    : mul(mul(x, 0.5), add(tanh(mul(add(x, mul(pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));

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
