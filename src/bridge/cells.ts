/**
 * Build a runtime Cell from a MindSpore constructor call given as data (class name, positional and keyword arguments
 * under MindSpore 2.10's parameter names): the conformance suite runs the same call in MindSpore. Each entry lists
 * the signature it binds; conformance/test_signatures.py checks every list against MindSpore's own.
 */
import { Cell } from '../runtime/cell.js';
import * as nn from '../runtime/nn/index.js';
import * as init from '../runtime/initializer.js';
import type { InitName, Initializer } from '../runtime/initializer.js';
import type { InitSpec } from '../runtime/nn/norm.js';
import type { Reduction } from '../runtime/functional-layers.js';
import { BridgeError, bind, bool, dtypeOf, ints, num, str, tensorOrNull, Value, CellSpec, InitValue, decode, Json } from './values.js';
import type { Tensor } from '../runtime/tensor.js';

type Args = Record<string, Value>;
interface Factory { sig: readonly string[]; build: (a: Args, sub: (v: Value) => Cell) => Cell }

const CONV = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'pad_mode', 'padding', 'dilation', 'group', 'has_bias', 'weight_init', 'bias_init'];
const BN = ['num_features', 'eps', 'momentum', 'affine', 'gamma_init', 'beta_init', 'moving_mean_init', 'moving_var_init', 'use_batch_statistics', 'data_format', 'dtype'];

/** MindSpore initializer classes by name, with their constructor signatures. */
const INITS: Record<string, { sig: readonly string[]; make: (a: Args) => Initializer }> = {
  Normal: { sig: ['sigma', 'mean'], make: a => new init.Normal(num(a, 'sigma'), num(a, 'mean')) },
  Uniform: { sig: ['scale'], make: a => new init.Uniform(num(a, 'scale')) },
  TruncatedNormal: { sig: ['sigma', 'mean', 'a', 'b'], make: a => new init.TruncatedNormal(num(a, 'sigma'), num(a, 'mean'), num(a, 'a'), num(a, 'b')) },
  HeUniform: { sig: ['negative_slope', 'mode', 'nonlinearity'], make: a => new init.HeUniform(num(a, 'negative_slope'), str(a, 'mode') as init.FanMode | undefined, str(a, 'nonlinearity') as init.Nonlinearity | undefined) },
  HeNormal: { sig: ['negative_slope', 'mode', 'nonlinearity'], make: a => new init.HeNormal(num(a, 'negative_slope'), str(a, 'mode') as init.FanMode | undefined, str(a, 'nonlinearity') as init.Nonlinearity | undefined) },
  XavierUniform: { sig: ['gain'], make: a => new init.XavierUniform(num(a, 'gain')) },
  XavierNormal: { sig: ['gain'], make: a => new init.XavierNormal(num(a, 'gain')) },
  Constant: { sig: ['value'], make: a => new init.Constant(num(a, 'value')!) },
  Zero: { sig: [], make: () => new init.Zero() },
  One: { sig: [], make: () => new init.One() },
  Identity: { sig: [], make: () => new init.Identity() },
};

export function makeInitializer(v: InitValue): Initializer {
  const f = INITS[v.init];
  if (!f) throw new BridgeError(`msport has no initializer ${v.init}`);
  return f.make(bind(v.init, f.sig, v.args, v.kwargs));
}

/** An `*_init` argument: a name, a number (Constant), an initializer object, or absent/None. */
function initArg(a: Args, k: string): InitSpec | Initializer | null | undefined {
  const v = a[k];
  if (v === undefined || v === null) return v as undefined | null;
  if (typeof v === 'string') return v as InitName;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && 'init' in v) return makeInitializer(v);
  throw new BridgeError(`argument '${k}' must be an initializer name, number or Initializer`);
}
const initOrUndef = (a: Args, k: string): InitSpec | undefined => (initArg(a, k) ?? undefined) as InitSpec | undefined;

/** Arguments msport's Cells take only at MindSpore's default: any other value is reported, not ignored. */
function onlyDefault(cls: string, a: Args, k: string, def: unknown): void {
  const v = a[k];
  if (v === undefined) return;
  const same = v && typeof v === 'object' && 'dtype' in v ? v.dtype === def : v === def;
  if (!same) throw new BridgeError(`msport's ${cls} supports ${k}=${JSON.stringify(def)} only`);
}

