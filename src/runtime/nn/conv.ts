import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import { biasUniform, defaultWeightInit, fans, initTensor, InitName, Initializer } from '../initializer.js';
import * as ops from '../functional.js';
import { convOutSize } from '../ops/conv.js';
import { args, raw, asGiven, tup, type CellCall, type Named } from './pycall.js';

export type PadMode = 'same' | 'valid' | 'pad';
type IntOr<N extends number> = number | (N extends 2 ? [number, number] : number[]);

export interface ConvOptions {
  stride?: number | number[];
  padMode?: PadMode;
  /** int, or MindSpore's (top, bottom, left, right) for 2-D */
  padding?: number | number[];
  dilation?: number | number[];
  group?: number;
  hasBias?: boolean;
  weightInit?: InitName | Initializer | null;
  biasInit?: InitName | Initializer | null;
}

const pair = (v: number | number[], what: string): [number, number] => {
  const a = typeof v === 'number' ? [v, v] : v;
  if (a.length !== 2) throw new Error(`${what} must be an int or a 2-tuple, got [${a}]`);
  return [a[0]!, a[1]!];
};

/** MindSpore 'same' padding: output = ceil(in / stride); an odd total puts the extra row/column at the bottom/right. */
export function samePadding(inSize: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + dilation * (k - 1) + 1 - inSize);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

const fmtTuple = (a: readonly number[]): string => `(${a.join(', ')})`;

/**
 * How MindSpore 2.10's _Conv.extend_repr prints weight_init / bias_init: a name as given, an Initializer object as
 * Python's default object repr (the address differs per object; conformance compares it as `0x…`), None as None.
 * Left as None, weight_init becomes a HeUniform object and bias_init (with a bias) a Uniform object.
 */
let fakeAddress = 0x7f0000000000;
function initRepr(spec: unknown, fallback: string | null): string {
  if (typeof spec === 'string') return spec;
  if (typeof spec === 'number') return String(spec);
  const cls = spec && typeof spec === 'object' ? spec.constructor.name : fallback;
  if (!cls) return 'None';
  fakeAddress += 0x40;
  return `<mindspore.common.initializer.${cls} object at 0x${fakeAddress.toString(16)}>`;
}
const initSuffix = (w: unknown, b: unknown, hasBias: boolean, format: string): string =>
  `, weight_init=${initRepr(w, 'HeUniform')}, bias_init=${initRepr(b, hasBias ? 'Uniform' : null)}, format=${format}`;

/**
 * mindspore.nn.Conv2d with MindSpore's defaults: pad_mode='same', has_bias=False, weight HeUniform(√5), bias Uniform(±1/√fan_in).
 * @example new Conv2d(120, 240, 4, { hasBias: false })
 */
export class Conv2d extends Cell {
  override emitCall(): CellCall {
    const [t, b, l, r] = this.padding;
    const torchPad = t === b && l === r ? tup([t, l]) : `(${t}, ${l}) after F.pad (asymmetric)`;
    return {
      ms: `nn.Conv2d(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], [['stride', tup(this.stride), 1], ['pad_mode', this.padMode], ['padding', raw(asGiven(this.paddingArg)), raw('0')], ['dilation', tup(this.dilation), 1], ['group', this.group, 1], ['has_bias', this.hasBias]])})`,
      torch: `nn.Conv2d(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], [['stride', tup(this.stride), 1], ['padding', this.padMode === 'pad' ? torchPad : this.padMode, 0], ['dilation', tup(this.dilation), 1], ['groups', this.group, 1], ['bias', this.hasBias, true]])})`,
      values: { pad_mode: this.padMode, has_bias: this.hasBias, padding: this.padding },
    };
  }

