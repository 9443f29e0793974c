/**
 * Seed 004: "网络参数的更新" (MindSpore r1.3 programming guide on Parameter), /work/shared/seeds/004_03aaa5bca12d7210.txt.
 * Each test names the section it reproduces.
 *
 * Not reproduced as written, and why:
 * - `data: Parameter (name=x, ...)`: MindSpore's `Parameter.data` returns the Parameter itself; msport's `data` is the
 *   element buffer every op reads, so the test checks that the Parameter prints what the seed shows for `x.data`.
 * - `set_param_ps` (train through a Parameter Server) and `layerwise_parallel` / `sliced` / `is_init` /
 *   `inited_param` behaviour in parallel or GE-backend training: msport runs standalone on one device. The attributes
 *   exist with their standalone values, which is what the seed prints.
 * - `print(x, "\n\n", y, "\n\n", z)`: Python's print joins its arguments with spaces; the seed's rendering collapsed
 *   the blank lines, so each repr is compared on its own.
 */
import { describe, expect, it } from 'vitest';
import { Parameter, ParameterTuple, Tensor } from '../../src/index.js';
import { initializer } from '../../src/runtime/initializer.js';
import { anyGeneratedName, golden, pyTuple } from '../helpers/seed.js';

const arange23 = (): Tensor => Tensor.from([[0, 1, 2], [3, 4, 5]]); // Tensor(np.arange(2*3).reshape((2, 3))): Int64

describe('seed 004 § 初始化', () => {
  it('Parameter from a Tensor, an Initializer and a float', () => {
    const x = new Parameter(arange23(), 'x');
    const y = new Parameter(initializer('ones', [1, 2, 3], 'float32'), 'y');
    const z = new Parameter(2.0, 'z');
    expect([x, y, z].map(String)).toEqual(golden('004/print(x, y, z)'));
    // "Tensor仅保存张量的形状和类型,而不保存实际数据": y holds no values until init_data
    expect(y.isLazy).toBe(true);
    expect(y.initData().toArray()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(z.item()).toBe(2);
  });

  it('an int default_input is a Parameter too; layerwise_parallel defaults to False', () => {
    const n = new Parameter(3, 'n');
    expect([n.shape, n.item(), n.layerwiseParallel]).toEqual([[], 3, false]);
    expect(new Parameter(1.5, 'm', true, true).layerwiseParallel).toBe(true);
  });
});

describe('seed 004 § 属性', () => {
  it('name, sliced, is_init, inited_param, requires_grad, layerwise_parallel, data', () => {
    const x = new Parameter(arange23(), 'x');
    const lines = [
      `name: ${x.name}`,
      `sliced: ${x.sliced ? 'True' : 'False'}`,
      `is_init: ${x.isInit ? 'True' : 'False'}`,
      `inited_param: ${x.initedParam ?? 'None'}`,
      `requires_grad: ${x.requiresGrad ? 'True' : 'False'}`,
      `layerwise_parallel: ${x.layerwiseParallel ? 'True' : 'False'}`,
      // MindSpore 2.10: Parameter.data is a Tensor, printed as numpy prints it (the seed, r1.3, printed the Parameter)
      `data: ${x.str()}`,
    ];
    expect(lines).toEqual(golden('004/attributes'));
  });
});

describe('seed 004 § 方法', () => {
  it('clone, init_data and set_data on a Parameter made from an Initializer', () => {
    // MindSpore 2.10 names an unnamed Parameter Parameter#<n> (the seed printed Parameter) and takes set_data(data)
    const x = new Parameter(initializer('ones', [1, 2, 3], 'float32'));
    const printed: unknown[] = [String(x)];
    const xClone = x.clone();
    xClone.name = 'x_clone';
    printed.push(String(xClone));
    const inited = x.initData();
    printed.push(String(inited));
    expect(inited.toArray()).toEqual([1, 1, 1, 1, 1, 1]);
    const set = x.setData(Tensor.from([[[0, 1, 2], [3, 4, 5]]])); // np.arange(2*3).reshape((1, 2, 3)): Int64, cast
    printed.push(String(set), x.tolist());
    expect(set).toBe(x);
    expect(printed.map(v => (typeof v === 'string' ? anyGeneratedName(v) : v))).toEqual(golden('004/methods'));
    expect(xClone.toArray()).toEqual([1, 1, 1, 1, 1, 1]); // the clone has its own data
  });

  it('set_data takes a Tensor, an Initializer or a number; the shape must match unless slice_shape=True', () => {
    const x = new Parameter(Tensor.zeros([3]), 'b');
    x.setData(initializer('ones', [3], 'float32'));
    expect(x.toArray()).toEqual([1, 1, 1]);
    expect(() => x.setData(Tensor.zeros([4]))).toThrow(/set_data shape \(4,\) does not match \(3,\)/);
    x.setData(Tensor.from([[1, 2], [3, 4]], 'float32'), true);
    expect([x.shape, x.toArray()]).toEqual([[2, 2], [1, 2, 3, 4]]);
    const z = new Parameter(2.0, 'z');
    z.setData(7);
    expect([z.shape, z.item(), z.dtype]).toEqual([[], 7, 'float32']);
  });
});

describe('seed 004 § ParameterTuple', () => {
  it('ParameterTuple((x, y, z)).clone("params_copy")', () => {
    const x = new Parameter(arange23(), 'x');
    const y = new Parameter(initializer('ones', [1, 2, 3], 'float32'), 'y');
    const z = new Parameter(2.0, 'z');
    const params = new ParameterTuple([x, y, z]);
    const paramsCopy = params.clone('params_copy');
    expect([pyTuple([...params]), pyTuple([...paramsCopy])]).toEqual(golden('004/ParameterTuple'));
    // clone(init='same') copies the values into new Parameters
    expect(paramsCopy.at(0)!.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    paramsCopy.at(0)!.setItem(0, 9);
    expect(x.get(0)).toBe(0);
    expect(params.clone('moments', 'zeros').at(1)!.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
