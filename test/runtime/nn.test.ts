/**
 * nn layers: MindSpore defaults (each with its source: the reference sheet /work/shared/reference/mindspore-api.md
 * "§n", or the MindSpore 2.x Python source file named), forward values against hand-computed references, gradients
 * against central differences, reprs and parameter names.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { Rng, setSeed } from '../../src/runtime/random.js';
import { getOp } from '../../src/runtime/ops/index.js';
import { backward } from '../../src/runtime/autograd.js';
import * as nn from '../../src/runtime/nn/index.js';
import * as ops from '../../src/runtime/functional.js';
import { gradcheck } from '../helpers/gradcheck.js';

const rand = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
};
const f32 = (v: Parameters<typeof Tensor.from>[0]): Tensor => Tensor.from(v, 'float32');
const expectArrayClose = (got: number[], want: number[], digits = 5): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `element ${i}`).toBeCloseTo(want[i]!, digits));
};
/** (v − mean) / √(biased var + eps) of a plain array. */
const standardize = (v: number[], eps: number): number[] => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
  return v.map(x => (x - m) / Math.sqrt(variance + eps));
};
const hasGrad = (op: string): boolean => Boolean(getOp(op).backward);

describe('MindSpore defaults', () => {
  it('normalisation layers (§2; normalization.py)', () => {
    const bn = new nn.BatchNorm2d(3);
    expect([bn.eps, bn.momentum, bn.affine, bn.useBatchStatistics, bn.training]).toEqual([1e-5, 0.9, true, null, false]);
    const ln = new nn.LayerNorm([4]);
    expect([ln.beginNormAxis, ln.beginParamsAxis, ln.epsilon]).toEqual([-1, -1, 1e-7]);
    const gn = new nn.GroupNorm(2, 4);
    expect([gn.eps, gn.affine]).toEqual([1e-5, true]);
    const inorm = new nn.InstanceNorm2d(3);
    expect([inorm.eps, inorm.momentum, inorm.affine]).toEqual([1e-5, 0.1, true]);
  });

  it('convolutions (§1): pad_mode same, has_bias False, group 1', () => {
    for (const c of [new nn.Conv3d(2, 4, 3), new nn.Conv2dTranspose(2, 4, 3)]) {
      expect([c.padMode, c.hasBias, c.group, c.padding, c.bias]).toEqual(['same', false, 1, 0, null]);
      expect(c.stride.every(s => s === 1) && c.dilation.every(d => d === 1)).toBe(true);
    }
    expect(new nn.Conv2dTranspose(2, 4, 3).outputPadding).toEqual([0, 0]);
  });

  it('Dropout keep_prob 0.5 (§4), Embedding (§6), losses (mindspore/nn/loss/loss.py)', () => {
    expect(new nn.Dropout().p).toBe(0.5);
    const emb = new nn.Embedding(10, 4);
    expect([emb.useOneHot, emb.dtype, emb.paddingIdx]).toEqual([false, 'float32', null]);
    expect(new nn.MSELoss().reduction).toBe('mean');
    const bce = new nn.BCEWithLogitsLoss();
    expect([bce.reduction, bce.weight, bce.posWeight]).toEqual(['mean', null, null]);
    const sce = new nn.SoftmaxCrossEntropyWithLogits();
    expect([sce.sparse, sce.reduction]).toEqual([false, 'none']);
    const ce = new nn.CrossEntropyLoss();
    expect([ce.weight, ce.ignoreIndex, ce.reduction, ce.labelSmoothing]).toEqual([null, -100, 'mean', 0]);
  });

  it('activations that already existed keep their MindSpore defaults (§5)', () => {
    expect(new nn.GELU().approximate).toBe(true);
    expect(new nn.LeakyReLU().alpha).toBe(0.2);
    expect(new nn.Softmax().axis).toBe(-1);
    expect(new nn.LogSoftmax().axis).toBe(-1);
    const x = f32([-1, 0.5, 2]);
    expectArrayClose(new nn.SiLU().forward(x).toArray(), [-1, 0.5, 2].map(v => v / (1 + Math.exp(-v))));
    expectArrayClose(new nn.LogSoftmax().forward(x).toArray(), ops.log(new nn.Softmax().forward(x)).toArray());
  });
});

