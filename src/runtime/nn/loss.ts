/**
 * Loss Cells with MindSpore's signatures and defaults (mindspore.nn.loss, 2.x). Each is a thin shell over one
 * functional loss of functional-layers.ts; the arithmetic (and so the gradient) lives there.
 */
import { Cell } from '../cell.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';
import type { Reduction } from '../functional-layers.js';

const REDUCTIONS: readonly string[] = ['none', 'mean', 'sum'];

/** nn.LossBase(reduction='mean'): holds and checks the reduction. */
export abstract class LossBase extends Cell {
  readonly reduction: Reduction;
  constructor(reduction: Reduction = 'mean') {
    super();
    if (!REDUCTIONS.includes(reduction)) throw new Error(`${this.clsName}: reduction must be 'none', 'mean' or 'sum', got '${reduction}'`);
    this.reduction = reduction;
  }
  abstract override construct(logits: Tensor, labels: Tensor): Tensor;
}

/** nn.MSELoss(reduction='mean'): (x − y)². */
export class MSELoss extends LossBase {
  construct(logits: Tensor, labels: Tensor): Tensor { return ops.mseLoss(logits, labels, this.reduction); }
}

/**
 * nn.BCEWithLogitsLoss(reduction='mean', weight=None, pos_weight=None):
 * −weight·[pos_weight·y·log σ(x) + (1 − y)·log(1 − σ(x))]; weight and pos_weight broadcast against the logits.
 */
export class BCEWithLogitsLoss extends LossBase {
  readonly weight: Tensor | null; readonly posWeight: Tensor | null;
  constructor(reduction: Reduction = 'mean', weight: Tensor | null = null, posWeight: Tensor | null = null) {
    super(reduction);
    this.weight = weight; this.posWeight = posWeight;
  }
  construct(logits: Tensor, labels: Tensor): Tensor {
    return ops.binaryCrossEntropyWithLogits(logits, labels, this.weight, this.posWeight, this.reduction);
  }
}

/**
 * nn.SoftmaxCrossEntropyWithLogits(sparse=False, reduction='none'): per-sample −Σ labels·log_softmax(logits) over the
 * last axis of (N, C) logits; sparse labels are class indices. Note the default reduction is 'none', not 'mean'.
 */
export class SoftmaxCrossEntropyWithLogits extends LossBase {
  readonly sparse: boolean;
  constructor(sparse = false, reduction: Reduction = 'none') {
    super(reduction);
    this.sparse = sparse;
  }
  construct(logits: Tensor, labels: Tensor): Tensor {
    return ops.softmaxCrossEntropyWithLogits(logits, labels, this.sparse, this.reduction);
  }
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/**
 * nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0) over (C), (N, C) or
 * (N, C, d1, …) logits with class-index or class-probability targets; see ops.crossEntropy for MindSpore's
 * label-smoothing formula.
 */
export class CrossEntropyLoss extends LossBase {
  readonly weight: Tensor | null; readonly ignoreIndex: number; readonly labelSmoothing: number;
  constructor(opts: CrossEntropyOptions = {}) {
    super(opts.reduction ?? 'mean');
    this.weight = opts.weight ?? null;
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) throw new Error(`CrossEntropyLoss: label_smoothing must be in [0, 1], got ${this.labelSmoothing}`);
  }
  construct(logits: Tensor, labels: Tensor): Tensor {
    return ops.crossEntropy(logits, labels, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}
