/**
 * Functional forms of the layer ops (normalisations, dropout, embeddings' one-hot, losses, 3-D and transposed
 * convolutions), re-exported by functional.ts. Everything here except the four primitives of ops/layers.ts is a
 * composite of registered primitives, so its gradient comes from theirs (aesthetics R2).
 */
import './ops/index.js';
import { apply, noGrad, record } from './autograd.js';
import { Tensor } from './tensor.js';
import { isFloat, isInt } from './dtype.js';
import { defaultRng } from './random.js';
import * as F from './functional.js';
import type { Conv2DTransposeAttrs, Conv3DAttrs } from './ops/layers.js';

export type { Conv2DTransposeAttrs, Conv3DAttrs } from './ops/layers.js';
export type Reduction = 'none' | 'mean' | 'sum';

/** 3-D convolution (NCDHW), weight [C_out, C_in/group, kD, kH, kW]; padding (head, tail, top, bottom, left, right). */
export const conv3d = (x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv3DAttrs): Tensor => apply('Conv3D', b ? [x, w, b] : [x, w], { ...attrs });

/** 2-D transposed convolution (NCHW), weight [C_in, C_out/group, kH, kW]; see Conv2DTransposeAttrs for padding. */
export const conv2dTranspose = (x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DTransposeAttrs): Tensor =>
  apply('Conv2DTranspose', b ? [x, w, b] : [x, w], { ...attrs });

/** ops.gather_elements(input, dim, index): torch.gather semantics (ops.gather is index_select-like). */
export const gatherElements = (x: Tensor, axis: number, index: Tensor): Tensor => apply('GatherElements', [x, index], { axis });

/** ops.one_hot(indices, depth, on_value=1, off_value=0, axis=-1), float32 output. */
export const oneHot = (indices: Tensor, depth: number, onValue = 1, offValue = 0, axis = -1): Tensor =>
  apply('OneHot', [indices], { depth, onValue, offValue, axis });

/**
 * Rows of `table` [V, E] for integer `ids` of any shape → ids.shape + [E] (nn.Embedding's lookup): a Gather of rows,
 * or with `useOneHot` the one-hot matrix of the ids times the table, as MindSpore computes both.
 */
export function embedding(ids: Tensor, table: Tensor, useOneHot = false): Tensor {
  if (!isInt(ids.dtype)) throw new Error(`embedding: ids must be an integer tensor, got ${ids.dtype}`);
  if (table.ndim !== 2) throw new Error(`embedding: table must be 2-D [vocab_size, embedding_size], got [${table.shape}]`);
  const flat = F.reshape(ids, [ids.size]);
  const rows = useOneHot ? F.matmul(oneHot(flat, table.shape[0]!), table) : F.gather(table, flat, 0);
  return F.reshape(rows, [...ids.shape, table.shape[1]!]);
}

const normAxis = (a: number, ndim: number): number => (a < 0 ? a + ndim : a);
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
/** Shape [1, C, 1, …] that broadcasts a per-channel vector over an (N, C, *) tensor. */
const channelShape = (x: Tensor): number[] => x.shape.map((d, i) => (i === 1 ? d : 1));

/** (x − E[x]) / √(Var[x] + eps) over `axes`, with the biased variance every MindSpore normalisation uses. */
export function standardize(x: Tensor, axes: number[], eps: number): Tensor {
  const xc = F.sub(x, F.mean(x, axes, true));
  const variance = F.mean(F.mul(xc, xc), axes, true);
  return F.div(xc, F.sqrt(F.add(variance, eps)));
}

const affine = (y: Tensor, weight?: Tensor | null, bias?: Tensor | null, shape?: number[]): Tensor => {
  let out = y;
  if (weight) out = F.mul(out, shape ? F.reshape(weight, shape) : weight);
  if (bias) out = F.add(out, shape ? F.reshape(bias, shape) : bias);
  return out;
};

/**
 * MindSpore's LayerNorm primitive (P.LayerNorm(begin_norm_axis, begin_params_axis, epsilon)): normalise over axes
 * begin_norm_axis…R−1; gamma and beta have the shape x.shape[begin_params_axis:] and broadcast from the right.
 */