describe('LayerNorm', () => {
  it('normalises the last axis with epsilon 1e-7: [1, 2, 3, 4] → (x − 2.5)/√1.25', () => {
    const y = new nn.LayerNorm([4]).forward(f32([[1, 2, 3, 4]]));
    expectArrayClose(y.toArray(), [1, 2, 3, 4].map(v => (v - 2.5) / Math.sqrt(1.25 + 1e-7)), 6);
  });

  it('begin_norm_axis=1, begin_params_axis=1 normalises and scales over the trailing dims', () => {
    const x = rand([2, 2, 3], 1);
    const ln = new nn.LayerNorm([2, 3], { beginNormAxis: 1, beginParamsAxis: 1, gammaInit: 2, betaInit: 0.5 });
    const y = ln.forward(x).toArray();
    const want = [...standardize(x.toArray().slice(0, 6), 1e-7), ...standardize(x.toArray().slice(6), 1e-7)].map(v => 2 * v + 0.5);
    expectArrayClose(y, want);
  });

  it('default axes with a 2-D normalized_shape only normalise the last axis and reject the gamma shape', () => {
    expect(() => new nn.LayerNorm([2, 3]).forward(rand([4, 2, 3], 2))).toThrow(/gamma has shape \[2,3\] but input \[4,2,3\] from begin_params_axis -1 needs \[3\]/);
    expect(() => new nn.LayerNorm([] as number[])).toThrow(/non-empty tuple or list/);
  });

  it('gradcheck: input, gamma, beta', () => {
    const f = (x: Tensor, g: Tensor, b: Tensor) => ops.layerNormByAxis(x, g, b, 1, 1, 1e-7);
    expect(gradcheck(f, [rand([2, 2, 3], 3), rand([2, 3], 4, 0.5, 1.5), rand([2, 3], 5)])).toEqual([]);
    expect(gradcheck((x: Tensor) => ops.layerNorm(x, [3]), [rand([2, 3], 6)])).toEqual([]);
  });
});

describe('GroupNorm', () => {
  it('normalises each group of channels per sample (biased variance, eps 1e-5)', () => {
    const x = rand([2, 4, 3], 7);
    const gn = new nn.GroupNorm(2, 4, { gammaInit: 3, betaInit: -1 });
    const v = x.toArray(), want: number[] = [];
    for (let n = 0; n < 2; n++) for (let g = 0; g < 2; g++) want.push(...standardize(v.slice(n * 12 + g * 6, n * 12 + g * 6 + 6), 1e-5).map(t => 3 * t - 1));
    expectArrayClose(gn.forward(x).toArray(), want);
  });

  it('checks the channel count and divisibility', () => {
    expect(() => new nn.GroupNorm(3, 4)).toThrow(/num_channels 4 must be divisible by num_groups 3/);
    expect(() => new nn.GroupNorm(2, 4).forward(rand([1, 6, 2], 1))).toThrow(/must equal num_channels 4/);
  });

  it('gradcheck: input, gamma, beta', () => {
    const f = (x: Tensor, g: Tensor, b: Tensor) => ops.groupNorm(x, 2, g, b, 1e-5);
    expect(gradcheck(f, [rand([2, 4, 2, 2], 8), rand([4], 9, 0.5, 1.5), rand([4], 10)])).toEqual([]);
  });
});

describe('InstanceNorm2d', () => {
  it('normalises each (sample, channel) plane with its own statistics in both phases', () => {
    const x = rand([2, 3, 2, 2], 11);
    const inorm = new nn.InstanceNorm2d(3);
    const want: number[] = [];
    for (let k = 0; k < 6; k++) want.push(...standardize(x.toArray().slice(4 * k, 4 * k + 4), 1e-5));
    expectArrayClose(inorm.forward(x).toArray(), want);
    expectArrayClose(inorm.setTrain().forward(x).toArray(), want);
    expect(inorm.parametersAndNames().map(([n, p]) => [n, p.requiresGrad])).toEqual([['moving_mean', false], ['moving_variance', false], ['gamma', true], ['beta', true]]);
    expect(inorm.parametersAndNames().map(([, p]) => p.name)).toEqual(['mean', 'variance', 'gamma', 'beta']); // MindSpore 2.10's own names
    expect(() => inorm.forward(rand([2, 3, 4], 1))).toThrow(/must be 4-D/);
  });

  it('gradcheck: input, gamma, beta', () => {
    const f = (x: Tensor, g: Tensor, b: Tensor) => ops.instanceNorm(x, g, b, 1e-5);
    expect(gradcheck(f, [rand([2, 2, 2, 3], 12), rand([2], 13, 0.5, 1.5), rand([2], 14)])).toEqual([]);
  });
});

