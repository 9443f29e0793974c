import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor, shapeStr } from '../tensor.js';
import { initTensor, InitName, Initializer } from '../initializer.js';
import * as ops from '../functional.js';

/** What a `*_init` argument accepts: an alias ('ones', 'zeros', 'normal', …), an Initializer, or a constant. */
export type InitSpec = InitName | Initializer | number;

export interface BatchNormOptions {
  eps?: number;
  /** MindSpore momentum: moving = moving·momentum + batch·(1 − momentum); equals 1 − PyTorch momentum. */
  momentum?: number;
  affine?: boolean;
  gammaInit?: InitSpec; betaInit?: InitSpec; movingMeanInit?: InitSpec; movingVarInit?: InitSpec;
  /** null: batch statistics in train phase, moving statistics in predict phase; true/false force one of them. */
  useBatchStatistics?: boolean | null;
}

import { pyFloat, args, raw, asGiven, type CellCall } from './pycall.js';
export { pyFloat };

const checkMomentum = (cls: string, m: number): void => {
  if (!(m >= 0 && m <= 1)) throw new Error(`${cls}: momentum must be in [0, 1], got ${m}`);
};
const checkPositive = (cls: string, what: string, v: number): void => {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${cls}: ${what} must be a positive int, got ${v}`);
};

/**
 * Shared body of nn.BatchNorm1d / nn.BatchNorm2d (reference §2): parameters gamma, beta, moving_mean, moving_variance;
 * eps=1e-5, momentum=0.9, use_batch_statistics=None. With batch statistics the input is normalised by the batch mean
 * and biased variance and the moving statistics are updated (whenever batch statistics are used, as MindSpore's
 * training BatchNorm primitive does) with moving = moving·momentum + batch·(1 − momentum), the variance unbiased.
 */
abstract class BatchNormBase extends Cell {
  /** BatchNorm1d / BatchNorm2d: MindSpore's momentum is 1 − PyTorch's. */
  override emitCall(): CellCall {
    const dims = this.clsName.slice('BatchNorm'.length);
    return {
      ms: `nn.BatchNorm${dims}(${args([this.numFeatures], [['eps', this.eps, 1e-5], ['momentum', this.momentum, 0.9]])})`,
      torch: `nn.BatchNorm${dims}(${args([this.numFeatures], [['eps', this.eps, 1e-5], ['momentum', +(1 - this.momentum).toFixed(6), 0.1]])})`,
      values: { momentum: this.momentum },
    };
  }

  readonly numFeatures: number; readonly eps: number; readonly momentum: number; readonly affine: boolean;
  readonly useBatchStatistics: boolean | null;
  gamma: Parameter; beta: Parameter; moving_mean: Parameter; moving_variance: Parameter;
  protected abstract readonly ranks: readonly number[];

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    checkPositive(this.clsName, 'num_features', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.9;
    checkMomentum(this.clsName, this.momentum);
    this.affine = opts.affine ?? true;
    this.useBatchStatistics = opts.useBatchStatistics ?? null;
    // MindSpore 2.10 registers the moving statistics first and names them mean / variance (conformance: names)
    this.moving_mean = new Parameter(initTensor(opts.movingMeanInit ?? 'zeros', [numFeatures]), 'mean', false);
    this.moving_variance = new Parameter(initTensor(opts.movingVarInit ?? 'ones', [numFeatures]), 'variance', false);
    this.gamma = new Parameter(initTensor(opts.gammaInit ?? 'ones', [numFeatures]), 'gamma', this.affine);
    this.beta = new Parameter(initTensor(opts.betaInit ?? 'zeros', [numFeatures]), 'beta', this.affine);
  }

  construct(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim)) throw new Error(`${this.clsName}: input must be ${this.ranks.join('-D or ')}-D, got [${x.shape}]`);
    const useBatch = this.useBatchStatistics ?? this.training;
    return ops.batchNorm(x, this.moving_mean, this.moving_variance, this.gamma, this.beta, useBatch, 1 - this.momentum, this.eps);
  }

  override extendRepr(): string {
    return `num_features=${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, gamma=${this.gamma}, beta=${this.beta}, ` +
      `moving_mean=${this.moving_mean}, moving_variance=${this.moving_variance}`;
  }
}

/** nn.BatchNorm2d over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase { protected readonly ranks = [4]; }
/** nn.BatchNorm1d over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase { protected readonly ranks = [2, 3]; }

export interface LayerNormOptions {
  beginNormAxis?: number;
  beginParamsAxis?: number;
  gammaInit?: InitSpec; betaInit?: InitSpec;
  /** MindSpore's name and default: epsilon=1e-7 (PyTorch eps=1e-5). */
  epsilon?: number;
}

/**
 * nn.LayerNorm(normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init='ones', beta_init='zeros',
 * epsilon=1e-7) (reference §2): normalises over axes begin_norm_axis…R−1; gamma/beta have shape normalized_shape.
 * For a multi-dim normalized_shape set both axes to −len(normalized_shape) to match PyTorch.
 */
export class LayerNorm extends Cell {
  override emitCall(): CellCall {
    return {
      ms: `nn.LayerNorm(${args([raw(asGiven(this.normalizedShape))], [['begin_norm_axis', this.beginNormAxis, -1], ['begin_params_axis', this.beginParamsAxis, -1], ['epsilon', raw(pyFloat(this.epsilon)), raw('1e-07')]])})`,
      torch: `nn.LayerNorm(${args([raw(asGiven(this.normalizedShape))], [['eps', raw(pyFloat(this.epsilon)), raw('1e-05')]])})`,
      values: { epsilon: this.epsilon, begin_norm_axis: this.beginNormAxis, begin_params_axis: this.beginParamsAxis },
    };
  }

  readonly normalizedShape: number[]; readonly beginNormAxis: number; readonly beginParamsAxis: number; readonly epsilon: number;
  gamma: Parameter; beta: Parameter;

  constructor(normalizedShape: readonly number[], opts: LayerNormOptions = {}) {
    super();
    if (!Array.isArray(normalizedShape) || normalizedShape.length === 0) {
      throw new Error(`LayerNorm: normalized_shape must be a non-empty tuple or list of ints, got ${JSON.stringify(normalizedShape)}`);
    }
    this.normalizedShape = [...normalizedShape];
    this.beginNormAxis = opts.beginNormAxis ?? -1;
    this.beginParamsAxis = opts.beginParamsAxis ?? -1;
    this.epsilon = opts.epsilon ?? 1e-7;
    this.gamma = new Parameter(initTensor(opts.gammaInit ?? 'ones', this.normalizedShape), 'gamma');
    this.beta = new Parameter(initTensor(opts.betaInit ?? 'zeros', this.normalizedShape), 'beta');
  }

  construct(x: Tensor): Tensor {
    // MindSpore 2.10's LayerNorm primitive takes both axes in [-1, rank) (conformance: LayerNorm(begin_norm_axis=-2))
    for (const [name, v] of [['begin_norm_axis', this.beginNormAxis], ['begin_params_axis', this.beginParamsAxis]] as const) {
      if (v < -1 || v >= x.ndim) throw new Error(`LayerNorm: input_x's rank is ${x.ndim}, while the '${name}' value should be in the range [-1, ${x.ndim}), but got ${v}`);
    }
    return ops.layerNormByAxis(x, this.gamma, this.beta, this.beginNormAxis, this.beginParamsAxis, this.epsilon);
  }

  /** MindSpore's own format string reads 'gamma{}' without '=' (normalization.py, 2.0 to 2.4); kept verbatim. */
  override extendRepr(): string {
    return `normalized_shape=${shapeStr(this.normalizedShape)}, begin_norm_axis=${this.beginNormAxis}, ` +
      `begin_params_axis=${this.beginParamsAxis}, gamma${this.gamma}, beta=${this.beta}`;
  }
}

