/**
 * The ops the seed documents brought in (gt/select/fill/ones/ones_like, stack, argmax, unsorted_segment_sum, assign,
 * uniform, Dropout2D/dropout2d), on the cases the seeds do not reach: argument forms, gradients and error messages.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { Parameter } from '../../src/runtime/parameter.js';
import { grad } from '../../src/runtime/grad.js';
import { setSeed } from '../../src/runtime/random.js';
import * as ops from '../../src/runtime/functional.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randn } from '../helpers/parity.js';

describe('creation and selection', () => {
  it('fill(dtype, shape, value), ones/zeros (a number shape is 1-D), ones_like/zeros_like keep shape and dtype', () => {
    expect([ops.fill('int32', [2], 7).dtype, ops.fill('int32', [2], 7).toArray()]).toEqual(['int32', [7, 7]]);
    expect([ops.ones(3).shape, ops.ones(3).dtype]).toEqual([[3], 'float32']);
    expect(ops.zeros([1, 2], 'int64').tolist()).toEqual([[0, 0]]);
    const t = Tensor.from([[1, 2]], 'int32');
    expect([ops.onesLike(t).dtype, ops.onesLike(t).tolist(), ops.zerosLike(t, 'float32').dtype]).toEqual(['int32', [[1, 1]], 'float32']);
  });

  it('gt and select take numbers in the Tensor dtype; select routes the gradient by the condition', () => {
    const x = Tensor.from([0.1, 0.5, -1], 'float32');
    expect(ops.gt(x, 0.1).toArray()).toEqual([0, 1, 0]);
    expect(ops.gt(0, x).toArray()).toEqual([0, 0, 1]);
    expect(ops.select(ops.gt(x, 0), x, 0).toArray()).toEqual([Math.fround(0.1), 0.5, 0]);
    const g = grad((a: Tensor) => ops.sum(ops.select(ops.gt(a, 0.2), a, ops.mul(a, 3))))(x) as Tensor;
    expect(g.toArray()).toEqual([3, 1, 3]);
  });
});

describe('stack', () => {
  it('joins along a new axis (negative axes count from the new rank) and is differentiable', () => {
    const a = Tensor.from([[1, 2], [3, 4]], 'float32'), b = Tensor.from([[5, 6], [7, 8]], 'float32');
    expect(ops.stack([a, b]).tolist()).toEqual([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect(ops.stack([a, b], -1).tolist()).toEqual([[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
    expect(ops.stack([Tensor.from([1, 2], 'int32')]).dtype).toBe('int32');
    const bad = gradcheck((p, q) => ops.stack([p!, q!], 1), [randn([2, 3], 1), randn([2, 3], 2)]);
    expect(bad).toEqual([]);
    expect(() => ops.stack([])).toThrow('stack: needs at least one tensor');
  });
});

describe('argmax', () => {
  it('int64 index of the first maximum; dim None flattens; keepdim keeps the axis', () => {
    const x = Tensor.from([[1, 20, 5], [67, 8, 9], [130, 24, 15]], 'float32'); // the MindSpore docs example
    expect([ops.argmax(x, -1).toArray(), ops.argmax(x, -1).dtype]).toEqual([[1, 0, 0], 'int64']);
    expect([ops.argmax(x).shape, ops.argmax(x).item()]).toEqual([[], 6]);
    expect(ops.argmax(x, 0, true).tolist()).toEqual([[2, 2, 2]]);
    expect(ops.argmax(Tensor.from([3, 7, 7], 'float32'), 0).item()).toBe(1);
  });
});

describe('unsorted_segment_sum', () => {
  it('sums rows into their segment, drops ids out of range, and passes the gradient back to each row', () => {
    const x = Tensor.from([[1, 2], [3, 4], [5, 6], [7, 8]], 'float32');
    const ids = Tensor.from([0, 2, 0, 5], 'int32');
    expect(ops.unsortedSegmentSum(x, ids, 3).tolist()).toEqual([[6, 8], [0, 0], [3, 4]]);
    const g = grad((t: Tensor) => ops.sum(ops.mul(ops.unsortedSegmentSum(t, ids, 3), Tensor.from([[1], [10], [100]], 'float32'))))(x) as Tensor;
    expect(g.tolist()).toEqual([[1, 1], [100, 100], [1, 1], [0, 0]]);
    expect(() => ops.unsortedSegmentSum(x, Tensor.from([0, 1], 'int32'), 2)).toThrow(/segment_ids shape \[2\] must be a prefix of input_x shape \[4,2\]/);
  });
});

describe('assign', () => {
  it('writes the value into the Parameter (cast to its dtype) and returns the Parameter; the shape must match', () => {
    const p = new Parameter(Tensor.zeros([3]), 'p');
    expect(ops.assign(p, Tensor.from([7, 8, 9]))).toBe(p);
    expect([p.dtype, p.toArray()]).toEqual(['float32', [7, 8, 9]]);
    expect(() => ops.assign(p, Tensor.zeros([2]))).toThrow(/set_data shape \(2,\) does not match \(3,\)/);
  });
});

describe('uniform', () => {
  it('without an op seed it draws from the global generator, so setSeed replays it', () => {
    setSeed(5);
    const a = ops.uniform([3], 0, 1).toArray();
    setSeed(5);
    expect(ops.uniform([3], 0, 1).toArray()).toEqual(a);
  });

  it('op seeds: per seed a fixed sequence of streams, independent of other seeds and of the global generator', () => {
    setSeed(0);
    const s1 = ops.uniform([2], -1, 1, 1).toArray();
    ops.uniform([2], -1, 1); // unseeded draws do not disturb seeded ones
    const s2 = ops.uniform([2], -1, 1, 2).toArray();
    setSeed(0);
    expect(ops.uniform([2], -1, 1, 2).toArray()).toEqual(s2);
    expect(ops.uniform([2], -1, 1, 1).toArray()).toEqual(s1);
    setSeed(1); // another global seed, other streams
    expect(ops.uniform([2], -1, 1, 1).toArray()).not.toEqual(s1);
  });

  it('checks its bounds and dtype', () => {
    expect(() => ops.uniform([2], 1, 1)).toThrow('uniform: minval (1) must be below maxval (1)');
    expect(() => ops.uniform([2], 0, 1, null, 'int32')).toThrow('uniform: dtype must be a float type, got int32');
  });
});

describe('Dropout2D / dropout2d', () => {
  it('keep_prob=1 keeps everything; dropout2d is the identity when not training', () => {
    const x = randn([2, 3, 2, 2], 1);
    const [out, mask] = new ops.Dropout2D(1).call(x);
    expect([out.toArray(), mask.toArray().every(v => v === 1)]).toEqual([x.toArray(), true]);
    expect(ops.dropout2d(x, 0.5, false)).toBe(x);
    setSeed(3);
    const y = ops.dropout2d(x, 0.5).toArray();
    expect(y.every((v, i) => v === 0 || Math.abs(v - 2 * x.get(i)) < 1e-6)).toBe(true);
  });

  it('keep_prob 0 drops every channel; a keep_prob outside [0, 1] and non-4-D inputs are rejected', () => {
    const [out, mask] = new ops.Dropout2D(0).call(Tensor.full([1, 2, 1, 1], 3));
    expect([out.toArray(), mask.toArray()]).toEqual([[0, 0], [0, 0]]);
    expect(() => new ops.Dropout2D(1.5)).toThrow('Dropout2D: keep_prob must be in [0, 1], got 1.5');
    expect(() => new ops.Dropout2D(0.5).call(Tensor.zeros([2, 3]))).toThrow('Dropout2D: input must be 4-D (N, C, H, W), got [2,3]');
    expect(() => ops.dropout2d(Tensor.zeros([1, 1, 1, 1]), 1)).toThrow('dropout2d: p must be in [0, 1), got 1');
  });
});