const convOpts = (a: Args) => ({
  stride: ints(a, 'stride'), padMode: str(a, 'pad_mode') as nn.PadMode | undefined, padding: ints(a, 'padding'),
  dilation: ints(a, 'dilation'), group: num(a, 'group'), hasBias: bool(a, 'has_bias'),
  weightInit: initArg(a, 'weight_init') as InitName | Initializer | null | undefined, biasInit: initArg(a, 'bias_init') as InitName | Initializer | null | undefined,
});
const bnOpts = (cls: string, a: Args): nn.BatchNormOptions => {
  onlyDefault(cls, a, 'data_format', 'NCHW'); onlyDefault(cls, a, 'dtype', 'float32');
  const ubs = a.use_batch_statistics;
  return {
    eps: num(a, 'eps'), momentum: num(a, 'momentum'), affine: bool(a, 'affine'),
    gammaInit: initOrUndef(a, 'gamma_init'), betaInit: initOrUndef(a, 'beta_init'),
    movingMeanInit: initOrUndef(a, 'moving_mean_init'), movingVarInit: initOrUndef(a, 'moving_var_init'),
    useBatchStatistics: ubs === undefined ? undefined : (ubs as boolean | null),
  };
};
const pair = (v: number | number[] | undefined): number | [number, number] | undefined => (Array.isArray(v) ? [v[0]!, v[1]!] : v);
const reduction = (a: Args): Reduction | undefined => str(a, 'reduction') as Reduction | undefined;
const rnnOpts = (a: Args): nn.RNNOptions => ({
  numLayers: num(a, 'num_layers'), hasBias: bool(a, 'has_bias'), batchFirst: bool(a, 'batch_first'),
  dropout: num(a, 'dropout'), bidirectional: bool(a, 'bidirectional'),
});
const RNN = ['input_size', 'hidden_size', 'num_layers', 'has_bias', 'batch_first', 'dropout', 'bidirectional', 'dtype'];
const noArgs = (make: () => Cell): Factory => ({ sig: [], build: () => make() });

