/**
 * How a Cell of the imported tree is written as a call: the MindSpore call a user would type and the PyTorch call it
 * came from, both read off the Cell that was checked (one table entry per Cell class). `argValue` exposes the Cell's
 * value for each argument a mapping rule lists as a default difference.
 */
import type { Cell } from '../runtime/cell.js';
import * as nn from '../runtime/nn/index.js';
import { pyFloat } from '../runtime/nn/norm.js';

export interface CellCall {
  ms: string;
  torch: string;
  /** argument → the value this layer needs (rule default-difference args only) */
  values: Record<string, unknown>;
}

const py = (v: unknown): string => {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return v.length > 1 && v.every(x => x === v[0]) ? py(v[0]) : `(${v.map(py).join(', ')})`;
  return String(v);
};
const same = (a: readonly number[]): boolean => a.every(x => x === a[0]);
/** An argument exactly as the Cell was given it (a tuple stays a tuple, even of equal entries): MindSpore prints it so. */
const asGiven = (v: number | readonly number[]): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')}${v.length === 1 ? ',' : ''})`);
/** A value printed verbatim (already Python source). */
const raw = (v: string) => ({ toString: () => v });
const tup = (a: readonly number[]): number | number[] => (same(a) ? a[0]! : [...a]);
const args = (positional: unknown[], named: [string, unknown, unknown?][]): string =>
  [...positional.map(py), ...named.filter(([, v, dflt]) => dflt === undefined || py(v) !== py(dflt)).map(([k, v]) => `${k}=${py(v)}`)].join(', ');

type Formatter = (c: Cell) => CellCall;

const conv2d: Formatter = c => {
  const x = c as nn.Conv2d;
  const [t, b, l, r] = x.padding;
  const torchPad = t === b && l === r ? tup([t, l]) : `(${t}, ${l}) after F.pad (asymmetric)`;
  return {
    ms: `nn.Conv2d(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], [['stride', tup(x.stride), 1], ['pad_mode', x.padMode], ['padding', raw(asGiven(x.paddingArg)), raw('0')], ['dilation', tup(x.dilation), 1], ['group', x.group, 1], ['has_bias', x.hasBias]])})`,
    torch: `nn.Conv2d(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], [['stride', tup(x.stride), 1], ['padding', x.padMode === 'pad' ? torchPad : x.padMode, 0], ['dilation', tup(x.dilation), 1], ['groups', x.group, 1], ['bias', x.hasBias, true]])})`,
    values: { pad_mode: x.padMode, has_bias: x.hasBias, padding: x.padding },
  };
};

const conv1d: Formatter = c => {
  const x = c as nn.Conv1d;
  return {
    ms: `nn.Conv1d(${args([x.inChannels, x.outChannels, x.kernelSize], [['stride', x.stride, 1], ['pad_mode', x.padMode], ['padding', tup(x.padding), 0], ['dilation', x.dilation, 1], ['group', x.group, 1], ['has_bias', x.hasBias]])})`,
    torch: `nn.Conv1d(${args([x.inChannels, x.outChannels, x.kernelSize], [['stride', x.stride, 1], ['padding', tup(x.padding), 0], ['dilation', x.dilation, 1], ['groups', x.group, 1], ['bias', x.hasBias, true]])})`,
    values: { pad_mode: x.padMode, has_bias: x.hasBias, padding: x.padding },
  };
};

const dense: Formatter = c => {
  const x = c as nn.Dense;
  return {
    ms: `nn.Dense(${args([x.inChannels, x.outChannels], [['has_bias', x.hasBias, true]])})`,
    torch: `nn.Linear(${args([x.inChannels, x.outChannels], [['bias', x.hasBias, true]])})`,
    values: {},
  };
};

const batchNorm = (dims: string): Formatter => c => {
  const x = c as nn.BatchNorm2d;
  return {
    ms: `nn.BatchNorm${dims}(${args([x.numFeatures], [['eps', x.eps, 1e-5], ['momentum', x.momentum, 0.9]])})`,
    torch: `nn.BatchNorm${dims}(${args([x.numFeatures], [['eps', x.eps, 1e-5], ['momentum', +(1 - x.momentum).toFixed(6), 0.1]])})`,
    values: { momentum: x.momentum },
  };
};

const pool = (name: 'MaxPool2d' | 'AvgPool2d'): Formatter => c => {
  const x = c as nn.MaxPool2d;
  const cip = name === 'AvgPool2d' ? [['count_include_pad', (c as nn.AvgPool2d).countIncludePad, true]] as [string, unknown, unknown][] : [];
  return {
    ms: `nn.${name}(${args([], [['kernel_size', raw(asGiven(x.kernelSizeArg))], ['stride', raw(asGiven(x.strideArg))], ['pad_mode', x.padMode], ['padding', tup(x.padding), 0], ['ceil_mode', x.ceilMode, false], ...cip])})`,
    torch: `nn.${name}(${args([tup(x.kernelSize)], [['stride', tup(x.stride), tup(x.kernelSize)], ['padding', tup(x.padding), 0], ['ceil_mode', x.ceilMode, false], ...cip])})`,
    values: { stride: tup(x.stride), pad_mode: x.padMode },
  };
};

