/**
 * Seed 000: "Cell与参数" (MindSpore r2.0 tutorial, advanced/modules/layer), /work/shared/seeds/000_d6e9493fc3f7f8ce.md
 * (the .txt beside it is the same notebook as JSON). Each test names the section it reproduces.
 *
 * Not reproduced as written, and why:
 * - The Network's `np.random.randn` weights: w and b are set to the values the seed printed (parameters_and_names).
 * - `print(x.asnumpy())` is numpy's array printing (`[-1.2192779 -0.36789745 0.0946381 ]`); msport has no numpy, so
 *   the printed values are compared instead of numpy's layout.
 * - `print(type(net.get_parameters()))` prints the Python type `<class 'generator'>`; TypeScript has no Python type
 *   objects, so the test checks the equivalent property: a one-shot iterator, not a list.
 * - `@ms.jit` on modify_parameter compiles the function to a graph (GRAPH_MODE); msport is eager only, so the body
 *   (`ops.assign(net.b, b_hat)`) runs undecorated.
 * - `dropout_2d.bprop_debug = True` is a graph-mode debugging switch for custom bprop; msport always runs `bprop`
 *   eagerly, so there is nothing to switch. The seed never calls dropout_2d; the test calls it.
 *
 * Tolerance: float32 values the seed prints to ~8 significant digits are compared at 1e-6 relative (expectClose).
 */
import { describe, expect, it } from 'vitest';
import { Cell, Parameter, ParameterTuple, Tensor, grad, ops, setSeed } from '../../src/index.js';
import { initializer } from '../../src/runtime/initializer.js';
import { asRendered, expectClose, golden, pyList, SEED_000_B, SEED_000_W } from '../helpers/seed.js';

// the values `for name, param in net.parameters_and_names(): print(...)` printed
const W = SEED_000_W;
const B = SEED_000_B;

/** The seed's fully connected layer: `z = ops.matmul(x, self.w) + self.b`. */
class Network extends Cell {
  w = new Parameter(Tensor.from(W, 'float32'), 'w'); // weight
  b = new Parameter(Tensor.from(B, 'float32'), 'b'); // bias
  construct(x: Tensor): Tensor { return ops.add(ops.matmul(x, this.w), this.b); }
}

describe('seed 000 § Parameter', () => {
  it('Network: w and b named by `name`, used through self.w / self.b in construct', () => {
    const net = new Network();
    const x = Tensor.from([[1, 2, 0, -1, 0.5]], 'float32');
    const f = (v: number) => Math.fround(v);
    const expected = [0, 1, 2].map(j => W.reduce((s, row, i) => s + x.get(i) * f(row[j]!), f(B[j]!)));
    expectClose(net.forward(x), [expected]);
  });
});

describe('seed 000 § 获取Parameter', () => {
  it('获取单个参数: net.b is the attribute → [-1.2192779 -0.36789745 0.0946381 ]', () => {
    const net = new Network();
    expect(net.b).toBeInstanceOf(Parameter);
    expectClose(net.b, [-1.2192779, -0.36789745, 0.0946381]);
  });

  it('获取可训练参数: print(net.trainable_params())', () => {
    expect(pyList(new Network().trainableParams())).toBe(golden('000/print(net.trainable_params())'));
  });

  it('获取所有参数: get_parameters() is a one-shot iterator (Python: <class \'generator\'>)', () => {
    const it = new Network().getParameters();
    expect(Array.isArray(it)).toBe(false);
    expect(typeof it.next).toBe('function');
    expect([...it].map(p => p.name)).toEqual(['w', 'b']);
    expect([...it]).toEqual([]); // exhausted, like a generator
  });

  it('parameters_and_names: "w:" then the 5×3 values, "b:" then the 3 values', () => {
    const named = new Network().parametersAndNames();
    expect(named.map(([n]) => n)).toEqual(['w', 'b']);
    expectClose(named[0]![1], W);
    expectClose(named[1]![1], B);
  });
});

describe('seed 000 § 修改Parameter', () => {
  it('直接修改参数值: net.b[0] = 1. → [ 1. -0.36789745 0.0946381 ]', () => {
    const net = new Network();
    net.b.setItem(0, 1);
    expectClose(net.b, [1, -0.36789745, 0.0946381]);
  });

  it('覆盖修改参数值: net.b.set_data(Tensor([3, 4, 5])) → [3. 4. 5.] (the Int64 Tensor is cast to Float32)', () => {
    const net = new Network();
    const data = Tensor.from([3, 4, 5]);
    expect(data.dtype).toBe('int64');
    net.b.setData(data);
    expect(net.b.dtype).toBe('float32');
    expect(net.b.toArray()).toEqual([3, 4, 5]);
  });

  it('运行时修改参数值: ops.assign(net.b, b_hat) → [7. 8. 9.] (the body of the @ms.jit function, run eagerly)', () => {
    const net = new Network();
    net.b.setData(Tensor.from([3, 4, 5]));
    const modifyParameter = (): boolean => {
      const bHat = Tensor.from([7, 8, 9]);
      ops.assign(net.b, bHat);
      return true;
    };
    expect(modifyParameter()).toBe(true);
    expect(net.b.toArray()).toEqual([7, 8, 9]);
    expect(net.b.dtype).toBe('float32');
  });
});

