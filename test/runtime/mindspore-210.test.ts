/**
 * Behaviours real MindSpore 2.10 showed the conformance suite (conformance/RESULTS.md), pinned here so `npm test`
 * keeps them without Python: each expected value is MindSpore 2.10's output on CPU for the same call.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, nn, ops } from '../../src/index.js';

const f32 = (v: number[]) => Tensor.from(v, 'float32');

describe('MindSpore 2.10 semantics found by conformance', () => {
  it('relu6(NaN) is 0 and hswish(-inf) is 0 (MindSpore CPU), gelu(tanh) of 3.4e38 overflows to inf', () => {
    expect(ops.relu6(f32([NaN, Infinity, -Infinity, 7])).toArray()).toEqual([0, 6, 0, 6]);
    expect(new nn.HSwish().forward(f32([-Infinity])).toArray()).toEqual([0]);
    expect(new nn.GELU().forward(f32([3.4e38])).toArray()).toEqual([Infinity]);
  });

  it('LeakyReLU multiplies by float32(alpha)', () => {
    const x = -1.7000000476837158; // float32(-1.7)
    expect(new nn.LeakyReLU().forward(f32([x])).toArray()).toEqual([Math.fround(x * Math.fround(0.2))]);
  });

  it('ELU and ops.elu refuse alpha other than 1.0, as MindSpore 2.10 does', () => {
    expect(() => new nn.ELU(0.5).forward(f32([1]))).toThrow(/alpha must be 1\.0/);
    expect(ops.elu(f32([-1]), 1).toArray()[0]).toBeCloseTo(Math.expm1(-1), 6);
  });

  it('LayerNorm takes begin_norm_axis in [-1, rank)', () => {
    const x = Tensor.zeros([2, 3, 5]);
    expect(() => new nn.LayerNorm([3, 5], { beginNormAxis: -2, beginParamsAxis: -2 }).forward(x))
      .toThrow("LayerNorm: input_x's rank is 3, while the 'begin_norm_axis' value should be in the range [-1, 3), but got -2");
    expect(new nn.LayerNorm([3, 5], { beginNormAxis: 1, beginParamsAxis: 1 }).forward(x).shape).toEqual([2, 3, 5]);
  });

  it('Cells print as MindSpore 2.10 prints them', () => {
    expect(new nn.Conv2d(3, 8, 3, { padMode: 'pad', padding: 1, hasBias: true }).toString()).toMatch(
      /^Conv2d\(input_channels=3, output_channels=8, kernel_size=\(3, 3\), stride=\(1, 1\), pad_mode=pad, padding=1, dilation=\(1, 1\), group=1, has_bias=True, weight_init=<mindspore\.common\.initializer\.HeUniform object at 0x[0-9a-f]+>, bias_init=<mindspore\.common\.initializer\.Uniform object at 0x[0-9a-f]+>, format=NCHW\)$/);
    expect(new nn.MaxPool2d(3, 2, { padMode: 'pad', padding: 1 }).toString()).toBe('MaxPool2d(kernel_size=3, stride=2, pad_mode=PAD)');
    expect(new nn.Dense(6, 5, { hasBias: false }).toString()).toBe('Dense(input_channels=6, output_channels=5)');
    expect(new nn.SequentialCell([new nn.ReLU(), new nn.LeakyReLU(0.1)]).toString()).toBe('SequentialCell(\n  (0): ReLU()\n  (1): LeakyReLU()\n)');
  });
});

describe('AvgPool2d pad_mode=same (MindSpore 2.10 CPU, conformance)', () => {
  it('averages over the valid elements of each window', () => {
    const x = Tensor.from(Array.from({ length: 49 }, (_, i) => i), 'float32').view([1, 1, 7, 7]);
    // window of output (0, 0): rows and columns −1…1, of which 0 and 1 exist: mean(0, 1, 7, 8) = 4
    expect(new nn.AvgPool2d(3, 2, { padMode: 'same' }).forward(x).toArray().slice(0, 4)).toEqual([4, 5.5, 7.5, 9]);
  });
});


describe('NaN in max pooling (MindSpore 2.10 CPU, conformance: *(edge))', () => {
  it('MaxPool2d skips a NaN; AdaptiveMaxPool2d propagates it', () => {
    const x = Tensor.from([NaN, Infinity, 1, 2], 'float32').view([1, 1, 2, 2]);
    expect(new nn.MaxPool2d(2, 2).forward(x).toArray()).toEqual([Infinity]);
    expect(new nn.AdaptiveMaxPool2d(1).forward(x).toArray()).toEqual([NaN]);
  });
});

describe('ops.clamp of NaN (MindSpore 2.10 CPU, conformance: ops.clamp(edge 4x5))', () => {
  it('gives min, or max when only max is given', () => {
    const x = Tensor.from([NaN, 5, -5], 'float32');
    expect(ops.clamp(x, -1, 1).toArray()).toEqual([-1, 1, -1]);
    expect(ops.clamp(x, -Infinity, 1).toArray()).toEqual([1, 1, -5]);
  });
});

describe('clamp order (MindSpore 2.10 CPU, conformance: exact comparisons count signed zeros)', () => {
  it('relu6 and clamp(x, 0, 6) of −0 are +0; clamp(−0, −1, 1) stays −0', () => {
    const x = Tensor.from(Array(12).fill(-0), 'float32');
    expect(Object.is(ops.relu6(x).get(0), 0)).toBe(true);
    expect(Object.is(ops.clamp(x, 0, 6).get(9), 0)).toBe(true);
    expect(Object.is(ops.clamp(x, -1, 1).get(0), -0)).toBe(true);
  });
});