describe('BatchNorm train phase', () => {
  // channel 0 holds 1, 2, 3, 4 and channel 1 holds 3, 5, 7, 9 across N = 2, H = 1, W = 2
  const x = () => f32([[[[1, 2]], [[3, 5]]], [[[3, 4]], [[7, 9]]]]);
  const ch0 = [1, 2, 3, 4], ch1 = [3, 5, 7, 9];
  // batch means 2.5 and 6; biased variances 1.25 and 5; unbiased (n/(n−1), n = 4) 5/3 and 20/3

  it('normalises with the batch mean and biased variance', () => {
    const y = new nn.BatchNorm2d(2).setTrain().forward(x()).toArray();
    const [a, b] = [standardize(ch0, 1e-5), standardize(ch1, 1e-5)];
    expectArrayClose(y, [a[0]!, a[1]!, b[0]!, b[1]!, a[2]!, a[3]!, b[2]!, b[3]!]);
  });

  it('one step updates moving = moving·0.9 + batch·0.1, the variance unbiased (Ascend BNTrainingUpdate / cuDNN / PyTorch)', () => {
    const bn = new nn.BatchNorm2d(2).setTrain();
    bn.forward(x());
    expectArrayClose(bn.moving_mean.toArray(), [0.25, 0.6], 6);
    expectArrayClose(bn.moving_variance.toArray(), [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 20 / 3], 6);
    bn.forward(x());
    expectArrayClose(bn.moving_mean.toArray(), [0.9 * 0.25 + 0.25, 0.9 * 0.6 + 0.6], 6);
    const bn5 = new nn.BatchNorm2d(2, { momentum: 0.5 }).setTrain();
    bn5.forward(x());
    expectArrayClose(bn5.moving_mean.toArray(), [1.25, 3], 6);
  });

  it('predict phase uses (and keeps) the moving statistics', () => {
    const bn = new nn.BatchNorm2d(2).setTrain();
    bn.forward(x());
    const [mm, mv] = [bn.moving_mean.toArray(), bn.moving_variance.toArray()];
    bn.setTrain(false);
    const y = bn.forward(x()).toArray();
    const want = x().toArray().map((v, i) => { const c = Math.floor(i / 2) % 2; return (v - mm[c]!) / Math.sqrt(mv[c]! + 1e-5); });
    expectArrayClose(y, want);
    expect(bn.moving_mean.toArray()).toEqual(mm);
  });

  it('use_batch_statistics True uses batch statistics even in predict phase; False uses moving ones in train phase', () => {
    const always = new nn.BatchNorm2d(2, { useBatchStatistics: true });
    expectArrayClose(always.forward(x()).toArray(), new nn.BatchNorm2d(2).setTrain().forward(x()).toArray());
    expectArrayClose(always.moving_mean.toArray(), [0.25, 0.6], 6);
    const never = new nn.BatchNorm2d(2, { useBatchStatistics: false }).setTrain();
    expectArrayClose(never.forward(x()).toArray(), x().toArray().map(v => v / Math.sqrt(1 + 1e-5)));
    expect(never.moving_mean.toArray()).toEqual([0, 0]);
  });

  it('BatchNorm1d accepts (N, C) and (N, C, L); the ranks are checked', () => {
    const bn = new nn.BatchNorm1d(2).setTrain();
    expectArrayClose(bn.forward(f32([[1, 3], [2, 5], [3, 7], [4, 9]])).toArray(),
      [0, 1, 2, 3].flatMap(i => [standardize(ch0, 1e-5)[i]!, standardize(ch1, 1e-5)[i]!]));
    expect(bn.forward(rand([3, 2, 4], 1)).shape).toEqual([3, 2, 4]);
    expect(() => bn.forward(rand([1, 2, 2, 2], 1))).toThrow(/BatchNorm1d: input must be 2-D or 3-D/);
    expect(() => new nn.BatchNorm2d(2).forward(rand([2, 2], 1))).toThrow(/BatchNorm2d: input must be 4-D/);
  });

  it('gradcheck: train phase (input, gamma, beta) and the predict phase with gradients enabled', () => {
    const rm = () => f32([0.1, -0.2]), rv = () => f32([1.5, 0.5]);
    const train = (xx: Tensor, g: Tensor, b: Tensor) => ops.batchNorm(xx, rm(), rv(), g, b, true, 0.1, 1e-5);
    expect(gradcheck(train, [rand([3, 2, 2, 2], 15), rand([2], 16, 0.5, 1.5), rand([2], 17)])).toEqual([]);
    const predict = (xx: Tensor, g: Tensor, b: Tensor) => ops.batchNorm(xx, rm(), rv(), g, b, false, 0.1, 1e-5);
    expect(gradcheck(predict, [rand([2, 2, 3], 18), rand([2], 19), rand([2], 20)])).toEqual([]);
  });
});