  readonly inChannels: number; readonly outChannels: number;
  readonly kernelSize: [number, number]; readonly stride: [number, number];
  readonly padMode: PadMode; readonly padding: [number, number, number, number];
  readonly dilation: [number, number]; readonly group: number; readonly hasBias: boolean;
  /** padding as the caller gave it: MindSpore's repr prints it unchanged (an int or the 4-tuple) */
  readonly paddingArg: number | number[];
  weight: Parameter;
  bias: Parameter | null = null;
  /** weight_init / bias_init / format as MindSpore's repr prints them */
  private readonly inits: string;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOr<2>, opts: ConvOptions = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernel_size');
    this.stride = pair(opts.stride ?? 1, 'stride');
    this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    this.paddingArg = typeof p === 'number' ? p : [...p];
    this.padding = typeof p === 'number' ? [p, p, p, p] : (p.length === 4 ? [p[0]!, p[1]!, p[2]!, p[3]!] : badPadding(p));
    if (this.padMode !== 'pad' && this.padding.some(v => v !== 0)) throw new Error(`Conv2d: padding must be 0 when pad_mode is '${this.padMode}'`);
    this.dilation = pair(opts.dilation ?? 1, 'dilation');
    this.group = opts.group ?? 1;
    this.hasBias = opts.hasBias ?? false;
    if (inChannels % this.group || outChannels % this.group) throw new Error(`Conv2d: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by group ${this.group}`);
    const wShape = [outChannels, inChannels / this.group, ...this.kernelSize];
    this.inits = initSuffix(opts.weightInit, opts.biasInit, this.hasBias, 'NCHW');
    this.weight = new Parameter(initTensor(opts.weightInit ?? defaultWeightInit(), wShape), 'weight');
    const fanIn = (inChannels / this.group) * this.kernelSize[0] * this.kernelSize[1];
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform(fanIn), [outChannels]), 'bias');
  }

  /** Padding actually applied for an input of spatial size H×W, as (top, bottom, left, right). */
  effectivePadding(H: number, W: number): [number, number, number, number] {
    if (this.padMode === 'pad') return this.padding;
    if (this.padMode === 'valid') return [0, 0, 0, 0];
    const [t, b] = samePadding(H, this.kernelSize[0], this.stride[0], this.dilation[0]);
    const [l, r] = samePadding(W, this.kernelSize[1], this.stride[1], this.dilation[1]);
    return [t, b, l, r];
  }

  construct(x: Tensor): Tensor {
    const padding = this.effectivePadding(x.shape[2]!, x.shape[3]!);
    return ops.conv2d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, group: this.group });
  }

  override extendRepr(): string {
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}, kernel_size=${fmtTuple(this.kernelSize)}, ` +
      `stride=${fmtTuple(this.stride)}, pad_mode=${this.padMode}, padding=${fmtPadding(this.paddingArg)}, ` +
      `dilation=${fmtTuple(this.dilation)}, group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}${this.inits}`;
  }
}

function badPadding(p: number[]): never {
  throw new Error(`Conv2d: padding must be an int or a 4-tuple (top, bottom, left, right), got [${p}]`);
}

/**
 * mindspore.nn.Conv1d: computed as a Conv2d over a height-1 image, as MindSpore does, so the weight Parameter is
 * 4-D (C_out, C_in/group, 1, kernel_size) — a PyTorch Conv1d weight (C_out, C_in/group, k) gains that axis in a port.
 */
export class Conv1d extends Cell {
  override emitCall(): CellCall {
    return {
      ms: `nn.Conv1d(${args([this.inChannels, this.outChannels, this.kernelSize], [['stride', this.stride, 1], ['pad_mode', this.padMode], ['padding', tup(this.padding), 0], ['dilation', this.dilation, 1], ['group', this.group, 1], ['has_bias', this.hasBias]])})`,
      torch: `nn.Conv1d(${args([this.inChannels, this.outChannels, this.kernelSize], [['stride', this.stride, 1], ['padding', tup(this.padding), 0], ['dilation', this.dilation, 1], ['groups', this.group, 1], ['bias', this.hasBias, true]])})`,
      values: { pad_mode: this.padMode, has_bias: this.hasBias, padding: this.padding },
    };
  }

  readonly inChannels: number; readonly outChannels: number; readonly kernelSize: number; readonly stride: number;
  readonly padMode: PadMode; readonly padding: [number, number]; readonly dilation: number; readonly group: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;
  /** weight_init / bias_init / format as MindSpore's repr prints them */
  private readonly inits: string;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Omit<ConvOptions, 'stride' | 'dilation' | 'padding'> & { stride?: number; dilation?: number; padding?: number | [number, number] } = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels; this.kernelSize = kernelSize;
    this.stride = opts.stride ?? 1; this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    this.padding = typeof p === 'number' ? [p, p] : p;
    this.dilation = opts.dilation ?? 1; this.group = opts.group ?? 1; this.hasBias = opts.hasBias ?? false;
    // MindSpore builds Conv1d on the 2-D convolution and stores its kernel 4-D: [out, in/group, 1, kernel_size]
    this.inits = initSuffix(opts.weightInit, opts.biasInit, this.hasBias, 'NCHW');
    this.weight = new Parameter(initTensor(opts.weightInit ?? defaultWeightInit(), [outChannels, inChannels / this.group, 1, kernelSize]), 'weight');
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform((inChannels / this.group) * kernelSize), [outChannels]), 'bias');
  }

  construct(x: Tensor): Tensor {
    const L = x.shape[2]!;
    const [l, r] = this.padMode === 'pad' ? this.padding : this.padMode === 'valid' ? [0, 0] : samePadding(L, this.kernelSize, this.stride, this.dilation);
    const x4 = ops.reshape(x, [x.shape[0]!, x.shape[1]!, 1, L]);
    const y = ops.conv2d(x4, this.weight, this.bias, { stride: [1, this.stride], padding: [0, 0, l, r], dilation: [1, this.dilation], group: this.group });
    return ops.reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]);
  }

  override extendRepr(): string {
    // MindSpore's Conv1d is a Conv2d over height 1 and prints that geometry: (1, k), (1, s), (0, 0, left, right), (1, d)
    const pad = this.padMode === 'pad' ? this.padding : [0, 0];
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}, kernel_size=(1, ${this.kernelSize}), stride=(1, ${this.stride}), ` +
      `pad_mode=${this.padMode}, padding=(0, 0, ${pad[0]}, ${pad[1]}), dilation=(1, ${this.dilation}), group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}${this.inits}`;
  }
}

