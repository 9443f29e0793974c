/**
 * mindspore.ops functions as data: each name binds MindSpore 2.10's signature (checked against the real one by
 * conformance/test_signatures.py) and calls the runtime's functional op. Only arguments msport implements are
 * accepted; anything else is reported by name rather than ignored.
 */
import * as F from '../runtime/functional.js';
import { Tensor } from '../runtime/tensor.js';
import { stopGradient } from '../runtime/grad.js';
import { BridgeError, bool, dtypeOf, ints, num, str, tensorOrNull, Value } from './values.js';

type Args = Record<string, Value>;
interface OpEntry { sig: readonly string[]; call: (a: Args) => Tensor | Tensor[] }

const T = (a: Args, k: string): Tensor => {
  const v = a[k];
  if (!(v instanceof Tensor)) throw new BridgeError(`argument '${k}' must be a Tensor`);
  return v;
};
const TN = (a: Args, k: string): Tensor | number => (typeof a[k] === 'number' ? (a[k] as number) : T(a, k));
const tensors = (a: Args, k: string): Tensor[] => {
  const v = a[k];
  if (!Array.isArray(v) || !v.every(x => x instanceof Tensor)) throw new BridgeError(`argument '${k}' must be a tuple of Tensors`);
  return v as Tensor[];
};
const only = (op: string, a: Args, k: string, def: unknown): void => {
  if (a[k] !== undefined && a[k] !== def) throw new BridgeError(`msport's ops.${op} supports ${k}=${JSON.stringify(def)} only`);
};
const unary = (f: (x: Tensor) => Tensor, name = 'input'): OpEntry => ({ sig: [name], call: a => f(T(a, name)) });
const binary = (f: (x: Tensor | number, y: Tensor | number) => Tensor): OpEntry => ({ sig: ['input', 'other'], call: a => f(TN(a, 'input'), TN(a, 'other')) });
const axes = (v: number | number[] | undefined | null): number | number[] | undefined => (v === null ? undefined : v);
/** An int or a pair as MindSpore's functional pooling/conv arguments take them. */
const pair = (v: number | number[] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

export const OPS: Record<string, OpEntry> = {
  relu: { sig: ['input', 'inplace'], call: a => { only('relu', a, 'inplace', false); return F.relu(T(a, 'input')); } },
  relu6: unary(F.relu6, 'x'),
  sigmoid: unary(F.sigmoid),
  tanh: unary(F.tanh),
  exp: unary(F.exp),
  log: unary(F.log),
  sqrt: unary(F.sqrt, 'x'),
  reciprocal: unary(F.reciprocal),
  erf: unary(F.erf),
  floor: unary(F.floor),
  ceil: unary(F.ceil),
  abs: unary(F.abs),
  neg: unary(F.neg),
  softplus: { sig: ['input', 'beta', 'threshold'], call: a => { only('softplus', a, 'beta', 1); only('softplus', a, 'threshold', 20); return F.softplus(T(a, 'input')); } },
  leaky_relu: { sig: ['input', 'alpha'], call: a => F.leakyRelu(T(a, 'input'), num(a, 'alpha')) },
  elu: { sig: ['input_x', 'alpha'], call: a => F.elu(T(a, 'input_x'), num(a, 'alpha')) },
  hardsigmoid: unary(F.hardsigmoid),
  hardswish: unary(F.hardswish),
  silu: unary(F.silu),
  gelu: { sig: ['input', 'approximate'], call: a => F.gelu(T(a, 'input'), (str(a, 'approximate') ?? 'none') as 'none' | 'tanh') },
  add: binary(F.add),
  sub: binary(F.sub),
  mul: binary(F.mul),
  div: { sig: ['input', 'other', 'rounding_mode'], call: a => { only('div', a, 'rounding_mode', null); return F.div(TN(a, 'input'), TN(a, 'other')); } },
  pow: { sig: ['input', 'exponent'], call: a => F.pow(TN(a, 'input'), TN(a, 'exponent')) },
  maximum: { sig: ['input', 'other'], call: a => F.maximum(T(a, 'input'), T(a, 'other')) },
  minimum: { sig: ['input', 'other'], call: a => F.minimum(T(a, 'input'), T(a, 'other')) },
  remainder: { sig: ['input', 'other'], call: a => F.remainder(T(a, 'input'), T(a, 'other')) },
  fmod: { sig: ['input', 'other'], call: a => F.fmod(T(a, 'input'), T(a, 'other')) },
  matmul: { sig: ['input', 'other'], call: a => F.matmul(T(a, 'input'), T(a, 'other')) },
  dense: { sig: ['input', 'weight', 'bias'], call: a => F.dense(T(a, 'input'), T(a, 'weight'), tensorOrNull(a, 'bias')) },
  softmax: { sig: ['input', 'axis', 'dtype'], call: a => { only('softmax', a, 'dtype', null); return F.softmax(T(a, 'input'), num(a, 'axis')); } },
  log_softmax: { sig: ['logits', 'axis'], call: a => F.logSoftmax(T(a, 'logits'), num(a, 'axis')) },
  sum: { sig: ['input', 'dim', 'keepdim', 'dtype'], call: a => { only('sum', a, 'dtype', null); return F.sum(T(a, 'input'), axes(ints(a, 'dim')), bool(a, 'keepdim')); } },
  mean: { sig: ['x', 'axis', 'keep_dims'], call: a => F.mean(T(a, 'x'), axes(ints(a, 'axis')), bool(a, 'keep_dims')) },
  amax: { sig: ['input', 'axis', 'keepdims', 'initial', 'where'], call: a => { only('amax', a, 'initial', null); only('amax', a, 'where', null); return F.amax(T(a, 'input'), axes(ints(a, 'axis')), bool(a, 'keepdims')); } },
  argmax: { sig: ['input', 'dim', 'keepdim'], call: a => F.argmax(T(a, 'input'), a.dim === undefined ? null : (a.dim as number | null), bool(a, 'keepdim')) },
  reshape: { sig: ['input', 'shape'], call: a => F.reshape(T(a, 'input'), ints(a, 'shape') as number[]) },
  transpose: { sig: ['input', 'dims'], call: a => F.transpose(T(a, 'input'), ints(a, 'dims') as number[]) },
  permute: { sig: ['input', 'axis'], call: a => F.permute(T(a, 'input'), ints(a, 'axis') as number[]) },
  swapaxes: { sig: ['input', 'axis0', 'axis1'], call: a => F.swapaxes(T(a, 'input'), num(a, 'axis0')!, num(a, 'axis1')!) },
  concat: { sig: ['tensors', 'axis'], call: a => F.concat(tensors(a, 'tensors'), num(a, 'axis')) },
  stack: { sig: ['tensors', 'axis'], call: a => F.stack(tensors(a, 'tensors'), num(a, 'axis')) },
  split: {
    sig: ['tensor', 'split_size_or_sections', 'axis'],
    call: a => {
      const x = T(a, 'tensor'), ax = num(a, 'axis') ?? 0, s = ints(a, 'split_size_or_sections')!;
      const d = x.shape[ax < 0 ? ax + x.ndim : ax]!;
      const sizes = typeof s === 'number' ? Array.from({ length: Math.ceil(d / s) }, (_, i) => Math.min(s, d - i * s)) : s;
      return F.split(x, sizes, ax);
    },
  },
  gather: { sig: ['input_params', 'input_indices', 'axis', 'batch_dims'], call: a => { only('gather', a, 'batch_dims', 0); return F.gather(T(a, 'input_params'), T(a, 'input_indices'), num(a, 'axis')!); } },
  gather_elements: { sig: ['input', 'dim', 'index'], call: a => F.gatherElements(T(a, 'input'), num(a, 'dim')!, T(a, 'index')) },
  clamp: { sig: ['input', 'min', 'max'], call: a => F.clamp(T(a, 'input'), (a.min ?? undefined) as number | undefined, (a.max ?? undefined) as number | undefined) },
  where: { sig: ['condition', 'input', 'other'], call: a => F.where(T(a, 'condition'), T(a, 'input'), T(a, 'other')) },
  equal: { sig: ['input', 'other'], call: a => F.equal(T(a, 'input'), T(a, 'other')) },
  greater: binary(F.greater),
  logical_not: unary(F.logicalNot),
  isnan: unary(F.isnan),
  cumsum: { sig: ['x', 'axis', 'dtype'], call: a => { only('cumsum', a, 'dtype', null); return F.cumsum(T(a, 'x'), num(a, 'axis')!); } },
  tril: { sig: ['input', 'diagonal'], call: a => F.tril(T(a, 'input'), num(a, 'diagonal')) },
  triu: { sig: ['input', 'diagonal'], call: a => F.triu(T(a, 'input'), num(a, 'diagonal')) },
  flatten: { sig: ['input', 'order', 'start_dim', 'end_dim'], call: a => { only('flatten', a, 'order', 'C'); return F.flatten(T(a, 'input'), num(a, 'start_dim'), num(a, 'end_dim')); } },
  squeeze: { sig: ['input', 'axis'], call: a => F.squeeze(T(a, 'input'), axes(ints(a, 'axis'))) },
  unsqueeze: { sig: ['input', 'dim'], call: a => F.unsqueeze(T(a, 'input'), num(a, 'dim')!) },
  tile: { sig: ['input', 'dims'], call: a => F.tile(T(a, 'input'), ints(a, 'dims') as number[]) },
  pad: {
    sig: ['input_x', 'padding', 'mode', 'value'],
    call: a => F.pad(T(a, 'input_x'), ints(a, 'padding') as number[], (str(a, 'mode') ?? 'constant') as 'constant', (a.value ?? 0) as number),
  },
  cast: { sig: ['input', 'dtype'], call: a => F.cast(T(a, 'input'), dtypeOf(a, 'dtype')!) },
  conv2d: {
    sig: ['input', 'weight', 'bias', 'stride', 'pad_mode', 'padding', 'dilation', 'groups'],
    call: a => {
      const mode = str(a, 'pad_mode') ?? 'valid';
      if (mode === 'same') throw new BridgeError("msport's ops.conv2d takes pad_mode 'valid' or 'pad'");
      const p = ints(a, 'padding') ?? 0;
      const pads: [number, number, number, number] = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0]!, p[0]!, p[1]!, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
      return F.conv2d(T(a, 'input'), T(a, 'weight'), tensorOrNull(a, 'bias') ?? null, { stride: pair(ints(a, 'stride'), 1), padding: pads, dilation: pair(ints(a, 'dilation'), 1), group: num(a, 'groups') ?? 1 });
    },
  },
  max_pool2d: {
    sig: ['x', 'kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'],
    call: a => {
      only('max_pool2d', a, 'return_indices', false);
      const k = pair(ints(a, 'kernel_size'), 1), s = a.stride === undefined || a.stride === null ? k : pair(ints(a, 'stride'), 1), p = pair(ints(a, 'padding'), 0);
      return F.maxPool2d(T(a, 'x'), { kernel: k, stride: s, padding: [p[0], p[0], p[1], p[1]], dilation: pair(ints(a, 'dilation'), 1), ceilMode: bool(a, 'ceil_mode') ?? false });
    },
  },
  avg_pool2d: {
    sig: ['input_x', 'kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'],
    call: a => {
      only('avg_pool2d', a, 'divisor_override', 0);
      const p = pair(ints(a, 'padding'), 0);
      return F.avgPool2d(T(a, 'input_x'), { kernel: pair(ints(a, 'kernel_size'), 1), stride: pair(ints(a, 'stride'), 1), padding: [p[0], p[0], p[1], p[1]], dilation: [1, 1], ceilMode: bool(a, 'ceil_mode') ?? false, countIncludePad: bool(a, 'count_include_pad') ?? true });
    },
  },
  adaptive_avg_pool2d: { sig: ['input', 'output_size'], call: a => F.adaptiveAvgPool2d(T(a, 'input'), pair(ints(a, 'output_size'), 1)) },
  adaptive_max_pool2d: { sig: ['input', 'output_size', 'return_indices'], call: a => { only('adaptive_max_pool2d', a, 'return_indices', false); return F.adaptiveMaxPool2d(T(a, 'input'), pair(ints(a, 'output_size'), 1)); } },
  layer_norm: { sig: ['input', 'normalized_shape', 'weight', 'bias', 'eps'], call: a => F.layerNorm(T(a, 'input'), [ints(a, 'normalized_shape')!].flat(), tensorOrNull(a, 'weight'), tensorOrNull(a, 'bias'), num(a, 'eps')) },
  group_norm: { sig: ['input', 'num_groups', 'weight', 'bias', 'eps'], call: a => F.groupNorm(T(a, 'input'), num(a, 'num_groups')!, tensorOrNull(a, 'weight'), tensorOrNull(a, 'bias'), num(a, 'eps')) },
  batch_norm: {
    sig: ['input_x', 'running_mean', 'running_var', 'weight', 'bias', 'training', 'momentum', 'eps'],
    call: a => F.batchNorm(T(a, 'input_x'), T(a, 'running_mean'), T(a, 'running_var'), T(a, 'weight'), T(a, 'bias'), bool(a, 'training'), num(a, 'momentum'), num(a, 'eps')),
  },
  mse_loss: { sig: ['input', 'target', 'reduction'], call: a => F.mseLoss(T(a, 'input'), T(a, 'target'), (str(a, 'reduction') ?? 'mean') as 'mean') },
  binary_cross_entropy_with_logits: {
    sig: ['input', 'target', 'weight', 'pos_weight', 'reduction'],
    call: a => F.binaryCrossEntropyWithLogits(T(a, 'input'), T(a, 'target'), tensorOrNull(a, 'weight'), tensorOrNull(a, 'pos_weight'), (str(a, 'reduction') ?? 'mean') as 'mean'),
  },
  cross_entropy: {
    sig: ['input', 'target', 'weight', 'ignore_index', 'reduction', 'label_smoothing'],
    call: a => F.crossEntropy(T(a, 'input'), T(a, 'target'), { weight: tensorOrNull(a, 'weight'), ignoreIndex: num(a, 'ignore_index'), reduction: str(a, 'reduction') as 'mean' | undefined, labelSmoothing: num(a, 'label_smoothing') }),
  },
  nll_loss: {
    sig: ['inputs', 'target', 'weight', 'ignore_index', 'reduction', 'label_smoothing'],
    call: a => F.nllLoss(T(a, 'inputs'), T(a, 'target'), { weight: tensorOrNull(a, 'weight'), ignoreIndex: num(a, 'ignore_index'), reduction: str(a, 'reduction') as 'mean' | undefined, labelSmoothing: num(a, 'label_smoothing') }),
  },
  one_hot: { sig: ['indices', 'depth', 'on_value', 'off_value', 'axis'], call: a => F.oneHot(T(a, 'indices'), num(a, 'depth')!, num(a, 'on_value'), num(a, 'off_value'), num(a, 'axis')) },
  einsum: { sig: ['equation', 'operands'], call: a => F.einsum(str(a, 'equation')!, ...tensors(a, 'operands')) },
  stop_gradient: { sig: ['value'], call: a => stopGradient(T(a, 'value')) },
  select: { sig: ['condition', 'input', 'other'], call: a => F.select(T(a, 'condition'), TN(a, 'input'), TN(a, 'other')) },
  broadcast_to: { sig: ['input', 'shape'], call: a => F.expand(T(a, 'input'), ints(a, 'shape') as number[]) },
  unsorted_segment_sum: { sig: ['input_x', 'segment_ids', 'num_segments'], call: a => F.unsortedSegmentSum(T(a, 'input_x'), T(a, 'segment_ids'), num(a, 'num_segments')!) },
  tensor_scatter_update: { sig: ['input_x', 'indices', 'updates'], call: a => F.tensorScatterUpdate(T(a, 'input_x'), T(a, 'indices'), T(a, 'updates')) },
  strided_slice: {
    sig: ['input_x', 'begin', 'end', 'strides', 'begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'],
    call: a => {
      for (const k of ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask']) only('strided_slice', a, k, 0);
      return F.stridedSlice(T(a, 'input_x'), ints(a, 'begin') as number[], ints(a, 'end') as number[], ints(a, 'strides') as number[]);
    },
  },
  conv3d: {
    sig: ['input', 'weight', 'bias', 'stride', 'pad_mode', 'padding', 'dilation', 'groups'],
    call: a => {
      const mode = str(a, 'pad_mode') ?? 'valid';
      if (mode === 'same') throw new BridgeError("msport's ops.conv3d takes pad_mode 'valid' or 'pad'");
      const p = ints(a, 'padding') ?? 0;
      const pads = (typeof p === 'number' ? [p, p, p, p, p, p] : p.length === 3 ? [p[0]!, p[0]!, p[1]!, p[1]!, p[2]!, p[2]!] : p) as [number, number, number, number, number, number];
      const t3 = (v: number | number[] | undefined): [number, number, number] => (v === undefined ? [1, 1, 1] : typeof v === 'number' ? [v, v, v] : [v[0]!, v[1]!, v[2]!]);
      return F.conv3d(T(a, 'input'), T(a, 'weight'), tensorOrNull(a, 'bias') ?? null, { stride: t3(ints(a, 'stride')), padding: pads, dilation: t3(ints(a, 'dilation')), group: num(a, 'groups') ?? 1 });
    },
  },
  conv_transpose2d: {
    sig: ['input', 'weight', 'bias', 'stride', 'padding', 'output_padding', 'groups', 'dilation'],
    call: a => {
      const p = pair(ints(a, 'padding'), 0);
      return F.conv2dTranspose(T(a, 'input'), T(a, 'weight'), tensorOrNull(a, 'bias') ?? null, {
        stride: pair(ints(a, 'stride'), 1), padding: [p[0], p[0], p[1], p[1]], dilation: pair(ints(a, 'dilation'), 1),
        group: num(a, 'groups') ?? 1, outputPadding: pair(ints(a, 'output_padding'), 0),
      });
    },
  },
  interpolate: {
    sig: ['input', 'size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'],
    call: a => {
      only('interpolate', a, 'scale_factor', null); only('interpolate', a, 'recompute_scale_factor', null);
      const x = T(a, 'input'), size = [ints(a, 'size')!].flat(), mode = str(a, 'mode') ?? 'nearest';
      if (mode !== 'nearest' && mode !== 'bilinear') throw new BridgeError(`msport's ops.interpolate takes mode nearest or bilinear, got ${mode}`);
      const sizes = [...x.shape.slice(0, x.ndim - size.length), ...size];
      const scales = sizes.map((s, i) => s / x.shape[i]!);
      const align = a.align_corners === true;
      return F.resize(x, mode === 'nearest'
        ? { mode: 'nearest', coord: 'asymmetric', nearest: 'floor', sizes, scales }
        : { mode: 'linear', coord: align ? 'align_corners' : 'half_pixel', nearest: 'floor', sizes, scales });
    },
  },
};

/** Call `ops.<name>` with Python-style arguments; `*operands` of einsum arrive as the tail of `args`. */
export function callOp(name: string, args: Value[], kwargs: Args, bindArgs: (where: string, sig: readonly string[], args: Value[], kw: Args) => Args): Tensor | Tensor[] {
  const e = OPS[name];
  if (!e) throw new BridgeError(`msport has no ops.${name}`);
  if (name === 'einsum') return e.call({ equation: args[0]!, operands: args.slice(1) });
  return e.call(bindArgs(name, e.sig, args, kwargs));
}

export function opSignatures(): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const [k, e] of Object.entries(OPS)) out[`ops.${k}`] = e.sig;
  return out;
}