const plain = (ms: string, torch: string): Formatter => () => ({ ms: `nn.${ms}()`, torch: `nn.${torch}()`, values: {} });

const conv3d: Formatter = c => {
  const x = c as nn.Conv3d;
  return {
    ms: `nn.Conv3d(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], [['stride', tup(x.stride), 1], ['pad_mode', x.padMode], ['padding', raw(asGiven(x.padding)), raw('0')], ['dilation', tup(x.dilation), 1], ['group', x.group, 1], ['has_bias', x.hasBias]])})`,
    torch: `nn.Conv3d(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], [['stride', tup(x.stride), 1], ['dilation', tup(x.dilation), 1], ['groups', x.group, 1], ['bias', x.hasBias, true]])})`,
    values: { pad_mode: x.padMode, has_bias: x.hasBias },
  };
};

const conv2dTranspose: Formatter = c => {
  const x = c as nn.Conv2dTranspose;
  // the importer folds PyTorch's output_padding into the bottom/right padding (t, b − op, l, r − op) where it can:
  // PyTorch's call has padding (t, l) and output_padding (t − b, l − r) then, else the Cell's own output_padding
  const [t, b, l, r] = typeof x.padding === 'number' ? [x.padding, x.padding, x.padding, x.padding] : x.padding;
  const outPad = x.outputPadding.some(v => v !== 0) ? [...x.outputPadding] : [t - b, l - r];
  const torchNamed: [string, unknown, unknown?][] = [['stride', tup(x.stride), 1], ['padding', tup([t, l]), 0], ['output_padding', tup(outPad), 0],
    ['dilation', tup(x.dilation), 1], ['groups', x.group, 1], ['bias', x.hasBias, true]];
  return {
    ms: `nn.Conv2dTranspose(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], [['stride', tup(x.stride), 1], ['pad_mode', x.padMode], ['padding', raw(asGiven(x.padding)), raw('0')], ['output_padding', tup(x.outputPadding), 0], ['dilation', tup(x.dilation), 1], ['group', x.group, 1], ['has_bias', x.hasBias]])})`,
    torch: `nn.ConvTranspose2d(${args([x.inChannels, x.outChannels, tup(x.kernelSize)], torchNamed)})`,
    values: { pad_mode: x.padMode, has_bias: x.hasBias },
  };
};

const rnn = (name: 'LSTM' | 'GRU'): Formatter => c => {
  const x = c as nn.LSTM;
  const named: [string, unknown, unknown?][] = [['num_layers', x.numLayers, 1], ['has_bias', x.hasBias, true], ['batch_first', x.batchFirst, false],
    ['dropout', raw(pyFloat(x.dropout)), raw('0.0')], ['bidirectional', x.bidirectional, false]];
  return {
    ms: `nn.${name}(${args([x.inputSize, x.hiddenSize], named)})`,
    torch: `nn.${name}(${args([x.inputSize, x.hiddenSize], [['num_layers', x.numLayers, 1], ['bias', x.hasBias, true], ['batch_first', x.batchFirst, false], ['dropout', raw(pyFloat(x.dropout)), raw('0.0')], ['bidirectional', x.bidirectional, false]])})`,
    values: { has_bias: x.hasBias },
  };
};