export { convOutSize };

type V3 = [number, number, number];
type IntOr3 = number | number[];

const triple = (v: IntOr3, what: string, cls: string): V3 => {
  const a = typeof v === 'number' ? [v, v, v] : v;
  if (a.length !== 3 || a.some(d => !Number.isInteger(d))) throw new Error(`${cls}: ${what} must be an int or a 3-tuple of ints, got [${a}]`);
  return [a[0]!, a[1]!, a[2]!];
};

/** Padding as the user gave it (MindSpore's repr prints `self.padding` unchanged: an int or the tuple). */
const fmtPadding = (p: number | readonly number[]): string => (typeof p === 'number' ? `${p}` : fmtTuple(p));

function checkChannels(cls: string, inChannels: number, outChannels: number, group: number): void {
  if (!Number.isInteger(group) || group < 1) throw new Error(`${cls}: group must be a positive int, got ${group}`);
  if (inChannels % group || outChannels % group) throw new Error(`${cls}: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by group ${group}`);
}

export interface Conv3dOptions extends Omit<ConvOptions, 'stride' | 'dilation' | 'padding'> {
  stride?: IntOr3;
  /** int, or MindSpore's (head, tail, top, bottom, left, right) */
  padding?: number | number[];
  dilation?: IntOr3;
}

/**
 * mindspore.nn.Conv3d (NCDHW): weight [C_out, C_in/group, kD, kH, kW]; same defaults as Conv2d — pad_mode='same',
 * has_bias=False, weight HeUniform(√5), bias Uniform(±1/√fan_in) (reference §1 Conv3d, DIFF/Conv3d).
 * @example new Conv3d(4, 8, 3, { padMode: 'pad', padding: 1, hasBias: true })
 */
export class Conv3d extends Cell {
  override emitCall(): CellCall {
    return {
      ms: `nn.Conv3d(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], [['stride', tup(this.stride), 1], ['pad_mode', this.padMode], ['padding', raw(asGiven(this.padding)), raw('0')], ['dilation', tup(this.dilation), 1], ['group', this.group, 1], ['has_bias', this.hasBias]])})`,
      torch: `nn.Conv3d(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], [['stride', tup(this.stride), 1], ['dilation', tup(this.dilation), 1], ['groups', this.group, 1], ['bias', this.hasBias, true]])})`,
      values: { pad_mode: this.padMode, has_bias: this.hasBias },
    };
  }

