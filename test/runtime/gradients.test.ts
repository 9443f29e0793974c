/**
 * Every registered op with a backward passes a central-difference gradient check (test/helpers/gradcheck.ts states
 * the step and tolerances). The last test fails when an op gains a backward without a case here.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { getOp, registeredOps } from '../../src/runtime/ops/index.js';
import { apply } from '../../src/runtime/autograd.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randn } from '../helpers/parity.js';

/** Random values pushed at least 0.05 away from 0, where relu/abs/clip-like ops have kinks. */
const awayFromZero = (shape: number[], seed: number): Tensor => {
  const t = randn(shape, seed);
  return new Tensor(Float32Array.from(t.data as Float32Array, v => v + Math.sign(v || 1) * 0.05), shape, 'float32');
};
/** Distinct values spaced 0.1 apart in shuffled order, so max/argmax routing is stable under a 1e-2 step. */
const spaced = (shape: number[], seed: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = randn([n], seed).toArray().map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  return new Tensor(Float32Array.from(perm, i => 0.1 * i - 0.05 * n), shape, 'float32');
};
const positive = (shape: number[], seed: number): Tensor => new Tensor(Float32Array.from(randn(shape, seed).data as Float32Array, v => Math.abs(v) + 0.5), shape, 'float32');

const pool = { kernel: [2, 2], stride: [2, 1], padding: [1, 0, 0, 1], dilation: [1, 1], ceilMode: false } as const;