export const CELLS: Record<string, Factory> = {
  Conv1d: {
    sig: [...CONV, 'dtype'],
    build: a => { onlyDefault('Conv1d', a, 'dtype', 'float32'); const o = convOpts(a); return new nn.Conv1d(num(a, 'in_channels')!, num(a, 'out_channels')!, num(a, 'kernel_size')!, { ...o, stride: o.stride as number | undefined, dilation: o.dilation as number | undefined, padding: o.padding as number | [number, number] | undefined }); },
  },
  Conv2d: {
    sig: [...CONV, 'data_format', 'dtype'],
    build: a => { onlyDefault('Conv2d', a, 'data_format', 'NCHW'); onlyDefault('Conv2d', a, 'dtype', 'float32'); return new nn.Conv2d(num(a, 'in_channels')!, num(a, 'out_channels')!, pair(ints(a, 'kernel_size'))!, convOpts(a)); },
  },
  Conv3d: {
    sig: [...CONV, 'data_format', 'dtype'],
    build: a => { onlyDefault('Conv3d', a, 'data_format', 'NCDHW'); onlyDefault('Conv3d', a, 'dtype', 'float32'); return new nn.Conv3d(num(a, 'in_channels')!, num(a, 'out_channels')!, ints(a, 'kernel_size')!, convOpts(a)); },
  },
  Conv2dTranspose: {
    sig: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'pad_mode', 'padding', 'output_padding', 'dilation', 'group', 'has_bias', 'weight_init', 'bias_init', 'dtype'],
    build: a => { onlyDefault('Conv2dTranspose', a, 'dtype', 'float32'); return new nn.Conv2dTranspose(num(a, 'in_channels')!, num(a, 'out_channels')!, pair(ints(a, 'kernel_size'))!, { ...convOpts(a), outputPadding: pair(ints(a, 'output_padding')) }); },
  },
  Dense: {
    sig: ['in_channels', 'out_channels', 'weight_init', 'bias_init', 'has_bias', 'activation', 'dtype'],
    build: a => {
      onlyDefault('Dense', a, 'activation', null); onlyDefault('Dense', a, 'dtype', 'float32');
      return new nn.Dense(num(a, 'in_channels')!, num(a, 'out_channels')!, { weightInit: initArg(a, 'weight_init') as InitName | null | undefined, biasInit: initArg(a, 'bias_init') as InitName | null | undefined, hasBias: bool(a, 'has_bias') });
    },
  },
  BatchNorm1d: { sig: BN, build: a => new nn.BatchNorm1d(num(a, 'num_features')!, bnOpts('BatchNorm1d', a)) },
  BatchNorm2d: { sig: BN, build: a => new nn.BatchNorm2d(num(a, 'num_features')!, bnOpts('BatchNorm2d', a)) },
  LayerNorm: {
    sig: ['normalized_shape', 'begin_norm_axis', 'begin_params_axis', 'gamma_init', 'beta_init', 'epsilon', 'dtype'],
    build: a => {
      onlyDefault('LayerNorm', a, 'dtype', 'float32');
      const shape = ints(a, 'normalized_shape');
      return new nn.LayerNorm(typeof shape === 'number' ? (shape as unknown as number[]) : shape!, {
        beginNormAxis: num(a, 'begin_norm_axis'), beginParamsAxis: num(a, 'begin_params_axis'),
        gammaInit: initOrUndef(a, 'gamma_init'), betaInit: initOrUndef(a, 'beta_init'), epsilon: num(a, 'epsilon'),
      });
    },
  },
  GroupNorm: {
    sig: ['num_groups', 'num_channels', 'eps', 'affine', 'gamma_init', 'beta_init', 'dtype'],
    build: a => { onlyDefault('GroupNorm', a, 'dtype', 'float32'); return new nn.GroupNorm(num(a, 'num_groups')!, num(a, 'num_channels')!, { eps: num(a, 'eps'), affine: bool(a, 'affine'), gammaInit: initOrUndef(a, 'gamma_init'), betaInit: initOrUndef(a, 'beta_init') }); },
  },
  InstanceNorm2d: {
    sig: ['num_features', 'eps', 'momentum', 'affine', 'gamma_init', 'beta_init', 'dtype'],
    build: a => { onlyDefault('InstanceNorm2d', a, 'dtype', 'float32'); return new nn.InstanceNorm2d(num(a, 'num_features')!, { eps: num(a, 'eps'), momentum: num(a, 'momentum'), affine: bool(a, 'affine'), gammaInit: initOrUndef(a, 'gamma_init'), betaInit: initOrUndef(a, 'beta_init') }); },
  },
  Embedding: {
    sig: ['vocab_size', 'embedding_size', 'use_one_hot', 'embedding_table', 'dtype', 'padding_idx'],
    build: a => new nn.Embedding(num(a, 'vocab_size')!, num(a, 'embedding_size')!, {
      useOneHot: bool(a, 'use_one_hot'), embeddingTable: initOrUndef(a, 'embedding_table'), dtype: dtypeOf(a, 'dtype'),
      paddingIdx: a.padding_idx === null ? null : num(a, 'padding_idx'),
    }),
  },
  LSTM: { sig: RNN, build: a => { onlyDefault('LSTM', a, 'dtype', 'float32'); return new nn.LSTM(num(a, 'input_size')!, num(a, 'hidden_size')!, rnnOpts(a)); } },
  GRU: { sig: RNN, build: a => { onlyDefault('GRU', a, 'dtype', 'float32'); return new nn.GRU(num(a, 'input_size')!, num(a, 'hidden_size')!, rnnOpts(a)); } },
  MSELoss: { sig: ['reduction'], build: a => new nn.MSELoss(reduction(a)) },
  BCEWithLogitsLoss: { sig: ['reduction', 'weight', 'pos_weight'], build: a => new nn.BCEWithLogitsLoss(reduction(a), tensorOrNull(a, 'weight') ?? null, tensorOrNull(a, 'pos_weight') ?? null) },
  SoftmaxCrossEntropyWithLogits: { sig: ['sparse', 'reduction'], build: a => new nn.SoftmaxCrossEntropyWithLogits(bool(a, 'sparse'), reduction(a)) },
  CrossEntropyLoss: {
    sig: ['weight', 'ignore_index', 'reduction', 'label_smoothing'],
    build: a => new nn.CrossEntropyLoss({ weight: tensorOrNull(a, 'weight'), ignoreIndex: num(a, 'ignore_index'), reduction: reduction(a), labelSmoothing: num(a, 'label_smoothing') }),
  },
  ReLU: noArgs(() => new nn.ReLU()),
  ReLU6: noArgs(() => new nn.ReLU6()),
  Sigmoid: noArgs(() => new nn.Sigmoid()),
  Tanh: noArgs(() => new nn.Tanh()),
  HSigmoid: noArgs(() => new nn.HSigmoid()),
  HSwish: noArgs(() => new nn.HSwish()),
  SiLU: noArgs(() => new nn.SiLU()),
  Mish: noArgs(() => new nn.Mish()),
  LeakyReLU: { sig: ['alpha'], build: a => new nn.LeakyReLU(num(a, 'alpha')) },
  ELU: { sig: ['alpha'], build: a => new nn.ELU(num(a, 'alpha')) },
  GELU: { sig: ['approximate'], build: a => new nn.GELU(bool(a, 'approximate')) },
  Softmax: { sig: ['axis'], build: a => new nn.Softmax(num(a, 'axis')) },
  LogSoftmax: { sig: ['axis'], build: a => new nn.LogSoftmax(num(a, 'axis')) },
  PReLU: { sig: ['channel', 'w'], build: a => new nn.PReLU(num(a, 'channel'), num(a, 'w')) },
  MaxPool2d: {
    sig: ['kernel_size', 'stride', 'pad_mode', 'padding', 'dilation', 'return_indices', 'ceil_mode', 'data_format'],
    build: a => {
      onlyDefault('MaxPool2d', a, 'return_indices', false); onlyDefault('MaxPool2d', a, 'data_format', 'NCHW');
      return new nn.MaxPool2d(pair(ints(a, 'kernel_size')), pair(ints(a, 'stride')), { padMode: str(a, 'pad_mode') as 'same' | undefined, padding: pair(ints(a, 'padding')), dilation: pair(ints(a, 'dilation')), ceilMode: bool(a, 'ceil_mode') });
    },
  },
  AvgPool2d: {
    sig: ['kernel_size', 'stride', 'pad_mode', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override', 'data_format'],
    build: a => {
      onlyDefault('AvgPool2d', a, 'divisor_override', null); onlyDefault('AvgPool2d', a, 'data_format', 'NCHW');
      return new nn.AvgPool2d(pair(ints(a, 'kernel_size')), pair(ints(a, 'stride')), { padMode: str(a, 'pad_mode') as 'same' | undefined, padding: pair(ints(a, 'padding')), ceilMode: bool(a, 'ceil_mode'), countIncludePad: bool(a, 'count_include_pad') });
    },
  },
  AdaptiveAvgPool2d: { sig: ['output_size'], build: a => new nn.AdaptiveAvgPool2d(pair(ints(a, 'output_size'))!) },
  AdaptiveMaxPool2d: { sig: ['output_size', 'return_indices'], build: a => { onlyDefault('AdaptiveMaxPool2d', a, 'return_indices', false); return new nn.AdaptiveMaxPool2d(pair(ints(a, 'output_size'))!); } },
  Flatten: { sig: ['start_dim', 'end_dim'], build: a => new nn.Flatten(num(a, 'start_dim'), num(a, 'end_dim')) },
  Identity: noArgs(() => new nn.Identity()),
  Dropout: {
    sig: ['keep_prob', 'p', 'dtype'],
    build: a => { onlyDefault('Dropout', a, 'dtype', 'float32'); return new nn.Dropout({ keepProb: num(a, 'keep_prob'), p: a.p === null ? undefined : num(a, 'p') }); },
  },
  // containers: SequentialCell(*cells) or SequentialCell([cells]); CellList([cells])
  SequentialCell: { sig: [], build: () => { throw new BridgeError('unreachable'); } },
  CellList: { sig: [], build: () => { throw new BridgeError('unreachable'); } },
};

