import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import { biasUniform, initTensor, InitName, Initializer } from '../initializer.js';
import * as ops from '../functional.js';
import { convOutSize } from '../ops/conv.js';

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
 * mindspore.nn.Conv2d with MindSpore's defaults: pad_mode='same', has_bias=False, weight HeUniform, bias Uniform(±1/√fan_in).
 * @example new Conv2d(120, 240, 4, { hasBias: false })
 */
export class Conv2d extends Cell {
  readonly inChannels: number; readonly outChannels: number;
  readonly kernelSize: [number, number]; readonly stride: [number, number];
  readonly padMode: PadMode; readonly padding: [number, number, number, number];
  readonly dilation: [number, number]; readonly group: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOr<2>, opts: ConvOptions = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernel_size');
    this.stride = pair(opts.stride ?? 1, 'stride');
    this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    this.padding = typeof p === 'number' ? [p, p, p, p] : (p.length === 4 ? [p[0]!, p[1]!, p[2]!, p[3]!] : badPadding(p));
    if (this.padMode !== 'pad' && this.padding.some(v => v !== 0)) throw new Error(`Conv2d: padding must be 0 when pad_mode is '${this.padMode}'`);
    this.dilation = pair(opts.dilation ?? 1, 'dilation');
    this.group = opts.group ?? 1;
    this.hasBias = opts.hasBias ?? false;
    if (inChannels % this.group || outChannels % this.group) throw new Error(`Conv2d: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by group ${this.group}`);
    const wShape = [outChannels, inChannels / this.group, ...this.kernelSize];
    this.weight = new Parameter(initTensor(opts.weightInit ?? 'he_uniform', wShape), 'weight');
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
      `stride=${fmtTuple(this.stride)}, pad_mode=${this.padMode}, padding=${this.padMode === 'pad' ? fmtTuple(this.padding) : 0}, ` +
      `dilation=${fmtTuple(this.dilation)}, group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}`;
  }
}

function badPadding(p: number[]): never {
  throw new Error(`Conv2d: padding must be an int or a 4-tuple (top, bottom, left, right), got [${p}]`);
}

/**
 * mindspore.nn.Conv1d: weight (C_out, C_in/group, kernel_size); computed as a Conv2d over a height-1 image, as MindSpore does.
 */
export class Conv1d extends Cell {
  readonly inChannels: number; readonly outChannels: number; readonly kernelSize: number; readonly stride: number;
  readonly padMode: PadMode; readonly padding: [number, number]; readonly dilation: number; readonly group: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Omit<ConvOptions, 'stride' | 'dilation' | 'padding'> & { stride?: number; dilation?: number; padding?: number | [number, number] } = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels; this.kernelSize = kernelSize;
    this.stride = opts.stride ?? 1; this.padMode = opts.padMode ?? 'same';
    const p = opts.padding ?? 0;
    this.padding = typeof p === 'number' ? [p, p] : p;
    this.dilation = opts.dilation ?? 1; this.group = opts.group ?? 1; this.hasBias = opts.hasBias ?? false;
    this.weight = new Parameter(initTensor(opts.weightInit ?? 'he_uniform', [outChannels, inChannels / this.group, kernelSize]), 'weight');
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform((inChannels / this.group) * kernelSize), [outChannels]), 'bias');
  }

  construct(x: Tensor): Tensor {
    const L = x.shape[2]!;
    const [l, r] = this.padMode === 'pad' ? this.padding : this.padMode === 'valid' ? [0, 0] : samePadding(L, this.kernelSize, this.stride, this.dilation);
    const x4 = ops.reshape(x, [x.shape[0]!, x.shape[1]!, 1, L]);
    const w4 = ops.reshape(this.weight, [this.outChannels, this.inChannels / this.group, 1, this.kernelSize]);
    const y = ops.conv2d(x4, w4, this.bias, { stride: [1, this.stride], padding: [0, 0, l, r], dilation: [1, this.dilation], group: this.group });
    return ops.reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]);
  }

  override extendRepr(): string {
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}, kernel_size=${this.kernelSize}, stride=${this.stride}, ` +
      `pad_mode=${this.padMode}, padding=${this.padMode === 'pad' ? fmtTuple(this.padding) : 0}, dilation=${this.dilation}, group=${this.group}, has_bias=${this.hasBias ? 'True' : 'False'}`;
  }
}

export { convOutSize };