type Case = { inputs: Tensor[]; attrs?: Record<string, unknown>; wrt?: number[] };
const cases: Record<string, Case[]> = {
  Add: [{ inputs: [randn([2, 3], 1), randn([3], 2)] }],
  Sub: [{ inputs: [randn([2, 3], 1), randn([2, 1], 2)] }],
  Mul: [{ inputs: [randn([2, 3], 1), randn([1, 3], 2)] }],
  Div: [{ inputs: [randn([2, 3], 1), positive([3], 2)] }],
  Pow: [{ inputs: [positive([4], 1), randn([4], 2)] }],
  Maximum: [{ inputs: [spaced([6], 1), spaced([6], 2)] }],
  Minimum: [{ inputs: [spaced([6], 3), spaced([6], 4)] }],
  Neg: [{ inputs: [randn([5], 1)] }],
  Abs: [{ inputs: [awayFromZero([5], 1)] }],
  Relu: [{ inputs: [awayFromZero([6], 1)] }],
  Sigmoid: [{ inputs: [randn([6], 1)] }],
  Tanh: [{ inputs: [randn([6], 1)] }],
  Exp: [{ inputs: [randn([6], 1)] }],
  Log: [{ inputs: [positive([6], 1)] }],
  Sqrt: [{ inputs: [positive([6], 1)] }],
  Reciprocal: [{ inputs: [positive([6], 1)] }],
  Erf: [{ inputs: [randn([6], 1)] }],
  GeLU: [{ inputs: [randn([6], 1)] }],
  SiLU: [{ inputs: [randn([6], 1)] }],
  Mish: [{ inputs: [randn([6], 1)] }],
  Softplus: [{ inputs: [randn([6], 1)] }],
  LeakyRelu: [{ inputs: [awayFromZero([6], 1)], attrs: { alpha: 0.2 } }],
  Elu: [{ inputs: [awayFromZero([6], 1)], attrs: { alpha: 1.0 } }],
  HardSigmoid: [{ inputs: [new Tensor(Float32Array.from([-4, -2, -0.5, 0.7, 2.2, 4]), [6], 'float32')], attrs: { alpha: 1 / 6, beta: 0.5 } }],
  HardSwish: [{ inputs: [new Tensor(Float32Array.from([-4, -2, -0.5, 0.7, 2.2, 4]), [6], 'float32')] }],
  Clip: [{ inputs: [new Tensor(Float32Array.from([-2, -0.8, -0.3, 0.4, 0.9, 2]), [6], 'float32')], attrs: { min: -0.5, max: 0.5 } }],
  Where: [{ inputs: [Tensor.from([true, false, true, false]), randn([4], 1), randn([1], 2)], wrt: [1, 2] }],
  Cast: [{ inputs: [randn([3], 1)], attrs: { to: 'float32' } }],
  MatMul: [
    { inputs: [randn([2, 3, 4], 1), randn([4, 2], 2)] },
    // 1-D operands (numpy promotion): vector · matrix, batched matrix · vector, vector · vector
    { inputs: [randn([4], 1), randn([4, 3], 2)] },
    { inputs: [randn([2, 3, 4], 1), randn([4], 2)] },
    { inputs: [randn([4], 1), randn([4], 2)] },
  ],
  Dense: [{ inputs: [randn([3, 4], 1), randn([2, 4], 2), randn([2], 3)] }, { inputs: [randn([2, 2, 4], 1), randn([3, 4], 2)] }],
  Conv2D: [
    { inputs: [randn([2, 2, 5, 5], 1), randn([3, 2, 3, 3], 2), randn([3], 3)], attrs: { stride: [2, 1], padding: [1, 0, 1, 2], dilation: [1, 1], group: 1 } },
    { inputs: [randn([1, 4, 5, 5], 1), randn([4, 2, 2, 2], 2)], attrs: { stride: [1, 1], padding: [0, 0, 0, 0], dilation: [2, 1], group: 2 } },
    { inputs: [randn([1, 3, 4, 4], 1), randn([3, 1, 3, 3], 2)], attrs: { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], group: 3 } },
  ],
  MaxPool2D: [{ inputs: [spaced([1, 2, 4, 5], 1)], attrs: pool }],
  AvgPool2D: [{ inputs: [randn([1, 2, 4, 5], 1)], attrs: { ...pool, countIncludePad: false } }, { inputs: [randn([1, 1, 5, 5], 1)], attrs: { ...pool, countIncludePad: true, ceilMode: true } }],
  AdaptivePool2D: [{ inputs: [randn([1, 2, 5, 7], 1)], attrs: { outputSize: [2, 3], mode: 'avg' } }, { inputs: [spaced([1, 2, 5, 7], 1)], attrs: { outputSize: [3, 2], mode: 'max' } }],
  BatchNormInference: [{ inputs: [randn([2, 3, 2, 2], 1), positive([3], 2), randn([3], 3), randn([3], 4), positive([3], 5)], attrs: { eps: 1e-5 } }],
  LayerNorm: [{ inputs: [randn([2, 3, 4], 1), randn([3, 4], 2), randn([3, 4], 3)], attrs: { axis: 1, eps: 1e-5 } }, { inputs: [randn([3, 5], 4), randn([5], 5), randn([5], 6)], attrs: { axis: 1, eps: 1e-3 } }],
  ReduceSum: [{ inputs: [randn([2, 3, 4], 1)], attrs: { axes: [1], keepDims: false } }],
  ReduceMean: [{ inputs: [randn([2, 3, 4], 1)], attrs: { axes: [0, 2], keepDims: true } }],
  ReduceMax: [{ inputs: [spaced([2, 3, 4], 1)], attrs: { axes: [2], keepDims: false } }],
  Softmax: [{ inputs: [randn([2, 5], 1)], attrs: { axis: -1 } }],
  LogSoftmax: [{ inputs: [randn([3, 4], 1)], attrs: { axis: 0 } }],
  Reshape: [{ inputs: [randn([2, 6], 1)], attrs: { shape: [3, -1] } }],
  Transpose: [{ inputs: [randn([2, 3, 4], 1)], attrs: { perm: [2, 0, 1] } }],
  Concat: [{ inputs: [randn([2, 1, 3], 1), randn([2, 2, 3], 2)], attrs: { axis: 1 } }],
  StridedSlice: [{ inputs: [randn([4, 5], 1)], attrs: { begin: [3, 0], end: [-1, 5], strides: [-2, 2] } }],
  Gather: [{ inputs: [randn([4, 3], 1), Tensor.from([2, 0, 2, -1], 'int64')], attrs: { axis: 0 }, wrt: [0] }],
  Pad: [
    { inputs: [randn([2, 3], 1)], attrs: { pads: [[1, 0], [2, 1]], mode: 'constant', value: 0 } },
    { inputs: [randn([1, 4], 1)], attrs: { pads: [[0, 0], [2, 3]], mode: 'reflect', value: 0 } },
    { inputs: [randn([3, 2], 1)], attrs: { pads: [[1, 2], [1, 1]], mode: 'edge', value: 0 } },
  ],
  Expand: [{ inputs: [randn([3, 1], 1)], attrs: { shape: [2, 3, 4] } }],
  Conv3D: [{ inputs: [randn([1, 2, 3, 4, 3], 1), randn([2, 1, 2, 2, 2], 2), randn([2], 3)], attrs: { stride: [2, 1, 1], padding: [1, 0, 1, 1, 0, 1], dilation: [1, 2, 1], group: 2 } }],
  Conv2DTranspose: [{ inputs: [randn([1, 2, 3, 2], 1), randn([2, 2, 2, 3], 2), randn([4], 3)], attrs: { stride: [2, 2], padding: [1, 0, 0, 1], dilation: [1, 1], group: 2, outputPadding: [1, 1] } }],
  GatherElements: [{ inputs: [randn([2, 2, 3], 1), Tensor.from([[[0, 2], [1, 1]], [[2, 2], [0, 1]]], 'int64')], attrs: { axis: 2 }, wrt: [0] }],
  // a/b kept away from integers, where the quotient (and so the gradient) jumps
  Mod: [
    { inputs: [Tensor.from([0.3, 1.7, -2.2, 5.5], 'float32'), Tensor.from([0.7, 0.9, 1.3, 2.0], 'float32')], attrs: { fmod: false } },
    { inputs: [Tensor.from([0.3, 1.7, -2.2, 5.5], 'float32'), Tensor.from([0.7, 0.9, 1.3, 2.0], 'float32')], attrs: { fmod: true } },
  ],
  ScatterND: [{ inputs: [randn([5, 3], 1), Tensor.from([[1], [3]], 'int64'), randn([2, 3], 2)], wrt: [0, 2] }],
  CumSum: [
    { inputs: [randn([2, 5], 1)], attrs: { axis: 1, exclusive: false, reverse: false } },
    { inputs: [randn([3, 2], 2)], attrs: { axis: 0, exclusive: true, reverse: true } },
  ],
  // ops.interpolate: nearest (asymmetric, floor) and linear (half-pixel, align-corners), up and down
  Resize: [
    { inputs: [randn([1, 2, 4, 5], 1)], attrs: { mode: 'nearest', coord: 'asymmetric', nearest: 'floor', sizes: [1, 2, 7, 9], scales: [1, 1, 7 / 4, 9 / 5] } },
    { inputs: [randn([1, 2, 4, 5], 2)], attrs: { mode: 'linear', coord: 'half_pixel', nearest: 'floor', sizes: [1, 2, 7, 9], scales: [1, 1, 7 / 4, 9 / 5] } },
    { inputs: [randn([1, 2, 4, 5], 3)], attrs: { mode: 'linear', coord: 'align_corners', nearest: 'floor', sizes: [1, 2, 3, 9], scales: [1, 1, 3 / 4, 9 / 5] } },
  ],
};

describe('gradient checks against central differences', () => {
  for (const [name, list] of Object.entries(cases)) {
    list.forEach((c, k) => {
      it(`${name}${list.length > 1 ? ` #${k + 1}` : ''}`, () => {
        const bad = gradcheck((...xs) => apply(name, xs, c.attrs ?? {}), c.inputs, { wrt: c.wrt });
        expect(bad.slice(0, 5)).toEqual([]);
      });
    });
  }

  it('every op with a backward has a case here', () => {
    const differentiable = registeredOps().filter(n => getOp(n).backward);
    expect(differentiable.filter(n => !(n in cases))).toEqual([]);
  });
});