export function layerNormByAxis(x: Tensor, gamma: Tensor, beta: Tensor, beginNormAxis = -1, beginParamsAxis = -1, epsilon = 1e-7): Tensor {
  const bna = normAxis(beginNormAxis, x.ndim), bpa = normAxis(beginParamsAxis, x.ndim);
  if (bna < 0 || bna >= x.ndim) throw new Error(`LayerNorm: begin_norm_axis ${beginNormAxis} is out of range for a ${x.ndim}-D input`);
  if (bpa < 0 || bpa >= x.ndim) throw new Error(`LayerNorm: begin_params_axis ${beginParamsAxis} is out of range for a ${x.ndim}-D input`);
  const want = x.shape.slice(bpa);
  for (const [name, p] of [['gamma', gamma], ['beta', beta]] as const) {
    if (p.shape.join() !== want.join()) throw new Error(`LayerNorm: ${name} has shape [${p.shape}] but input [${x.shape}] from begin_params_axis ${beginParamsAxis} needs [${want}]`);
  }
  if (bpa === bna && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32') {
    return apply('LayerNorm', [x, gamma, beta], { axis: bna, eps: epsilon });
  }
  return affine(standardize(x, range(bna, x.ndim), epsilon), gamma, beta);
}

/** ops.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5): normalise over the trailing dims. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || x.shape.slice(x.ndim - k).join() !== normalizedShape.join()) {
    throw new Error(`layer_norm: normalized_shape [${normalizedShape}] must be the trailing dims of input [${x.shape}]`);
  }
  if (weight && bias && weight.shape.join() === normalizedShape.join() && bias.shape.join() === normalizedShape.join()
    && x.dtype === 'float32' && weight.dtype === 'float32' && bias.dtype === 'float32') {
    return apply('LayerNorm', [x, weight, bias], { axis: x.ndim - k, eps });
  }
  return affine(standardize(x, range(x.ndim - k, x.ndim), eps), weight, bias);
}

/** ops.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5) over an (N, C, *) input. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const [N, C] = x.shape as [number, number];
  if (x.ndim < 2 || C % numGroups !== 0) throw new Error(`group_norm: input [${x.shape}] needs a channel dim divisible by num_groups ${numGroups}`);
  const grouped = F.reshape(x, [N, numGroups, x.size / (N * numGroups)]);
  return affine(F.reshape(standardize(grouped, [2], eps), x.shape), weight, bias, channelShape(x));
}

/** Instance normalisation of an (N, C, *) input: statistics per sample and channel, biased variance. */
export function instanceNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (x.ndim < 3) throw new Error(`instance_norm: input [${x.shape}] needs spatial dims after (N, C)`);
  return affine(standardize(x, range(2, x.ndim), eps), weight, bias, channelShape(x));
}

/**
 * ops.batch_norm(input_x, running_mean, running_var, weight, bias, training=False, momentum=0.1, eps=1e-5) over an
 * (N, C, *) input. `momentum` here has the PyTorch meaning (the Cell passes 1 − its MindSpore momentum):
 * running = (1 − momentum)·running + momentum·batch. Training normalises with the batch mean and biased variance and
 * updates the running variance with the unbiased one (n/(n−1)·var, 0 when n = 1), as MindSpore's Ascend kernel
 * (TBE bn_training_update: batch_var_scaler = n/(n−1)), cuDNN on GPU and PyTorch do; MindSpore's CPU kernel
 * (mkldnn batch_norm_cpu_kernel.cc, 2.x) feeds oneDNN's biased variance instead, so CPU results differ by n/(n−1)
 * in the moving variance. The running tensors are replaced, not written in place.
 */