const formatters: Record<string, Formatter> = {
  Conv2d: conv2d,
  Conv1d: conv1d,
  Dense: dense,
  BatchNorm2d: batchNorm('2d'),
  BatchNorm1d: batchNorm('1d'),
  MaxPool2d: pool('MaxPool2d'),
  AvgPool2d: pool('AvgPool2d'),
  AdaptiveAvgPool2d: c => { const o = (c as nn.AdaptiveAvgPool2d).outputSize; return { ms: `nn.AdaptiveAvgPool2d(${py(tup(o))})`, torch: `nn.AdaptiveAvgPool2d(${py(tup(o))})`, values: {} }; },
  AdaptiveMaxPool2d: c => { const o = (c as nn.AdaptiveMaxPool2d).outputSize; return { ms: `nn.AdaptiveMaxPool2d(${py(tup(o))})`, torch: `nn.AdaptiveMaxPool2d(${py(tup(o))})`, values: {} }; },
  GELU: c => { const a = (c as nn.GELU).approximate; return { ms: `nn.GELU(approximate=${py(a)})`, torch: `nn.GELU(${a ? "approximate='tanh'" : ''})`, values: { approximate: a } }; },
  Softmax: c => { const a = (c as nn.Softmax).axis; return { ms: `nn.Softmax(axis=${a})`, torch: `nn.Softmax(dim=${a})`, values: { axis: a } }; },
  Dropout: c => { const p = (c as nn.Dropout).p; return { ms: `nn.Dropout(p=${p})`, torch: `nn.Dropout(p=${p})`, values: {} }; },
  Conv3d: conv3d,
  Conv2dTranspose: conv2dTranspose,
  LSTM: rnn('LSTM'),
  GRU: rnn('GRU'),
  LayerNorm: c => {
    const x = c as nn.LayerNorm;
    return {
      ms: `nn.LayerNorm(${args([raw(asGiven(x.normalizedShape))], [['begin_norm_axis', x.beginNormAxis, -1], ['begin_params_axis', x.beginParamsAxis, -1], ['epsilon', raw(pyFloat(x.epsilon)), raw('1e-07')]])})`,
      torch: `nn.LayerNorm(${args([raw(asGiven(x.normalizedShape))], [['eps', raw(pyFloat(x.epsilon)), raw('1e-05')]])})`,
      values: { epsilon: x.epsilon, begin_norm_axis: x.beginNormAxis, begin_params_axis: x.beginParamsAxis },
    };
  },
  GroupNorm: c => {
    const x = c as nn.GroupNorm;
    return { ms: `nn.GroupNorm(${args([x.numGroups, x.numChannels], [['eps', raw(pyFloat(x.eps)), raw('1e-05')], ['affine', x.affine, true]])})`, torch: `nn.GroupNorm(${args([x.numGroups, x.numChannels], [['eps', raw(pyFloat(x.eps)), raw('1e-05')], ['affine', x.affine, true]])})`, values: {} };
  },
  InstanceNorm2d: c => {
    const x = c as nn.InstanceNorm2d;
    return { ms: `nn.InstanceNorm2d(${args([x.numFeatures], [['eps', raw(pyFloat(x.eps)), raw('1e-05')], ['momentum', raw(pyFloat(x.momentum)), raw('0.1')], ['affine', x.affine, true]])})`, torch: `nn.InstanceNorm2d(${args([x.numFeatures], [['eps', raw(pyFloat(x.eps)), raw('1e-05')], ['affine', x.affine, false]])})`, values: { affine: x.affine } };
  },
  Embedding: c => {
    const x = c as nn.Embedding;
    return { ms: `nn.Embedding(${args([x.vocabSize, x.embeddingSize], [['use_one_hot', x.useOneHot, false], ['padding_idx', x.paddingIdx ?? raw('None'), raw('None')]])})`, torch: `nn.Embedding(${args([x.vocabSize, x.embeddingSize], [['padding_idx', x.paddingIdx ?? raw('None'), raw('None')]])})`, values: {} };
  },
  PReLU: c => { const x = c as nn.PReLU; return { ms: `nn.PReLU(${args([], [['channel', x.w.size, 1]])})`, torch: `nn.PReLU(${args([], [['num_parameters', x.w.size, 1]])})`, values: {} }; },
  LeakyReLU: c => { const a = (c as nn.LeakyReLU).alpha; return { ms: `nn.LeakyReLU(alpha=${pyFloat(a)})`, torch: `nn.LeakyReLU(negative_slope=${pyFloat(a)})`, values: { alpha: a } }; },
  ELU: c => { const a = (c as nn.ELU).alpha; return { ms: `nn.ELU(${a === 1 ? '' : `alpha=${pyFloat(a)}`})`, torch: `nn.ELU(${a === 1 ? '' : `alpha=${pyFloat(a)}`})`, values: {} }; },
  LogSoftmax: c => { const a = (c as nn.LogSoftmax).axis; return { ms: `nn.LogSoftmax(axis=${a})`, torch: `nn.LogSoftmax(dim=${a})`, values: { axis: a } }; },
  SiLU: plain('SiLU', 'SiLU'), Mish: plain('Mish', 'Mish'),
  ReLU: plain('ReLU', 'ReLU'), ReLU6: plain('ReLU6', 'ReLU6'), Sigmoid: plain('Sigmoid', 'Sigmoid'), Tanh: plain('Tanh', 'Tanh'),
  HSwish: plain('HSwish', 'Hardswish'), HSigmoid: plain('HSigmoid', 'Hardsigmoid'), Flatten: plain('Flatten', 'Flatten'), Identity: plain('Identity', 'Identity'),
};

/** The call for a Cell; a class without a formatter says so instead of printing something that would not run. */
export function callOf(cell: Cell): CellCall {
  const f = formatters[cell.clsName];
  return f ? f(cell) : { ms: `nn.${cell.clsName}(…)  # msport cannot write this call yet`, torch: '?', values: {} };
}
