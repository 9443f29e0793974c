/** The autodiff seed (../shared/seeds/002, GradOperation) and the custom-bprop seeds (000 Dropout2d, 003 MySampler). */
import { describe, expect, it } from 'vitest';
import { Cell } from '../../src/runtime/cell.js';
import { Parameter, ParameterTuple } from '../../src/runtime/parameter.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { GradOperation, grad, valueAndGrad, stopGradient } from '../../src/runtime/grad.js';
import * as ops from '../../src/runtime/functional.js';
import { initializer } from '../../src/runtime/initializer.js';

const x = () => Tensor.from([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], 'float32');
const y = () => Tensor.from([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], 'float32');

/** f(x, y) = (x · z) @ y with a Parameter z = [1.0] */
class Net extends Cell {
  z: Parameter;
  constructor(zRequiresGrad = true) { super(); this.z = new Parameter(Tensor.from([1.0], 'float32'), 'z', zRequiresGrad); }
  construct(a: Tensor, b: Tensor): Tensor { return ops.matmul(ops.mul(a, this.z), b); }
}

/** Float32 values printed by the seed, compared at float32 resolution (values are O(1..20): 2e-6 relative). */
function expectClose(t: Tensor, expected: number[][] | number[], tol = 1e-5): void {
  const flat = expected.flat();
  expect(t.size).toBe(flat.length);
  t.toArray().forEach((v, i) => expect(Math.abs(v - flat[i]!), `element ${i}: ${v} vs ${flat[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(flat[i]!))));
}

describe('GradOperation seed (002)', () => {
  it('gradient w.r.t. the first input', () => {
    const g = new GradOperation().call(new Net())(x(), y()) as Tensor;
    expect(g.shape).toEqual([2, 3]);
    expectClose(g, [[4.5099998, 2.7, 3.6000001], [4.5099998, 2.7, 3.6000001]]);
  });

  it('get_all=True differentiates both inputs', () => {
    const [gx, gy] = new GradOperation({ getAll: true }).call(new Net())(x(), y()) as Tensor[];
    expectClose(gx!, [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]);
    // d/dy of sum(x @ y) is xᵀ·1: column sums of x repeated across columns
    expectClose(gy!, [[2.6, 2.6, 2.6], [1.9, 1.9, 1.9], [1.3, 1.3, 1.3]]);
  });

  it('get_by_list=True differentiates the weights: (21.536,)', () => {
    const net = new Net();
    const params = new ParameterTuple(net.trainableParams());
    const gs = new GradOperation({ getByList: true }).call(net, params)(x(), y()) as Tensor[];
    expect(gs).toHaveLength(1);
    expect(gs[0]!.shape).toEqual([1]);
    expectClose(gs[0]!, [21.536]);
    expect(`Tensor(shape=[${gs[0]!.shape}], dtype=Float32)`).toBe('Tensor(shape=[1], dtype=Float32)');
  });

  it('a weight with requires_grad=False is left out of trainable_params', () => {
    expect(new Net(false).trainableParams()).toHaveLength(0);
  });

  it('sens_param scales the output gradient', () => {
    const sens = Tensor.from([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], 'float32');
    const g = new GradOperation({ sensParam: true }).call(new Net())(x(), y(), sens) as Tensor;
    expectClose(g, [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]]);
  });

  it('stop_gradient removes a branch: [[4.5 2.7 3.6]] vs [[9.0 5.4 7.2]]', () => {
    // the seed prints these to two significant digits; exact values are 4.51·k, 2.7·k, 3.6·k
    class Two extends Cell {
      constructor(readonly stop: boolean) { super(); }
      construct(a: Tensor, b: Tensor): Tensor {
        const out1 = ops.matmul(a, b);
        let out2 = ops.matmul(a, b);
        if (this.stop) out2 = stopGradient(out2);
        return ops.add(out1, out2);
      }
    }
    expectClose(new GradOperation().call(new Two(true))(x(), y()) as Tensor, [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]);
    expectClose(new GradOperation().call(new Two(false))(x(), y()) as Tensor, [[9.02, 5.4, 7.2], [9.02, 5.4, 7.2]]);
  });
});

describe('functional grad / value_and_grad', () => {
  it('grad_position tuple, weights, has_aux', () => {
    const net = new Net();
    const f = (a: Tensor, b: Tensor) => [ops.sum(net.forward(a, b)), ops.mul(a, 2)];
    const [gx, gy] = grad(f, [0, 1], null, true)(x(), y()) as Tensor[];
    expectClose(gx!, [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]);
    expect(gy!.shape).toEqual([3, 3]);
    const [value, grads] = valueAndGrad(f, null, net.trainableParams(), true)(x(), y());
    expect(Array.isArray(value) && value.length).toBe(2);
    expectClose((grads as Tensor[])[0]!, [21.536]);
    const both = grad((a: Tensor, b: Tensor) => net.forward(a, b), 0, net.trainableParams())(x(), y()) as [Tensor, Tensor[]];
    expectClose(both[0], [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]);
    expectClose(both[1][0]!, [21.536]);
  });

  it('calling a gradient function twice gives the same answer (no state left behind)', () => {
    const net = new Net();
    const g = new GradOperation({ getByList: true }).call(net, net.trainableParams());
    expectClose((g(x(), y()) as Tensor[])[0]!, [21.536]);
    expectClose((g(x(), y()) as Tensor[])[0]!, [21.536]);
  });
});

describe('custom bprop', () => {
  it('MySampler seed (003): the gradient scatters back to the sampled positions', () => {
    // the seed draws positions with numpy; here the positions are the ones it printed: [[3, 1, 3], [1, 4, 1]]
    const picks = [[3, 1, 3], [1, 4, 1]];
    class MySampler extends Cell {
      construct(xx: Tensor): Tensor[] {
        const values = picks.map((row, b) => row.map(j => xx.get(b * xx.shape[1]! + j)));
        return [Tensor.from(values, 'float32'), Tensor.from(picks, 'int32')];
      }
      bprop(xx: Tensor, out: Tensor[], dout: Tensor[]): Tensor[] {
        const idx = out[1]!, g = dout[0]!;
        const dx = Tensor.zeros(xx.shape);
        for (let b = 0; b < xx.shape[0]!; b++) for (let k = 0; k < idx.shape[1]!; k++) {
          const j = idx.get(b * idx.shape[1]! + k);
          dx.data[b * xx.shape[1]! + j] = (dx.data[b * xx.shape[1]! + j] as number) + g.get(b * g.shape[1]! + k);
        }
        return [dx];
      }
    }
    const xs = Tensor.from([[1.251066, 2.1609735, 3.4312444e-4, 0.90699774, 0.44026768], [0.27701578, 0.55878061, 1.0366821, 1.1903024, 1.6164502]], 'float32');
    const sampler = new MySampler().setGrad();
    const [values] = sampler.call(xs) as Tensor[];
    expectClose(values!, [[0.90699774, 2.1609735, 0.90699774], [0.5587806, 1.6164502, 0.5587806]]);
    const dx = grad((t: Tensor) => (sampler.call(t) as Tensor[])[0]!, 0)(xs) as Tensor;
    expect(dx.toArray()).toEqual([0, 1, 0, 2, 0, 0, 2, 0, 0, 1]);
  });

  it('Dropout2d-style bprop with a mask output and keep_prob scaling (000)', () => {
    class Masked extends Cell {
      constructor(readonly keepProb: number) { super(); }
      construct(t: Tensor): Tensor[] {
        const mask = Tensor.from(t.toArray().map((_, i) => (i % 2 === 0 ? 1 : 0)), 'float32').view(t.shape);
        return [ops.div(ops.mul(t, mask), this.keepProb), mask];
      }
      bprop(t: Tensor, out: Tensor[], dout: Tensor[]): Tensor[] {
        return [ops.mul(ops.mul(dout[0]!, 1 / this.keepProb), out[1]!)];
      }
    }
    const g = grad((t: Tensor) => (new Masked(0.8).call(t) as Tensor[])[0]!)(Tensor.full([4], 1)) as Tensor;
    expectClose(g, [1.25, 0, 1.25, 0]);
  });
});

describe('Parameter and ParameterTuple seed (000)', () => {
  it('clone("params_copy") prefixes every name', () => {
    const px = new Parameter(Tensor.from([[0, 1, 2], [3, 4, 5]], 'int64'), 'x');
    const py = new Parameter(initializer('ones', [1, 2, 3], 'float32'), 'y');
    expect(py.isLazy).toBe(true);
    const pz = new Parameter(2.0, 'z');
    const params = new ParameterTuple([px, py, pz]);
    expect(String(params)).toBe('(Parameter (name=x, shape=(2, 3), dtype=Int64, requires_grad=True), Parameter (name=y, shape=(1, 2, 3), dtype=Float32, requires_grad=True), Parameter (name=z, shape=(), dtype=Float32, requires_grad=True))');
    expect(py.isLazy).toBe(true); // printing needs only shape and dtype
    expect(String(params.clone('params_copy'))).toBe('(Parameter (name=params_copy.x, shape=(2, 3), dtype=Int64, requires_grad=True), Parameter (name=params_copy.y, shape=(1, 2, 3), dtype=Float32, requires_grad=True), Parameter (name=params_copy.z, shape=(), dtype=Float32, requires_grad=True))');
  });

  it('a lazy Parameter draws its initializer on initData() or first use', () => {
    const p = new Parameter(initializer('ones', [2, 2], 'float32'), 'w');
    expect(p.isLazy).toBe(true);
    expect(p.initData().toArray()).toEqual([1, 1, 1, 1]);
    expect(p.isLazy).toBe(false);
    const q = new Parameter(initializer('zeros', [3], 'float32'), 'q');
    expect(ops.add(q, 1).toArray()).toEqual([1, 1, 1]);
  });

  it('index assignment and set_data (b[0] = 1.; set_data(Tensor([3, 4, 5])))', () => {
    const b = new Parameter(Tensor.from([-1.2192779, -0.36789745, 0.0946381], 'float32'), 'b');
    b.setItem(0, 1);
    expectClose(b, [1, -0.36789745, 0.0946381]);
    b.setData(Tensor.from([3, 4, 5]));
    expect([b.dtype, b.toArray()]).toEqual(['float32', [3, 4, 5]]);
  });

  it('Threshold layer from ops.gt / fill / select (000): [20, 0.2, 0.3]', () => {
    class Threshold extends Cell {
      constructor(readonly threshold: number, readonly value: number) { super(); }
      construct(inputs: Tensor): Tensor {
        const cond = ops.greater(inputs, Tensor.scalar(this.threshold));
        return ops.where(cond, inputs, Tensor.full(inputs.shape, this.value, inputs.dtype));
      }
    }
    const out = new Threshold(0.1, 20).forward(Tensor.from([0.1, 0.2, 0.3], 'float32'));
    expect(out.toArray()).toEqual([20, Math.fround(0.2), Math.fround(0.3)]);
  });

  it('set_train phases (000)', () => {
    const net = new Net();
    net.setTrain();
    expect(net.phase).toBe('train');
    net.setTrain(false);
    expect(net.phase).toBe('predict');
  });
});
