import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import { biasUniform, defaultWeightInit, initTensor, InitName, Initializer } from '../initializer.js';
import * as ops from '../functional.js';
import { args, type CellCall } from './pycall.js';

/**
 * mindspore.nn.Dense (torch.nn.Linear): y = x·Wᵀ + b, W [out_channels, in_channels], has_bias=True; from r2.1 the
 * weight defaults to HeUniform(√5) and the bias to Uniform(±1/√in_channels) (reference §0, DIFF/Dense).
 * @example new Dense(784, 512)
 */
export class Dense extends Cell {
  override emitCall(): CellCall {
    return {
      ms: `nn.Dense(${args([this.inChannels, this.outChannels], [['has_bias', this.hasBias, true]])})`,
      torch: `nn.Linear(${args([this.inChannels, this.outChannels], [['bias', this.hasBias, true]])})`,
      values: {},
    };
  }

  readonly inChannels: number; readonly outChannels: number; readonly hasBias: boolean;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inChannels: number, outChannels: number, opts: { weightInit?: InitName | Initializer | null; biasInit?: InitName | Initializer | null; hasBias?: boolean } = {}) {
    super();
    this.inChannels = inChannels; this.outChannels = outChannels; this.hasBias = opts.hasBias ?? true;
    this.weight = new Parameter(initTensor(opts.weightInit ?? defaultWeightInit(), [outChannels, inChannels]), 'weight');
    if (this.hasBias) this.bias = new Parameter(initTensor(opts.biasInit ?? biasUniform(inChannels), [outChannels]), 'bias');
  }

  construct(x: Tensor): Tensor { return ops.dense(x, this.weight, this.bias); }

  override extendRepr(): string {
    return `input_channels=${this.inChannels}, output_channels=${this.outChannels}` + (this.hasBias ? ', has_bias=True' : '');
  }
}