export interface GroupNormOptions { eps?: number; affine?: boolean; gammaInit?: InitSpec; betaInit?: InitSpec }

/** nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, gamma_init='ones', beta_init='zeros') over (N, C, *). */
export class GroupNorm extends Cell {
  override emitCall(): CellCall {
    const a = args([this.numGroups, this.numChannels], [['eps', raw(pyFloat(this.eps)), raw('1e-05')], ['affine', this.affine, true]]);
    return { ms: `nn.GroupNorm(${a})`, torch: `nn.GroupNorm(${a})`, values: {} };
  }

  readonly numGroups: number; readonly numChannels: number; readonly eps: number; readonly affine: boolean;
  gamma: Parameter; beta: Parameter;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkPositive('GroupNorm', 'num_groups', numGroups);
    checkPositive('GroupNorm', 'num_channels', numChannels);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: num_channels ${numChannels} must be divisible by num_groups ${numGroups}`);
    this.numGroups = numGroups; this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    this.gamma = new Parameter(initTensor(opts.gammaInit ?? 'ones', [numChannels]), 'gamma', this.affine);
    this.beta = new Parameter(initTensor(opts.betaInit ?? 'zeros', [numChannels]), 'beta', this.affine);
  }

  construct(x: Tensor): Tensor {
    if (x.shape[1] !== this.numChannels) throw new Error(`GroupNorm: channel (dim 1) of input [${x.shape}] must equal num_channels ${this.numChannels}`);
    return ops.groupNorm(x, this.numGroups, this.gamma, this.beta, this.eps);
  }

  override extendRepr(): string { return `num_groups=${this.numGroups}, num_channels=${this.numChannels}`; }
}

export interface InstanceNormOptions { eps?: number; momentum?: number; affine?: boolean; gammaInit?: InitSpec; betaInit?: InitSpec }

/**
 * nn.InstanceNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, gamma_init='ones', beta_init='zeros')
 * (reference §2; affine defaults to True where PyTorch has False). Statistics are always the input's own, per sample
 * and channel, with the biased variance. MindSpore also holds moving_mean / moving_variance Parameters (zeros / ones,
 * not trainable); they never affect the output and are kept here for checkpoint names but not updated.
 */
export class InstanceNorm2d extends Cell {
  override emitCall(): CellCall {
    return {
      ms: `nn.InstanceNorm2d(${args([this.numFeatures], [['eps', raw(pyFloat(this.eps)), raw('1e-05')], ['momentum', raw(pyFloat(this.momentum)), raw('0.1')], ['affine', this.affine, true]])})`,
      torch: `nn.InstanceNorm2d(${args([this.numFeatures], [['eps', raw(pyFloat(this.eps)), raw('1e-05')], ['affine', this.affine, false]])})`,
      values: { affine: this.affine },
    };
  }

  readonly numFeatures: number; readonly eps: number; readonly momentum: number; readonly affine: boolean;
  gamma: Parameter; beta: Parameter; moving_mean: Parameter; moving_variance: Parameter;

  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super();
    checkPositive('InstanceNorm2d', 'num_features', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    checkMomentum('InstanceNorm2d', this.momentum);
    this.affine = opts.affine ?? true;
    this.moving_mean = new Parameter(initTensor('zeros', [numFeatures]), 'mean', false);
    this.moving_variance = new Parameter(initTensor('ones', [numFeatures]), 'variance', false);
    this.gamma = new Parameter(initTensor(opts.gammaInit ?? 'ones', [numFeatures]), 'gamma', this.affine);
    this.beta = new Parameter(initTensor(opts.betaInit ?? 'zeros', [numFeatures]), 'beta', this.affine);
  }

  construct(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`InstanceNorm2d: input must be 4-D (N, C, H, W), got [${x.shape}]`);
    if (x.shape[1] !== this.numFeatures) throw new Error(`InstanceNorm2d: input [${x.shape}] has ${x.shape[1]} channels, expected ${this.numFeatures}`);
    return ops.instanceNorm(x, this.gamma, this.beta, this.eps);
  }

  override extendRepr(): string {
    return `num_features=${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, gamma=${this.gamma}, beta=${this.beta}, ` +
      `moving_mean=${this.moving_mean}, moving_variance=${this.moving_variance}`;
  }
}