describe('seed 000 § Parameter Tuple', () => {
  it('ParameterTuple((x, y, z)) and params.clone("params_copy")', () => {
    const x = new Parameter(Tensor.from([[0, 1, 2], [3, 4, 5]]), 'x'); // np.arange(2 * 3).reshape((2, 3)): Int64
    const y = new Parameter(initializer('ones', [1, 2, 3], 'float32'), 'y');
    const z = new Parameter(2.0, 'z');
    const params = new ParameterTuple([x, y, z]);
    const paramsCopy = params.clone('params_copy');
    expect(String(params)).toBe(golden('000/ParameterTuple'));
    expect(String(paramsCopy)).toBe(golden('000/ParameterTuple.clone'));
    expect(paramsCopy.at(1)!.toArray()).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('seed 000 § Cell训练状态转换', () => {
  it('set_train() → phase "train" (the default mode is True); set_train(False) → "predict"', () => {
    const net = new Network();
    net.setTrain();
    const afterTrain = net.phase;
    net.setTrain(false);
    expect([afterTrain, net.phase]).toEqual(golden('000/phase'));
  });
});

describe('seed 000 § 使用function接口构造神经网络层 (Threshold)', () => {
  class Threshold extends Cell {
    constructor(readonly threshold: number, readonly value: number) { super(); }
    construct(inputs: Tensor): Tensor {
      const cond = ops.gt(inputs, this.threshold);
      const value = ops.fill(inputs.dtype, inputs.shape, this.value);
      return ops.select(cond, inputs, value);
    }
  }

  it('Threshold(0.1, 20)([0.1, 0.2, 0.3]): inputs[0] equals the threshold, so it is replaced by 20', () => {
    const m = new Threshold(0.1, 20);
    const inputs = Tensor.from([0.1, 0.2, 0.3], 'float32');
    const out = m.forward(inputs);
    expect(out.toArray()).toEqual([20, Math.fround(0.2), Math.fround(0.3)]);
    // MindSpore's repr pads every float to 15 columns; the seed's rendering collapsed the double spaces
    expect(String(out)).toBe(golden('000/Threshold'));
    expect(asRendered(String(out))).toBe(asRendered('Tensor(shape=[3], dtype=Float32, value= [ 2.00000000e+01, 2.00000003e-01, 3.00000012e-01])'));
  });
});

describe('seed 000 § 自定义Cell反向 (Dropout2d with bprop)', () => {
  let bpropCalls = 0;
  class Dropout2d extends Cell {
    readonly dropout2d: ops.Dropout2D;
    constructor(readonly keepProb: number) {
      super();
      this.dropout2d = new ops.Dropout2D(keepProb);
    }
    construct(x: Tensor): Tensor[] { return this.dropout2d.call(x); }
    bprop(x: Tensor, out: Tensor[], dout: Tensor[]): Tensor[] {
      bpropCalls++;
      const [, mask] = out as [Tensor, Tensor];
      let [dy] = dout as [Tensor];
      if (this.keepProb !== 0) dy = ops.mul(dy, 1 / this.keepProb);
      dy = ops.mul(ops.cast(mask, 'float32'), dy);
      return [ops.cast(dy, x.dtype)];
    }
  }

  const input = (): Tensor => Tensor.from(Array.from({ length: 4 * 8 * 2 * 2 }, (_, i) => 1 + 0.5 * (i % 7)), 'float32').view([4, 8, 2, 2]);

  it('forward: (output, mask), whole channels dropped, kept ones scaled by 1/keep_prob', () => {
    setSeed(0);
    const x = input();
    const [out, mask] = new Dropout2d(0.8).call(x) as [Tensor, Tensor];
    expect([out.shape, mask.shape, mask.dtype]).toEqual([[4, 8, 2, 2], [4, 8, 2, 2], 'bool']);
    const m = mask.toArray();
    for (let c = 0; c < 32; c++) expect(new Set(m.slice(4 * c, 4 * c + 4)).size).toBe(1);
    expect(m.some(v => v === 0) && m.some(v => v === 1)).toBe(true);
    expectClose(out, x.toArray().map((v, i) => (m[i] ? v / 0.8 : 0)));
  });

  it('backward: bprop gets (x, out, dout) and returns (mask · dout / keep_prob,)', () => {
    setSeed(1);
    const x = input();
    const dropout2d = new Dropout2d(0.8).setGrad(); // so grad() differentiates this forward, with this mask
    const [, mask] = dropout2d.call(x) as [Tensor, Tensor];
    bpropCalls = 0;
    const dx = grad(dropout2d, 0)(x) as Tensor;
    expect(bpropCalls).toBe(1);
    expect(dx.dtype).toBe('float32');
    // dout is ones for both outputs (grad of a multi-output Cell); only dy, the output's, is used
    expect(dx.toArray()).toEqual(mask.toArray().map(k => (k ? 1.25 : 0)));
  });
});