  readonly inChannels: number; readonly outChannels: number;
  readonly kernelSize: V3; readonly stride: V3; readonly padMode: PadMode;
  readonly padding: number | [number, number, number, number, number, number];
  readonly dilation: V3; readonly group: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;
  /** weight_init / bias_init / format as MindSpore's repr prints them */
  private readonly inits: string;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOr3, opts: Conv3dOptions = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels;
    this.kernelSize = triple(kernelSize, 'kernel_size', 'Conv3d');
    this.stride = triple(opts.stride ?? 1, 'stride', 'Conv3d');
    this.dilation = triple(opts.dilation ?? 1, 'dilation', 'Conv3d');
    this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    if (typeof p !== 'number' && p.length !== 6) throw new Error(`Conv3d: padding must be an int or a 6-tuple (head, tail, top, bottom, left, right), got [${p}]`);
    this.padding = typeof p === 'number' ? p : [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!];
    if (this.padMode !== 'pad' && this.padTuple().some(v => v !== 0)) throw new Error(`Conv3d: padding must be 0 when pad_mode is '${this.padMode}'`);
    this.group = opts.group ?? 1;
    this.hasBias = opts.hasBias ?? false;
    checkChannels('Conv3d', inChannels, outChannels, this.group);
    const wShape = [outChannels, inChannels / this.group, ...this.kernelSize];
    this.inits = initSuffix(opts.weightInit, opts.biasInit, this.hasBias, 'NCDHW');
    this.weight = new Parameter(initTensor(opts.weightInit ?? defaultWeightInit(), wShape), 'weight');
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform(fans(wShape)[0]), [outChannels]), 'bias');
  }

  private padTuple(): [number, number, number, number, number, number] {
    const p = this.padding;
    return typeof p === 'number' ? [p, p, p, p, p, p] : p;
  }

  /** Padding applied for an input of spatial size D×H×W, as (head, tail, top, bottom, left, right). */
  effectivePadding(D: number, H: number, W: number): [number, number, number, number, number, number] {
    if (this.padMode === 'pad') return this.padTuple();
    if (this.padMode === 'valid') return [0, 0, 0, 0, 0, 0];
    const [a, b] = samePadding(D, this.kernelSize[0], this.stride[0], this.dilation[0]);
    const [c, d] = samePadding(H, this.kernelSize[1], this.stride[1], this.dilation[1]);
    const [e, f] = samePadding(W, this.kernelSize[2], this.stride[2], this.dilation[2]);
    return [a, b, c, d, e, f];
  }

  construct(x: Tensor): Tensor {
    if (x.ndim !== 5) throw new Error(`Conv3d: input must be 5-D (N, C, D, H, W), got [${x.shape}]`);
    const padding = this.effectivePadding(x.shape[2]!, x.shape[3]!, x.shape[4]!);
    return ops.conv3d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, group: this.group });
  }

  override extendRepr(): string {
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}, kernel_size=${fmtTuple(this.kernelSize)}, ` +
      `stride=${fmtTuple(this.stride)}, pad_mode=${this.padMode}, padding=${fmtPadding(this.padding)}, ` +
      `dilation=${fmtTuple(this.dilation)}, group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}${this.inits}`;
  }
}

export interface Conv2dTransposeOptions extends ConvOptions {
  /** Zeros appended at the bottom/right of the output; needs pad_mode='pad' and each value < max(stride, dilation). */
  outputPadding?: number | [number, number];
}

/**
 * mindspore.nn.Conv2dTranspose: weight [C_in, C_out/group, kH, kW], defaults pad_mode='same', has_bias=False, weight
 * HeUniform(√5), bias Uniform(±1/√fan_in) with fan_in = (C_out/group)·kH·kW from the weight's dim 1 (reference §1;
 * output_padding exists from r2.1). Output sizes (MindSpore `_deconv_output_length`, fs = dilation·(k − 1) + 1):
 * 'same' H·stride; 'valid' H·stride + max(fs − stride, 0); 'pad' (H − 1)·stride + fs − top − bottom, then
 * `output_padding` zero rows/columns appended after the bias (MindSpore pads the result; PyTorch computes them).
 * @example new Conv2dTranspose(3, 64, 4, { padMode: 'pad' })   // [1, 3, 16, 50] → [1, 64, 19, 53]
 */
export class Conv2dTranspose extends Cell {
  override emitCall(): CellCall {
    // the importer folds PyTorch's output_padding into the bottom/right padding (t, b − op, l, r − op) where it can:
    // PyTorch's call has padding (t, l) and output_padding (t − b, l − r) then, else the Cell's own output_padding
    const p = this.padding;
    const [t, b, l, r] = typeof p === 'number' ? [p, p, p, p] : p;
    const outPad = this.outputPadding.some(v => v !== 0) ? [...this.outputPadding] : [t! - b!, l! - r!];
    const torchNamed: Named[] = [['stride', tup(this.stride), 1], ['padding', tup([t!, l!]), 0], ['output_padding', tup(outPad), 0],
      ['dilation', tup(this.dilation), 1], ['groups', this.group, 1], ['bias', this.hasBias, true]];
    return {
      ms: `nn.Conv2dTranspose(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], [['stride', tup(this.stride), 1], ['pad_mode', this.padMode], ['padding', raw(asGiven(this.padding)), raw('0')], ['output_padding', tup(this.outputPadding), 0], ['dilation', tup(this.dilation), 1], ['group', this.group, 1], ['has_bias', this.hasBias]])})`,
      torch: `nn.ConvTranspose2d(${args([this.inChannels, this.outChannels, tup(this.kernelSize)], torchNamed)})`,
      values: { pad_mode: this.padMode, has_bias: this.hasBias },
    };
  }

  readonly inChannels: number; readonly outChannels: number;
  readonly kernelSize: [number, number]; readonly stride: [number, number];
  readonly padMode: PadMode; readonly padding: number | [number, number, number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number]; readonly group: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;
  /** weight_init / bias_init / format as MindSpore's repr prints them */
  private readonly inits: string;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOr<2>, opts: Conv2dTransposeOptions = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernel_size');
    this.stride = pair(opts.stride ?? 1, 'stride');
    this.dilation = pair(opts.dilation ?? 1, 'dilation');
    this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    if (typeof p !== 'number' && p.length !== 4) badPadding(p);
    this.padding = typeof p === 'number' ? p : [p[0]!, p[1]!, p[2]!, p[3]!];
    if (this.padMode !== 'pad' && this.padTuple().some(v => v !== 0)) throw new Error(`Conv2dTranspose: padding must be 0 when pad_mode is '${this.padMode}'`);
    this.outputPadding = pair(opts.outputPadding ?? 0, 'output_padding');
    this.outputPadding.forEach((op, i) => {
      if (op < 0 || op >= Math.max(this.stride[i]!, this.dilation[i]!)) throw new Error(`Conv2dTranspose: output_padding[${i}] must be in range of [0, max(stride, dilation)), got ${op}`);
      if (op > 0 && this.padMode !== 'pad') throw new Error("Conv2dTranspose: when output_padding is not zero, pad_mode must be 'pad'");
    });
    this.group = opts.group ?? 1;
    this.hasBias = opts.hasBias ?? false;
    checkChannels('Conv2dTranspose', inChannels, outChannels, this.group);
    const wShape = [inChannels, outChannels / this.group, ...this.kernelSize];
    this.inits = initSuffix(opts.weightInit, opts.biasInit, this.hasBias, 'NCHW');
    this.weight = new Parameter(initTensor(opts.weightInit ?? defaultWeightInit(), wShape), 'weight');
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform(fans(wShape)[0]), [outChannels]), 'bias');
  }

  private padTuple(): [number, number, number, number] {
    const p = this.padding;
    return typeof p === 'number' ? [p, p, p, p] : p;
  }

  /** (top, bottom, left, right) cropped from the full transposed output; a negative bottom/right extends it. */
  effectivePadding(): [number, number, number, number] {
    if (this.padMode === 'pad') return this.padTuple();
    const out: number[] = [];
    for (let i = 0; i < 2; i++) {
      const excess = this.dilation[i]! * (this.kernelSize[i]! - 1) + 1 - this.stride[i]!;
      // 'same': Conv2DBackpropInput's pad_needed = max(0, fs − stride), extra at the bottom/right; 'valid': no crop
      const before = this.padMode === 'same' ? Math.floor(Math.max(0, excess) / 2) : 0;
      out.push(before, (this.padMode === 'same' ? excess : Math.min(excess, 0)) - before);
    }
    return out as [number, number, number, number];
  }

  construct(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`Conv2dTranspose: input must be 4-D (N, C, H, W), got [${x.shape}]`);
    return ops.conv2dTranspose(x, this.weight, this.bias, {
      stride: this.stride, padding: this.effectivePadding(), dilation: this.dilation, group: this.group, outputPadding: this.outputPadding,
    });
  }

  override extendRepr(): string {
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}, kernel_size=${fmtTuple(this.kernelSize)}, ` +
      `stride=${fmtTuple(this.stride)}, pad_mode=${this.padMode}, padding=${fmtPadding(this.padding)}, ` +
      `dilation=${fmtTuple(this.dilation)}, group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}${this.inits}`;
  }
}
