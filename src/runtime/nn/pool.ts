import { Cell } from '../cell.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';
import { samePadding } from './conv.js';
import { args, raw, asGiven, tup, py, type CellCall, type Named } from './pycall.js';

type PoolPadMode = 'same' | 'valid' | 'pad';

export interface PoolOptions {
  padMode?: PoolPadMode;
  /** int or (H, W): symmetric, unlike Conv2d's 4-tuple */
  padding?: number | [number, number];
  dilation?: number | [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const pair = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

/**
 * Shared body of MaxPool2d / AvgPool2d. MindSpore defaults: kernel_size=1, **stride=1** (PyTorch: stride=kernel_size),
 * pad_mode='valid'.
 */
abstract class Pool2dBase extends Cell {
  /** MaxPool2d / AvgPool2d: MindSpore's stride defaults to 1 and its pad_mode to 'valid' (PyTorch: kernel_size, 0). */
  override emitCall(): CellCall {
    const name = this.clsName;
    const cip: Named[] = this instanceof AvgPool2d ? [['count_include_pad', this.countIncludePad, true]] : [];
    return {
      ms: `nn.${name}(${args([], [['kernel_size', raw(asGiven(this.kernelSizeArg))], ['stride', raw(asGiven(this.strideArg))], ['pad_mode', this.padMode], ['padding', tup(this.padding), 0], ['ceil_mode', this.ceilMode, false], ...cip])})`,
      torch: `nn.${name}(${args([tup(this.kernelSize)], [['stride', tup(this.stride), tup(this.kernelSize)], ['padding', tup(this.padding), 0], ['ceil_mode', this.ceilMode, false], ...cip])})`,
      values: { stride: tup(this.stride), pad_mode: this.padMode },
    };
  }

  readonly kernelSize: [number, number]; readonly stride: [number, number]; readonly padMode: PoolPadMode;
  readonly padding: [number, number]; readonly dilation: [number, number]; readonly ceilMode: boolean;
  /** kernel_size and stride as given: MindSpore's repr prints them unchanged */
  readonly kernelSizeArg: number | [number, number]; readonly strideArg: number | [number, number];

  constructor(kernelSize: number | [number, number] = 1, stride: number | [number, number] = 1, opts: PoolOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize); this.stride = pair(stride);
    this.kernelSizeArg = kernelSize; this.strideArg = stride;
    this.padMode = opts.padMode ?? 'valid';
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.ceilMode = opts.ceilMode ?? false;
    if (this.padMode !== 'pad' && (this.padding.some(p => p !== 0) || this.ceilMode)) {
      throw new Error(`${this.clsName}: padding and ceil_mode need pad_mode='pad'`);
    }
  }

  protected attrs(x: Tensor) {
    let padding: [number, number, number, number];
    if (this.padMode === 'pad') padding = [this.padding[0], this.padding[0], this.padding[1], this.padding[1]];
    else if (this.padMode === 'valid') padding = [0, 0, 0, 0];
    else padding = [...samePadding(x.shape[2]!, this.kernelSize[0], this.stride[0], 1), ...samePadding(x.shape[3]!, this.kernelSize[1], this.stride[1], 1)];
    return { kernel: this.kernelSize, stride: this.stride, padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  /** MindSpore 2.10 prints kernel_size and stride as given and the pad mode upper-cased; padding is not shown. */
  override extendRepr(): string {
    const asGiven = (v: number | [number, number]): string => (typeof v === 'number' ? `${v}` : `(${v.join(', ')})`);
    return `kernel_size=${asGiven(this.kernelSizeArg)}, stride=${asGiven(this.strideArg)}, pad_mode=${this.padMode.toUpperCase()}`;
  }
}

export class MaxPool2d extends Pool2dBase {
  construct(x: Tensor): Tensor { return ops.maxPool2d(x, this.attrs(x)); }
}

export class AvgPool2d extends Pool2dBase {
  readonly countIncludePad: boolean;
  constructor(kernelSize: number | [number, number] = 1, stride: number | [number, number] = 1, opts: PoolOptions = {}) {
    super(kernelSize, stride, opts);
    this.countIncludePad = opts.countIncludePad ?? true;
  }
  /** pad_mode='same' averages over the window's valid elements only, whatever count_include_pad says (MindSpore 2.10 CPU, conformance). */
  construct(x: Tensor): Tensor { return ops.avgPool2d(x, { ...this.attrs(x), countIncludePad: this.padMode === 'same' ? false : this.countIncludePad }); }
}

export class AdaptiveAvgPool2d extends Cell {
  override emitCall(): CellCall { const o = py(tup(this.outputSize)); return { ms: `nn.AdaptiveAvgPool2d(${o})`, torch: `nn.AdaptiveAvgPool2d(${o})`, values: {} }; }
  readonly outputSize: [number, number];
  constructor(outputSize: number | [number, number]) { super(); this.outputSize = pair(outputSize); }
  construct(x: Tensor): Tensor { return ops.adaptiveAvgPool2d(x, this.outputSize); }
}

export class AdaptiveMaxPool2d extends Cell {
  override emitCall(): CellCall { const o = py(tup(this.outputSize)); return { ms: `nn.AdaptiveMaxPool2d(${o})`, torch: `nn.AdaptiveMaxPool2d(${o})`, values: {} }; }
  readonly outputSize: [number, number];
  constructor(outputSize: number | [number, number]) { super(); this.outputSize = pair(outputSize); }
  construct(x: Tensor): Tensor { return ops.adaptiveMaxPool2d(x, this.outputSize); }
}
