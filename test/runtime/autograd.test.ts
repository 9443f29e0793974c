/**
 * Functional autodiff beyond the seed documents (their examples are in test/seeds/000-004): grad_position lists,
 * weights with inputs, has_aux, repeated calls, set_grad forward reuse, lazy Parameters.
 */
import { describe, expect, it } from 'vitest';
import { Cell } from '../../src/runtime/cell.js';
import { Parameter } from '../../src/runtime/parameter.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { GradOperation, grad, valueAndGrad } from '../../src/runtime/grad.js';
import * as ops from '../../src/runtime/functional.js';
import { initializer } from '../../src/runtime/initializer.js';

const x = () => Tensor.from([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], 'float32');
const y = () => Tensor.from([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], 'float32');

/** f(x, y) = (x · z) @ y with a Parameter z = [1.0] */
class Net extends Cell {
  z: Parameter;
  constructor() { super(); this.z = new Parameter(Tensor.from([1.0], 'float32'), 'z'); }
  construct(a: Tensor, b: Tensor): Tensor { return ops.matmul(ops.mul(a, this.z), b); }
}

/** Float32 results against exact values, at float32 resolution (values are O(1..20): 1e-5 relative). */
function expectClose(t: Tensor, expected: number[][] | number[], tol = 1e-5): void {
  const flat = expected.flat();
  expect(t.size).toBe(flat.length);
  t.toArray().forEach((v, i) => expect(Math.abs(v - flat[i]!), `element ${i}: ${v} vs ${flat[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(flat[i]!))));
}

describe('functional grad / value_and_grad', () => {
  it('grad_position tuple, weights, has_aux', () => {
    const net = new Net();
    const f = (a: Tensor, b: Tensor) => [ops.sum(net.forward(a, b)), ops.mul(a, 2)];
    // has_aux: (gradients, aux outputs); the aux output is returned, not differentiated
    const [[gx, gy], aux] = grad(f, [0, 1], null, true)(x(), y()) as readonly [Tensor[], Tensor[]];
    expectClose(gx!, [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]);
    expect(gy!.shape).toEqual([3, 3]);
    expect(aux.map(a => [a.tolist(), a.requiresGrad])).toEqual([[ops.mul(x(), 2).tolist(), false]]);
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

  it('set_grad: grad(cell) reuses the forward just run on the same input Tensors, once', () => {
    let runs = 0;
    class Counted extends Cell {
      w = new Parameter(Tensor.from([2], 'float32'), 'w');
      construct(a: Tensor): Tensor { runs++; return ops.mul(a, this.w); }
    }
    const net = new Counted().setGrad();
    const a = Tensor.from([1, 3], 'float32');
    net.call(a);
    const [ga, [gw]] = grad(net, 0, net.trainableParams())(a) as [Tensor, Tensor[]];
    expect([runs, ga.toArray(), gw!.toArray()]).toEqual([1, [2, 2], [4]]);
    grad(net, 0)(a); // the recorded forward was used up: this one runs again
    expect(runs).toBe(2);
    net.call(a);
    grad(net, 0)(Tensor.from([1, 3], 'float32')); // other input Tensors (same values): runs again
    expect(runs).toBe(4);
    net.setGrad(false).call(a);
    grad(net, 0)(a);
    expect(runs).toBe(6);
  });

  it('a set_grad forward is unaffected for the caller: its outputs compute the same values', () => {
    const net = new Net().setGrad();
    expectClose(net.forward(x(), y()), ops.matmul(x(), y()).tolist() as number[][]);
  });
});

describe('lazy Parameters', () => {
  it('a lazy Parameter draws its initializer on initData() or first use', () => {
    const p = new Parameter(initializer('ones', [2, 2], 'float32'), 'w');
    expect(p.isLazy).toBe(true);
    expect(p.initData().toArray()).toEqual([1, 1, 1, 1]);
    expect(p.isLazy).toBe(false);
    // unlike a bare initializer Tensor (which computes as 0 until init_data), a Parameter draws on first use
    const q = new Parameter(initializer('ones', [3], 'float32'), 'q');
    expect(ops.add(q, 1).toArray()).toEqual([2, 2, 2]);
    expect(ops.add(initializer('ones', [3], 'float32'), 1).toArray()).toEqual([1, 1, 1]);
  });
});