export function batchNorm(x: Tensor, runningMean: Tensor, runningVar: Tensor, weight: Tensor, bias: Tensor,
  training = false, momentum = 0.1, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new Error(`batch_norm: input [${x.shape}] needs (N, C, *) dims`);
  const C = x.shape[1]!, shape = channelShape(x);
  for (const [name, p] of [['running_mean', runningMean], ['running_var', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (p.shape.join() !== `${C}`) throw new Error(`batch_norm: ${name} has shape [${p.shape}] but the input has ${C} channels`);
  }
  if (!training) return F.batchNormInference(x, weight, bias, runningMean, runningVar, eps);
  const axes = [0, ...range(2, x.ndim)], n = x.size / C;
  const mean = F.mean(x, axes, true);
  const xc = F.sub(x, mean);
  const variance = F.mean(F.mul(xc, xc), axes, true);
  const y = F.div(xc, F.sqrt(F.add(variance, eps)));
  const unbiased = n > 1 ? n / (n - 1) : 0;
  const update = (run: Tensor, batch: Tensor, scale: number): void => {
    const out = new Float32Array(C);
    for (let c = 0; c < C; c++) out[c] = (1 - momentum) * run.get(c) + momentum * scale * batch.get(c);
    run.data = out;
  };
  update(runningMean, mean, 1);
  update(runningVar, variance, unbiased);
  return affine(y, weight, bias, shape);
}

/**
 * ops.dropout(input, p=0.5, training=True): zero each element with probability p and scale the kept ones by
 * 1/(1 − p) (inverted dropout), drawing the mask from the global seeded RNG.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const rng = defaultRng(), scale = 1 / (1 - p);
  const mask = Tensor.zeros(x.shape, isFloat(x.dtype) ? x.dtype : 'float32');
  for (let i = 0; i < mask.size; i++) mask.data[i] = rng.next() < p ? 0 : scale;
  return F.mul(x, mask);
}

/**
 * The ops.Dropout2D(keep_prob=0.5) primitive over an (N, C, H, W) input: each channel map is kept with probability
 * keep_prob (mask from the global seeded RNG) and the kept ones are scaled by 1/keep_prob (keep_prob 0 drops all).
 * `call` returns `[output, mask]`, the mask a bool Tensor of the input's shape, as the primitive does; the functional
 * ops.dropout2d returns the output only.
 * @example const [out, mask] = new ops.Dropout2D(0.8).call(x)
 */
export class Dropout2D {
  constructor(readonly keepProb = 0.5) {
    if (!(keepProb >= 0 && keepProb <= 1)) throw new Error(`Dropout2D: keep_prob must be in [0, 1], got ${keepProb}`);
  }
  call(x: Tensor): [Tensor, Tensor] {
    if (x.ndim !== 4) throw new Error(`Dropout2D: input must be 4-D (N, C, H, W), got [${x.shape}]`);
    const rng = defaultRng(), [N, C] = x.shape as [number, number], hw = x.size / (N * C);
    const mask = Tensor.zeros(x.shape, 'bool');
    const m = mask.data as Uint8Array;
    for (let nc = 0; nc < N * C; nc++) if (rng.next() < this.keepProb) m.fill(1, nc * hw, (nc + 1) * hw);
    return [F.mul(x, F.mul(F.cast(mask, x.dtype), this.keepProb > 0 ? 1 / this.keepProb : 0)), mask];
  }
}

/** ops.dropout2d(input, p=0.5, training=True): Dropout2D(keep_prob = 1 − p)'s output; the identity when not training. */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout2d: p must be in [0, 1), got ${p}`);
  return training && p > 0 ? new Dropout2D(1 - p).call(x)[0] : x;
}

function checkReduction(reduction: string, op: string): asserts reduction is Reduction {
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') throw new Error(`${op}: reduction must be 'none', 'mean' or 'sum', got '${reduction}'`);
}

/** LossBase.get_loss: 'mean' and 'sum' reduce over every element to a scalar. */
export function reduceLoss(x: Tensor, reduction: Reduction): Tensor {
  checkReduction(reduction, 'loss');
  return reduction === 'mean' ? F.mean(x) : reduction === 'sum' ? F.sum(x) : x;
}

/** ops.mse_loss(input, target, reduction='mean'): (input − target)², broadcasting. */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkReduction(reduction, 'mse_loss');
  const d = F.sub(input, target);
  return reduceLoss(F.mul(d, d), reduction);
}

/**
 * ops.binary_cross_entropy_with_logits(logits, label, weight=None, pos_weight=None, reduction='mean'):
 * −w·[pos_weight·y·log σ(x) + (1 − y)·log(1 − σ(x))], written with softplus (log σ(x) = −softplus(−x)) so large
 * |x| neither overflows nor loses the gradient.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, label: Tensor, weight?: Tensor | null, posWeight?: Tensor | null,
  reduction: Reduction = 'mean'): Tensor {
  checkReduction(reduction, 'binary_cross_entropy_with_logits');
  const pos = F.mul(label, F.softplus(F.neg(logits)));
  let loss = F.add(posWeight ? F.mul(posWeight, pos) : pos, F.mul(F.sub(1, label), F.softplus(logits)));
  if (weight) loss = F.mul(weight, loss);
  return reduceLoss(loss, reduction);
}

/**
 * SoftmaxCrossEntropyWithLogits over the last axis of (N, C) logits: −Σ_c labels·log_softmax(logits); `sparse`
 * labels are class indices, one-hot encoded first. Reduction as LossBase ('none' gives one loss per sample).
 */
export function softmaxCrossEntropyWithLogits(logits: Tensor, labels: Tensor, sparse = false, reduction: Reduction = 'none'): Tensor {
  checkReduction(reduction, 'SoftmaxCrossEntropyWithLogits');
  const C = logits.shape[logits.ndim - 1]!;
  const target = sparse ? oneHot(labels, C) : labels;
  if (target.shape.join() !== logits.shape.join()) throw new Error(`SoftmaxCrossEntropyWithLogits: labels [${labels.shape}] do not match logits [${logits.shape}]${sparse ? ' (sparse: one index per row)' : ''}`);
  if (sparse) return reduceLoss(F.neg(F.sum(F.mul(target, F.logSoftmax(logits, -1)), -1)), reduction);
  // MindSpore's primitive differentiates as (softmax − labels)·dout for the logits — exact only when each row of labels
  // sums to 1 — and not at all for the labels (conformance: measured on 2.10 with unnormalised labels)
  const loss = noGrad(() => F.neg(F.sum(F.mul(target, F.logSoftmax(logits, -1)), -1)));
  const out = new Tensor(loss.data, loss.shape, loss.dtype);
  record('SoftmaxCrossEntropyWithLogits', [logits, labels], [out], ([dy]) => {
    const backprop = noGrad(() => F.sub(F.softmax(logits, -1), target));
    return [F.mul(F.unsqueeze(dy!, -1), backprop), null];
  });
  return reduceLoss(out, reduction);
}

export interface NLLOptions {
  /** per-class rescaling weight, shape (C,) */
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Class axis of a loss input: 0 for (C), 1 for (N, C, d1, …); the input must hold floats. */
const classAxis = (x: Tensor, op: string): number => {
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be a float tensor, got ${x.dtype}`);
  if (x.ndim < 1) throw new Error(`${op}: input must have a class dim, got a scalar`);
  return x.ndim === 1 ? 0 : 1;
};