describe('Dropout', () => {
  it('is the identity in predict phase (Cells start there, §0)', () => {
    const x = rand([4, 4], 1);
    expect(new nn.Dropout({ p: 0.9 }).forward(x)).toBe(x);
  });

  it('train phase: zero fraction p within 5 standard errors √(p(1−p)/n), kept values scaled by 1/(1 − p)', () => {
    setSeed(123);
    const n = 20_000, p = 0.3;
    const y = new nn.Dropout({ p }).setTrain().forward(Tensor.full([n], 2)).toArray();
    const zeros = y.filter(v => v === 0).length / n;
    expect(Math.abs(zeros - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p) / n));
    expect(y.filter(v => v !== 0).every(v => Math.abs(v - 2 / 0.7) < 1e-6)).toBe(true);
  });

  it('the mask comes from the global seeded RNG', () => {
    const run = (seed: number) => { setSeed(seed); return new nn.Dropout().setTrain().forward(Tensor.full([64], 1)).toArray(); };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('p wins over keep_prob; keep_prob alone means p = 1 − keep_prob (nn/layer/basic.py)', () => {
    expect(new nn.Dropout({ keepProb: 0.8 }).p).toBeCloseTo(0.2, 12);
    expect(new nn.Dropout({ keepProb: 0.8, p: 0.6 }).p).toBe(0.6);
    expect(() => new nn.Dropout({ p: 1 })).toThrow(/p must be in \[0, 1\)/);
    expect(() => new nn.Dropout({ keepProb: 0 })).toThrow(/keep_prob must be in \(0, 1\]/);
    const x = rand([3], 2);
    expect(new nn.Dropout({ keepProb: 1 }).setTrain().forward(x)).toBe(x);
  });

  it('gradcheck with a fixed mask', () => {
    const f = (x: Tensor) => { setSeed(9); return ops.dropout(x, 0.4); };
    expect(gradcheck(f, [rand([4, 5], 3)])).toEqual([]);
  });
});

describe('Embedding', () => {
  it('looks up rows of embedding_table: output ids.shape + [embedding_size]', () => {
    setSeed(1);
    const emb = new nn.Embedding(5, 3);
    const y = emb.forward(Tensor.from([[4, 0], [2, 2]]));
    expect(y.shape).toEqual([2, 2, 3]);
    const row = (r: number) => emb.embedding_table.toArray().slice(3 * r, 3 * r + 3);
    expect(y.toArray()).toEqual([...row(4), ...row(0), ...row(2), ...row(2)]);
    const oneHot = new nn.Embedding(5, 3, { useOneHot: true, embeddingTable: 'uniform' });
    oneHot.embedding_table.setData(emb.embedding_table);
    expectArrayClose(oneHot.forward(Tensor.from([[4, 0], [2, 2]])).toArray(), y.toArray(), 6);
  });

  it('padding_idx zeroes that row at construction; ids must be integers', () => {
    const emb = new nn.Embedding(4, 2, { paddingIdx: 1, embeddingTable: 'ones' });
    expect(emb.embedding_table.tolist()).toEqual([[1, 1], [0, 0], [1, 1], [1, 1]]);
    expect(() => new nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow(/padding_idx must be an int in \[0, 4\)/);
    expect(() => emb.forward(f32([1]))).toThrow(/ids must be an integer tensor/);
  });

  it('gradcheck of the table through the one-hot lookup', () => {
    const ids = Tensor.from([[1, 3], [1, 0]]);
    expect(gradcheck((t: Tensor) => ops.embedding(ids, t, true), [rand([4, 3], 4)])).toEqual([]);
  });

  it.runIf(hasGrad('Gather'))('gradcheck of the table through the Gather lookup (needs the core Gather backward)', () => {
    const ids = Tensor.from([[1, 3], [1, 0]]);
    expect(gradcheck((t: Tensor) => ops.embedding(ids, t, false), [rand([4, 3], 5)])).toEqual([]);
  });
});

describe('Conv3d', () => {
  it("'same' keeps ceil(in/stride) with the odd padding at the tail; 'valid' and 'pad' follow the usual formula", () => {
    const x = rand([1, 2, 5, 6, 7], 1);
    expect(new nn.Conv3d(2, 3, 3).forward(x).shape).toEqual([1, 3, 5, 6, 7]);
    expect(new nn.Conv3d(2, 3, 2, { stride: 2 }).forward(x).shape).toEqual([1, 3, 3, 3, 4]);
    expect(new nn.Conv3d(2, 3, [3, 2, 1], { padMode: 'valid' }).forward(x).shape).toEqual([1, 3, 3, 5, 7]);
    expect(new nn.Conv3d(2, 3, 3, { padMode: 'pad', padding: [1, 0, 2, 2, 0, 1] }).forward(x).shape).toEqual([1, 3, 4, 8, 6]);
    const c = new nn.Conv3d(2, 3, 2, { hasBias: true });
    expect(c.effectivePadding(5, 6, 7)).toEqual([0, 1, 0, 1, 0, 1]);
    const explicit = ops.conv3d(x, c.weight, c.bias, { stride: [1, 1, 1], padding: [0, 1, 0, 1, 0, 1], dilation: [1, 1, 1], group: 1 });
    expect(c.forward(x).toArray()).toEqual(explicit.toArray());
  });

  it('checks padding, group and rank', () => {
    expect(() => new nn.Conv3d(2, 3, 3, { padding: 1 })).toThrow(/padding must be 0 when pad_mode is 'same'/);
    expect(() => new nn.Conv3d(2, 3, 3, { padMode: 'pad', padding: [1, 1] })).toThrow(/6-tuple \(head, tail, top, bottom, left, right\)/);
    expect(() => new nn.Conv3d(2, 3, 3, { group: 2 })).toThrow(/must be divisible by group 2/);
    expect(() => new nn.Conv3d(2, 3, 3).forward(rand([1, 2, 4, 4], 1))).toThrow(/must be 5-D/);
  });

  it('gradients reach input, weight and bias through the Cell', () => {
    const c = new nn.Conv3d(2, 2, 2, { hasBias: true, padMode: 'pad', padding: 1 });
    const x = rand([1, 2, 2, 2, 2], 2);
    x.requiresGrad = true;
    backward(ops.sum(c.forward(x)));
    expect([x.grad?.shape, c.weight.grad?.shape, c.bias!.grad?.shape]).toEqual([[1, 2, 2, 2, 2], [2, 2, 2, 2, 2], [2]]);
  });
});

describe('Conv2dTranspose', () => {
  it("output sizes: MindSpore's example (pad: [1, 3, 16, 50] → [1, 64, 19, 53]), same H·s, valid H·s + max(fs − s, 0)", () => {
    expect(new nn.Conv2dTranspose(3, 64, 4, { padMode: 'pad' }).forward(Tensor.zeros([1, 3, 16, 50])).shape).toEqual([1, 64, 19, 53]);
    const x = rand([1, 2, 3, 4], 1);
    expect(new nn.Conv2dTranspose(2, 3, 3, { stride: 2 }).forward(x).shape).toEqual([1, 3, 6, 8]);
    expect(new nn.Conv2dTranspose(2, 3, 1, { stride: 2 }).forward(x).shape).toEqual([1, 3, 6, 8]);
    expect(new nn.Conv2dTranspose(2, 3, 3, { stride: 2, padMode: 'valid' }).forward(x).shape).toEqual([1, 3, 7, 9]);
    expect(new nn.Conv2dTranspose(2, 3, [1, 2], { stride: 3, padMode: 'valid' }).forward(x).shape).toEqual([1, 3, 9, 12]);
    expect(new nn.Conv2dTranspose(2, 3, 3, { stride: 2, dilation: 2, padMode: 'valid' }).forward(x).shape).toEqual([1, 3, 9, 11]);
  });

  it("'same' with kernel 4, stride 2 crops one row/column each side (= PyTorch ConvTranspose2d(k=4, s=2, p=1))", () => {
    const ct = new nn.Conv2dTranspose(2, 3, 4, { stride: 2, hasBias: true });
    const x = rand([1, 2, 3, 3], 2);
    expect(ct.effectivePadding()).toEqual([1, 1, 1, 1]);
    const explicit = ops.conv2dTranspose(x, ct.weight, ct.bias, { stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], group: 1, outputPadding: [0, 0] });
    expect(ct.forward(x).toArray()).toEqual(explicit.toArray());
  });

  it('output_padding appends zero rows/columns after the bias (MindSpore pads the result) and needs pad_mode pad', () => {
    const ct = new nn.Conv2dTranspose(2, 2, 3, { stride: 2, padMode: 'pad', padding: 1, outputPadding: 1, hasBias: true, biasInit: 5 });
    const y = ct.forward(rand([1, 2, 3, 3], 3));
    expect(y.shape).toEqual([1, 2, 6, 6]);
    const t = y.tolist() as number[][][][];
    expect(t[0]![1]![5]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(t[0]![0]!.map(r => r[5])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => new nn.Conv2dTranspose(2, 2, 3, { stride: 2, outputPadding: 1 })).toThrow(/when output_padding is not zero, pad_mode must be 'pad'/);
    expect(() => new nn.Conv2dTranspose(2, 2, 3, { stride: 2, padMode: 'pad', outputPadding: 2 })).toThrow(/output_padding\[0\] must be in range of \[0, max\(stride, dilation\)\)/);
  });

  it('weight layout [in, out/group, kH, kW]; gradients reach input, weight and bias', () => {
    const ct = new nn.Conv2dTranspose(4, 6, [2, 3], { group: 2, hasBias: true });
    expect(ct.weight.shape).toEqual([4, 3, 2, 3]);
    const x = rand([1, 4, 2, 2], 4);
    x.requiresGrad = true;
    backward(ops.sum(ct.forward(x)));
    expect([x.grad?.shape, ct.weight.grad?.shape, ct.bias!.grad?.shape]).toEqual([[1, 4, 2, 2], [4, 3, 2, 3], [6]]);
  });
});

describe('losses', () => {
  const logits = () => f32([[1, 2, 3], [1, 1, 1], [0.5, -1, 2]]);
  const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  const logp = (row: number[]) => row.map(v => v - lse(row));

  it('MSELoss: mean, sum, none, broadcasting', () => {
    const x = f32([1, 2, 3]), y = f32([1, 1, 1]);
    expect(new nn.MSELoss().forward(x, y).item()).toBeCloseTo(5 / 3, 6);
    expect(new nn.MSELoss('sum').forward(x, y).item()).toBeCloseTo(5, 6);
    expect(new nn.MSELoss('none').forward(x, y).toArray()).toEqual([0, 1, 4]);
    expect(new nn.MSELoss().forward(f32([[1, 2], [3, 4]]), f32([1, 2])).item()).toBeCloseTo(2, 6);
    expect(() => new nn.MSELoss('avg' as 'mean')).toThrow(/reduction must be 'none', 'mean' or 'sum', got 'avg'/);
  });

  it('BCEWithLogitsLoss: −w·[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))], stable for large |x|', () => {
    const x = [[0.5, -1], [2, 0], [40, -40]], y = [[1, 0], [0, 1], [0, 1]], w = [1, 2], pw = [3, 1];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const naive = (v: number, t: number, j: number) => -w[j]! * (pw[j]! * t * Math.log(sig(v)) + (1 - t) * Math.log(1 - sig(v)));
    // the last row is where the naive form breaks down (σ(40) rounds to 1); its limits are softplus(40) = 40 by hand
    const ref = [naive(0.5, 1, 0), naive(-1, 0, 1), naive(2, 0, 0), naive(0, 1, 1), 1 * 40, 2 * 1 * 40];
    const loss = new nn.BCEWithLogitsLoss('none', f32(w), f32(pw)).forward(f32(x), f32(y)).toArray();
    expectArrayClose(loss, ref, 4);
    const plain = new nn.BCEWithLogitsLoss().forward(f32([0, 0]), f32([1, 0])).item();
    expect(plain).toBeCloseTo(Math.LN2, 6);
  });

  it('SoftmaxCrossEntropyWithLogits: per-sample −Σ labels·log_softmax, dense and sparse', () => {
    const rows = logits().tolist() as number[][];
    const want = [-logp(rows[0]!)[2]!, -logp(rows[1]!)[0]!, -logp(rows[2]!)[1]!];
    const dense = new nn.SoftmaxCrossEntropyWithLogits().forward(logits(), f32([[0, 0, 1], [1, 0, 0], [0, 1, 0]]));
    expectArrayClose(dense.toArray(), want);
    const sparse = new nn.SoftmaxCrossEntropyWithLogits(true, 'mean').forward(logits(), Tensor.from([2, 0, 1]));
    expect(sparse.item()).toBeCloseTo(want.reduce((s, v) => s + v, 0) / 3, 5);
    expect(want[0]).toBeCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)), 6);
  });

  it('CrossEntropyLoss with class indices: known logits, weights, ignore_index', () => {
    const rows = logits().tolist() as number[][];
    const t = [2, 0, 1];
    const nll = rows.map((r, i) => -logp(r)[t[i]!]!);
    expect(new nn.CrossEntropyLoss().forward(f32([[1, 2, 3]]), Tensor.from([2])).item()).toBeCloseTo(0.40760596444438, 6);
    expect(new nn.CrossEntropyLoss().forward(logits(), Tensor.from(t)).item()).toBeCloseTo((nll[0]! + nll[1]! + nll[2]!) / 3, 5);
    const w = [0.2, 1, 3];
    const weighted = new nn.CrossEntropyLoss({ weight: f32(w) }).forward(logits(), Tensor.from(t)).item();
    expect(weighted).toBeCloseTo((3 * nll[0]! + 0.2 * nll[1]! + 1 * nll[2]!) / (3 + 0.2 + 1), 5);
    const ignored = new nn.CrossEntropyLoss({ ignoreIndex: 0 }).forward(logits(), Tensor.from(t)).item();
    expect(ignored).toBeCloseTo((nll[0]! + nll[2]!) / 2, 5);
    const none = new nn.CrossEntropyLoss({ reduction: 'none', ignoreIndex: 0 }).forward(logits(), Tensor.from(t)).toArray();
    expectArrayClose(none, [nll[0]!, 0, nll[2]!]);
    expect(new nn.CrossEntropyLoss({ reduction: 'sum' }).forward(logits(), Tensor.from(t)).item()).toBeCloseTo(nll[0]! + nll[1]! + nll[2]!, 5);
    expect(() => new nn.CrossEntropyLoss().forward(logits(), Tensor.from([3, 0, 1]))).toThrow(/target 3 is out of range for 3 classes/);
  });

  it("label smoothing follows MindSpore's _nll_loss: (1 − ε)·Σ w·nll / Σ w + ε/C · mean(−Σ_c log p), smoothing unweighted", () => {
    const rows = logits().tolist() as number[][];
    const t = [2, 0, 1], w = [0.2, 1, 3], eps = 0.3, C = 3;
    const lp = rows.map(logp);
    // ignore class 0 (sample 1): its nll and smoothing terms are zeroed, but the smoothing mean still divides by 3
    const kept = [0, 2];
    const nll = kept.reduce((s, i) => s + w[t[i]!]! * -lp[i]![t[i]!]!, 0) / kept.reduce((s, i) => s + w[t[i]!]!, 0);
    const smooth = kept.reduce((s, i) => s - lp[i]!.reduce((a, v) => a + v, 0), 0) / 3;
    const got = new nn.CrossEntropyLoss({ weight: f32(w), ignoreIndex: 0, labelSmoothing: eps }).forward(logits(), Tensor.from(t)).item();
    expect(got).toBeCloseTo((1 - eps) * nll + (eps / C) * smooth, 5);
  });

  it('CrossEntropyLoss with class probabilities, with (N, C, d) inputs and with a single (C) sample', () => {
    const rows = logits().tolist() as number[][];
    const probs = [[0.1, 0.2, 0.7], [1, 0, 0], [0.3, 0.3, 0.4]];
    const per = rows.map((r, i) => -logp(r).reduce((s, v, c) => s + v * probs[i]![c]!, 0));
    expect(new nn.CrossEntropyLoss().forward(logits(), f32(probs)).item()).toBeCloseTo(per.reduce((s, v) => s + v, 0) / 3, 5);
    const smoothed = probs.map(p => p.map(v => v * 0.9 + 0.1 / 3));
    const perS = rows.map((r, i) => -logp(r).reduce((s, v, c) => s + v * smoothed[i]![c]!, 0));
    expect(new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits(), f32(probs)).item()).toBeCloseTo(perS.reduce((s, v) => s + v, 0) / 3, 5);
    // (N=1, C=3, d=3): the class axis is 1
    const x3 = ops.reshape(ops.transpose(logits(), [1, 0]), [1, 3, 3]);
    expectArrayClose(new nn.CrossEntropyLoss({ reduction: 'none' }).forward(x3, Tensor.from([[2, 0, 1]])).toArray(),
      rows.map((r, i) => -logp(r)[[2, 0, 1][i]!]!));
    expect(new nn.CrossEntropyLoss().forward(f32([1, 2, 3]), Tensor.from(2)).item()).toBeCloseTo(0.40760596444438, 6);
  });

  it('gradcheck of every loss with respect to its logits', () => {
    const x = rand([3, 4], 21, -2, 2);
    const idx = Tensor.from([3, 0, 1]);
    const probs = ops.softmax(rand([3, 4], 22));
    expect(gradcheck((l: Tensor) => ops.mseLoss(l, probs), [x])).toEqual([]);
    expect(gradcheck((l: Tensor) => ops.binaryCrossEntropyWithLogits(l, probs, f32([1, 2, 0.5, 1]), f32([2, 1, 1, 3])), [x])).toEqual([]);
    expect(gradcheck((l: Tensor) => ops.softmaxCrossEntropyWithLogits(l, idx, true, 'none'), [x])).toEqual([]);
    expect(gradcheck((l: Tensor) => ops.softmaxCrossEntropyWithLogits(l, probs, false, 'mean'), [x])).toEqual([]);
    const ce = new nn.CrossEntropyLoss({ weight: f32([1, 2, 0.5, 1]), ignoreIndex: 1, labelSmoothing: 0.2 });
    expect(gradcheck((l: Tensor) => ce.forward(l, idx), [x])).toEqual([]);
    expect(gradcheck((l: Tensor) => ops.crossEntropy(l, probs, { labelSmoothing: 0.1, reduction: 'sum' }), [x])).toEqual([]);
    expect(gradcheck((l: Tensor) => ops.nllLoss(ops.logSoftmax(l, 1), idx, { reduction: 'none' }), [x])).toEqual([]);
  });
});

