/**
 * Tensor's repr, which follows MindSpore's C++ TensorStringifier (mindspore/core/ir/tensor.cc) with use_comma=true:
 * floats `%15.8e` (float16 `%11.4e`), bools right-aligned in 5 columns, ints padded to the widest printed one, a
 * scalar with `%g`; rows past 6 and 1-D tensors past 1000 entries summarised with `...`.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { initializer } from '../../src/runtime/initializer.js';

const repr = (t: Tensor): string => String(t);
const arange = (n: number, dtype: 'float32' | 'int64' = 'float32'): Tensor => Tensor.from(Array.from({ length: n }, (_, i) => i), dtype);

describe('Tensor repr (MindSpore Tensor.__repr__)', () => {
  it('floats: scientific, 8 digits, 15 columns; 2-D and up start on a new line with one space of indent per depth', () => {
    expect(repr(Tensor.from([[1.5, -2], [0, 1e-10]], 'float32'))).toBe(
      'Tensor(shape=[2, 2], dtype=Float32, value=\n[[ 1.50000000e+00, -2.00000000e+00],\n [ 0.00000000e+00,  1.00000001e-10]])');
    expect(repr(Tensor.from([[[1]], [[2]]], 'float32'))).toBe(
      'Tensor(shape=[2, 1, 1], dtype=Float32, value=\n[[[ 1.00000000e+00]],\n [[ 2.00000000e+00]]])');
    expect(repr(Tensor.from([1e300, -1e-300], 'float64'))).toBe('Tensor(shape=[2], dtype=Float64, value= [1.00000000e+300, -1.00000000e-300])'); // 15 characters: no padding
    expect(repr(Tensor.from([NaN, Infinity, -Infinity, -0], 'float32'))).toBe(
      'Tensor(shape=[4], dtype=Float32, value= [            nan,             inf,            -inf, -0.00000000e+00])');
    expect(repr(Tensor.from([0.1], 'float16'))).toBe('Tensor(shape=[1], dtype=Float16, value= [ 1.0000e-01])');
  });

  it('ints are padded to the widest printed value; bools to 5 columns; int64 prints exactly', () => {
    expect(repr(Tensor.from([[0, 1, 2], [3, 4, 5]]))).toBe('Tensor(shape=[2, 3], dtype=Int64, value=\n[[0, 1, 2],\n [3, 4, 5]])');
    expect(repr(Tensor.from([-1, 10, 3], 'int32'))).toBe('Tensor(shape=[3], dtype=Int32, value= [-1, 10,  3])');
    expect(repr(Tensor.from([true, false]))).toBe('Tensor(shape=[2], dtype=Bool, value= [ True, False])');
    expect(repr(Tensor.from([2n ** 62n + 1n], 'int64'))).toBe('Tensor(shape=[1], dtype=Int64, value= [4611686018427387905])');
  });

  it('0-d tensors print the value with %g; an empty tensor prints nothing', () => {
    const cases: [Tensor, string][] = [
      [Tensor.scalar(2), '2'], [Tensor.scalar(2.5), '2.5'], [Tensor.scalar(100000), '100000'], [Tensor.scalar(1234567), '1.23457e+06'],
      [Tensor.scalar(1e-5), '1e-05'], [Tensor.scalar(0.0001), '0.0001'], [Tensor.scalar(-0), '-0'], [Tensor.scalar(1 / 3), '0.333333'],
      [Tensor.scalar(3, 'int32'), '3'], [Tensor.scalar(1, 'bool'), 'True'],
    ];
    for (const [t, v] of cases) expect(repr(t)).toBe(`Tensor(shape=[], dtype=${t.dtype === 'int32' ? 'Int32' : t.dtype === 'bool' ? 'Bool' : 'Float32'}, value= ${v})`);
    expect(repr(Tensor.zeros([0, 3]))).toBe('Tensor(shape=[0, 3], dtype=Float32, value=\n)');
  });

  it('1-D: a line break after every 12 floats (24 ints); summarised only past 1000 entries', () => {
    expect(repr(arange(13))).toBe(`Tensor(shape=[13], dtype=Float32, value= [${
      Array.from({ length: 12 }, (_, i) => ` ${i.toExponential(8).replace(/e\+(\d)$/, 'e+0$1')}`).join(', ')}, \n  1.20000000e+01])`);
    expect(repr(arange(25, 'int64')).split('\n')).toHaveLength(2);
    expect(repr(arange(1001, 'int64'))).toBe('Tensor(shape=[1001], dtype=Int64, value= [   0,    1,    2 ...  998,  999, 1000])');
  });

  it('rows and columns past 6 keep the first and last 3', () => {
    const t = arange(64, 'int64').view([8, 8]);
    expect(repr(t)).toBe([
      'Tensor(shape=[8, 8], dtype=Int64, value=',
      '[[ 0,  1,  2 ...  5,  6,  7],',
      ' [ 8,  9, 10 ... 13, 14, 15],',
      ' [16, 17, 18 ... 21, 22, 23],',
      ' ...',
      ' [40, 41, 42 ... 45, 46, 47],',
      ' [48, 49, 50 ... 53, 54, 55],',
      ' [56, 57, 58 ... 61, 62, 63]])',
    ].join('\n'));
  });

  it('printing an initializer Tensor draws its values first', () => {
    const t = initializer('ones', [2], 'float32') as Tensor & { isLazy: boolean };
    expect(t.isLazy).toBe(true);
    expect(repr(t)).toBe('Tensor(shape=[2], dtype=Float32, value= [ 1.00000000e+00,  1.00000000e+00])');
    expect(t.isLazy).toBe(false);
  });
});