/**
 * ops.nll_loss(inputs, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0) on
 * log-probabilities, following MindSpore's `_nll_loss` (mindspore/ops/function/nn_func.py, 2.x):
 *   loss_i = −w[t_i]·x[i, t_i]   and   smooth_i = −Σ_c x[i, c]   (unweighted), both 0 where t_i = ignore_index;
 *   'mean': Σ loss_i / Σ w[t_i]  and  mean_i smooth_i (over every target, ignored ones included);
 *   result = (1 − ε)·loss + ε/C·smooth.
 * With label smoothing and class weights or ignored targets this differs from PyTorch, which weights the smoothing
 * term and averages it over the kept targets' weights.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLOptions = {}): Tensor {
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = opts;
  checkReduction(reduction, 'nll_loss');
  const ax = classAxis(input, 'nll_loss'), C = input.shape[ax]!;
  const expect = input.shape.filter((_, i) => i !== ax);
  if (target.shape.join() !== expect.join()) throw new Error(`nll_loss: target has shape [${target.shape}] but input [${input.shape}] needs [${expect}]`);
  if (weight && weight.shape.join() !== `${C}`) throw new Error(`nll_loss: weight has shape [${weight.shape}] but there are ${C} classes`);
  // constants of the targets (no gradient flows to them): safe class index, kept mask, per-target weight
  const safe = Tensor.zeros(target.shape, 'int64'), kept = Tensor.zeros(target.shape), w = Tensor.zeros(target.shape);
  for (let i = 0; i < target.size; i++) {
    const t = target.get(i), keep = t !== ignoreIndex;
    if (keep && !(t >= 0 && t < C)) throw new Error(`nll_loss: target ${t} is out of range for ${C} classes`);
    safe.data[i] = BigInt(keep ? t : 0);
    kept.data[i] = keep ? 1 : 0;
    w.data[i] = keep ? (weight ? weight.get(t) : 1) : 0;
  }
  const picked = F.squeeze(gatherElements(input, ax, F.unsqueeze(safe, ax)), ax);
  let loss = F.neg(F.mul(picked, w));
  let smooth = labelSmoothing > 0 ? F.neg(F.mul(F.sum(input, ax), kept)) : null;
  if (reduction === 'sum') {
    loss = F.sum(loss);
    smooth = smooth && F.sum(smooth);
  } else if (reduction === 'mean') {
    loss = F.div(F.sum(loss), F.sum(w));
    smooth = smooth && F.mean(smooth);
  }
  if (!smooth) return loss;
  return F.add(F.mul(loss, 1 - labelSmoothing), F.mul(smooth, labelSmoothing / C));
}

/**
 * ops.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
 * log_softmax over the class axis, then nll_loss for class-index targets; a target with as many elements as the
 * input holds class probabilities (smoothed to t·(1 − ε) + ε/C), and 'mean' divides by the number of samples.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: NLLOptions = {}): Tensor {
  const ax = classAxis(input, 'cross_entropy');
  const logp = F.logSoftmax(input, ax);
  if (input.size !== target.size) return nllLoss(logp, target, opts);
  const { weight = null, reduction = 'mean', labelSmoothing = 0 } = opts;
  checkReduction(reduction, 'cross_entropy');
  const C = input.shape[ax]!;
  const probs = labelSmoothing > 0 ? F.add(F.mul(target, 1 - labelSmoothing), labelSmoothing / C) : target;
  let prodT = F.mul(logp, probs);
  if (weight) prodT = F.mul(prodT, ax === 0 ? weight : F.reshape(weight, channelShape(input)));
  if (reduction === 'sum') return F.neg(F.sum(prodT));
  if (reduction === 'mean') return F.div(F.neg(F.sum(prodT)), input.size / C);
  return F.neg(F.sum(prodT, ax));
}
