import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import { initTensor, InitName } from '../initializer.js';
import * as ops from '../functional.js';

export interface BatchNormOptions {
  eps?: number;
  /** MindSpore momentum: moving = moving·momentum + batch·(1 − momentum); equals 1 − PyTorch momentum. */
  momentum?: number;
  affine?: boolean;
  gammaInit?: InitName; betaInit?: InitName; movingMeanInit?: InitName; movingVarInit?: InitName;
  /** null: batch statistics in train phase, moving statistics in predict phase. */
  useBatchStatistics?: boolean | null;
}

/** Shared body of nn.BatchNorm1d / nn.BatchNorm2d: parameters gamma, beta, moving_mean, moving_variance. */
abstract class BatchNormBase extends Cell {
  readonly numFeatures: number; readonly eps: number; readonly momentum: number; readonly affine: boolean;
  readonly useBatchStatistics: boolean | null;
  gamma: Parameter; beta: Parameter; moving_mean: Parameter; moving_variance: Parameter;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.9;
    if (this.momentum < 0 || this.momentum > 1) throw new Error(`${this.clsName}: momentum must be in [0, 1], got ${this.momentum}`);
    this.affine = opts.affine ?? true;
    this.useBatchStatistics = opts.useBatchStatistics ?? null;
    this.gamma = new Parameter(initTensor(opts.gammaInit ?? 'ones', [numFeatures]), 'gamma', this.affine);
    this.beta = new Parameter(initTensor(opts.betaInit ?? 'zeros', [numFeatures]), 'beta', this.affine);
    this.moving_mean = new Parameter(initTensor(opts.movingMeanInit ?? 'zeros', [numFeatures]), 'moving_mean', false);
    this.moving_variance = new Parameter(initTensor(opts.movingVarInit ?? 'ones', [numFeatures]), 'moving_variance', false);
  }

  construct(x: Tensor): Tensor {
    const useBatch = this.useBatchStatistics ?? this.training;
    if (useBatch) throw new Error(`${this.clsName}: batch statistics (train phase) are part of the training runtime (issue 4); call setTrain(false)`);
    return ops.batchNormInference(x, this.gamma, this.beta, this.moving_mean, this.moving_variance, this.eps);
  }

  override extendRepr(): string {
    return `num_features=${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, gamma=${this.gamma}, beta=${this.beta}, ` +
      `moving_mean=${this.moving_mean}, moving_variance=${this.moving_variance}`;
  }
}

export class BatchNorm2d extends BatchNormBase {}
export class BatchNorm1d extends BatchNormBase {}