/**
 * A custom Cell in the exchange format: {"cls": "Custom", "kwargs": {"children": {"name": CellSpec, ...}}} is a Cell
 * whose attributes are those children, assigned in order, and whose construct runs them in order (the Python side
 * defines the same class in conformance/msbridge/build.py).
 */
class Custom extends Cell {
  construct(...xs: Tensor[]) {
    let x: Tensor | Tensor[] = xs.length === 1 ? xs[0]! : xs;
    for (const c of this._cells.values()) x = Array.isArray(x) ? c.call(...x) : c.call(x);
    return x;
  }
}

/** Build the Cell a spec describes; tensors named by {"tensor": key} come from `tensor`. */
export function buildCell(spec: CellSpec, tensor: (key: string) => Tensor): Cell {
  const args = (spec.args ?? []).map(v => decode(v, tensor));
  const kwargs: Record<string, Value> = {};
  for (const [k, v] of Object.entries(spec.kwargs ?? {})) if (!(spec.cls === 'Custom' && k === 'children')) kwargs[k] = decode(v as Json, tensor);
  const sub = (v: Value): Cell => {
    if (v && typeof v === 'object' && 'cell' in v) return buildCell(v.cell, tensor);
    throw new BridgeError(`${spec.cls}: expected a Cell, got ${JSON.stringify(v)}`);
  };
  if (spec.cls === 'SequentialCell' || spec.cls === 'CellList') {
    const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Value[]) : args;
    const cells = list.map(sub);
    return spec.cls === 'SequentialCell' ? new nn.SequentialCell(cells) : new nn.CellList(cells);
  }
  if (spec.cls === 'Custom') {
    const c = new Custom() as Cell & Record<string, unknown>;
    for (const [k, v] of Object.entries((spec.kwargs?.children ?? {}) as Record<string, Json>)) c[k] = buildCell(v as unknown as CellSpec, tensor);
    return c;
  }
  const f = CELLS[spec.cls];
  if (!f) throw new BridgeError(`msport has no nn.${spec.cls}`);
  return f.build(bind(spec.cls, f.sig, args, kwargs), sub);
}

/** The signatures this bridge binds, for the conformance suite to compare with MindSpore's. */
export function signatures(): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const [k, f] of Object.entries(CELLS)) if (k !== 'SequentialCell' && k !== 'CellList') out[`nn.${k}`] = f.sig;
  for (const [k, f] of Object.entries(INITS)) out[`initializer.${k}`] = f.sig;
  return out;
}