describe('reprs and parameter names', () => {
  // the strings MindSpore 2.10 prints (conformance/test_cells.py checks each class against real MindSpore)
  it('MindSpore extend_repr strings', () => {
    expect(new nn.LayerNorm([4]).toString()).toBe(
      'LayerNorm(normalized_shape=(4,), begin_norm_axis=-1, begin_params_axis=-1, ' +
      'gammaParameter (name=gamma, shape=(4,), dtype=Float32, requires_grad=True), beta=Parameter (name=beta, shape=(4,), dtype=Float32, requires_grad=True))');
    expect(new nn.GroupNorm(2, 4).toString()).toBe('GroupNorm(num_groups=2, num_channels=4)');
    expect(new nn.Conv2dTranspose(3, 64, 4, { padMode: 'pad', padding: [1, 1, 2, 2] }).toString()).toMatch(new RegExp(
      '^Conv2dTranspose\\(input_channels=3, output_channels=64, kernel_size=\\(4, 4\\), stride=\\(1, 1\\), pad_mode=pad, padding=\\(1, 1, 2, 2\\), dilation=\\(1, 1\\), group=1, has_bias=False, ' +
      'weight_init=<mindspore.common.initializer.HeUniform object at 0x[0-9a-f]+>, bias_init=None, format=NCHW\\)$'));
    expect(new nn.Conv3d(2, 4, [3, 1, 1]).toString()).toMatch(new RegExp(
      '^Conv3d\\(input_channels=2, output_channels=4, kernel_size=\\(3, 1, 1\\), stride=\\(1, 1, 1\\), pad_mode=same, padding=0, dilation=\\(1, 1, 1\\), group=1, has_bias=False, ' +
      'weight_init=<mindspore.common.initializer.HeUniform object at 0x[0-9a-f]+>, bias_init=None, format=NCDHW\\)$'));
    expect(new nn.Embedding(10, 4, { paddingIdx: 0 }).toString()).toBe(
      'Embedding(vocab_size=10, embedding_size=4, use_one_hot=False, embedding_table=Parameter (name=embedding_table, shape=(10, 4), dtype=Float32, requires_grad=True), dtype=Float32, padding_idx=0)');
    expect(new nn.Dropout().toString()).toBe('Dropout(keep_prob=0.5)');
    expect(new nn.Dropout({ p: 0.1 }).toString()).toBe('Dropout(p=0.1)');
    expect(new nn.InstanceNorm2d(2).toString()).toMatch(/^InstanceNorm2d\(num_features=2, eps=1e-05, momentum=0\.1, gamma=Parameter \(name=gamma/);
    expect(new nn.CrossEntropyLoss().toString()).toBe('CrossEntropyLoss()');
  });

  it('parameter names follow the attribute path (§9)', () => {
    const net = new nn.SequentialCell([new nn.Conv3d(1, 2, 1, { hasBias: true }), new nn.LayerNorm([2]), new nn.GroupNorm(1, 2), new nn.Embedding(3, 2), new nn.Conv2dTranspose(2, 2, 1)]);
    expect(net.parametersAndNames().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.gamma', '1.beta', '2.gamma', '2.beta', '3.embedding_table', '4.weight']);
  });
});
