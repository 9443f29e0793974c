/**
 * Seed 001: a study-camp blog post on "网络构建" (network building) and "函数式自动微分" (functional autodiff),
 * /work/shared/seeds/001_77304eebabb13791.txt. The post shows code only, no outputs; each test names its section.
 *
 * Not reproduced as written, and why:
 * - The post never defines x, y, w, b, nor `function_with_logits`. They come from the MindSpore tutorial it follows:
 *   x = ops.ones(5), y = ops.zeros(3), w = Parameter(randn(5, 3), name='w'), b = Parameter(randn(3,), name='b'),
 *   and function_with_logits returns (loss, z). For w and b the tests use the randn values seed 000 printed for the
 *   same shapes, and check the gradients against the closed form computed in float64.
 * - `print(model)`: the post shows no output; the expected tree is MindSpore's print format for this network (the
 *   quickstart tutorial prints the same tree).
 * - `print(f"Predicted class: {y_pred}")` and the `Values : {param[:2]}` lines print randomly initialised numbers with
 *   numpy; the tests check shapes, dtypes and the relations between the values instead.
 * - `pred_probab.argmax(1)` and `param[:2]` are Tensor methods in MindSpore; msport spells them ops.argmax(t, 1) and
 *   ops.stridedSlice.
 *
 * Tolerance: gradients are compared with the float64 closed form at 1e-6 relative (expectClose).
 */
import { describe, expect, it } from 'vitest';
import { Cell, Parameter, Tensor, grad, nn, ops, setSeed, stopGradient, valueAndGrad } from '../../src/index.js';
import { expectClose, golden, SEED_000_B, SEED_000_W } from '../helpers/seed.js';

describe('seed 001 § 2 网络构建', () => {
  class Network extends Cell {
    flatten = new nn.Flatten();
    dense_relu_sequential = new nn.SequentialCell([
      new nn.Dense(28 * 28, 512, { weightInit: 'normal', biasInit: 'zeros' }),
      new nn.ReLU(),
      new nn.Dense(512, 512, { weightInit: 'normal', biasInit: 'zeros' }),
      new nn.ReLU(),
      new nn.Dense(512, 10, { weightInit: 'normal', biasInit: 'zeros' }),
    ]);
    construct(x: Tensor): Tensor {
      x = this.flatten.forward(x);
      const logits = this.dense_relu_sequential.forward(x);
      return logits;
    }
  }

  it('2.1 定义网络: print(model)', () => {
    const model = new Network();
    // MindSpore 2.10 prints Cells torch-style, `Name(...)`; the seed's era printed `Name<...>`
    expect(String(model)).toBe(golden('001/print(model)'));
  });

  it('2.1: logits = model(ops.ones((1, 28, 28))); nn.Softmax(axis=1); argmax(1) is the predicted class', () => {
    setSeed(1);
    const model = new Network();
    const X = ops.ones([1, 28, 28], 'float32');
    const logits = model.forward(X);
    expect([logits.shape, logits.dtype]).toEqual([[1, 10], 'float32']);
    const predProbab = new nn.Softmax(1).forward(logits);
    expect(predProbab.shape).toEqual([1, 10]);
    expect(ops.sum(predProbab).item()).toBeCloseTo(1, 6);
    const yPred = ops.argmax(predProbab, 1);
    expect([yPred.shape, yPred.dtype]).toEqual([[1], 'int64']);
    const l = logits.toArray();
    expect(yPred.item()).toBe(l.indexOf(Math.max(...l)));
  });

  it('2.2 模型层的细节: parameters_and_names gives the layer names, shapes, and param[:2]', () => {
    setSeed(2);
    const model = new Network();
    const named = model.parametersAndNames();
    expect(named.map(([name, p]) => [name, p.shape])).toEqual(golden('001/parameters_and_names'));
    for (const [, p] of named) {
      const firstTwo = ops.stridedSlice(p, [0, ...p.shape.slice(1).map(() => 0)], [2, ...p.shape.slice(1)], p.shape.map(() => 1));
      expect(firstTwo.shape).toEqual([2, ...p.shape.slice(1)]);
    }
    // weight_init="normal" is Normal(sigma=0.01), bias_init="zeros"
    const w = named[0]![1].toArray();
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.0098);
    expect(sd).toBeLessThan(0.0102);
    expect(named[1]![1].toArray().every(v => v === 0)).toBe(true);
  });
});

describe('seed 001 § 3 函数式自动微分', () => {
  // seed 001 never prints its w and b; seed 000's printed ones have the same shapes
  const W = SEED_000_W;
  const B = SEED_000_B;
  const x = ops.ones(5, 'float32');
  const y = ops.zeros(3, 'float32');
  const w = new Parameter(Tensor.from(W, 'float32'), 'w');
  const b = new Parameter(Tensor.from(B, 'float32'), 'b');

  // Closed form, float64 from the float32 inputs: z = x·w + b; with y = 0 the loss is mean_j softplus(z_j), so
  // ∂loss/∂z_j = σ(z_j)/3, ∂loss/∂w_ij = x_i·σ(z_j)/3 and ∂loss/∂b_j = σ(z_j)/3.
  const f = Math.fround;
  const z = [0, 1, 2].map(j => W.reduce((s, row) => s + f(row[j]!), f(B[j]!)));
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const dz = z.map(v => sig(v) / 3);
  const dw = W.map(() => dz);
  const loss = z.reduce((s, v) => s + Math.log1p(Math.exp(v)), 0) / 3;

  const fn = (x: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor => {
    const z = ops.add(ops.matmul(x, w), b);
    return ops.binaryCrossEntropyWithLogits(z, y, ops.onesLike(z), ops.onesLike(z));
  };

  it('3.2.1 微分函数与梯度计算: grad(function, (2, 3)) gives (dw, db)', () => {
    const gradFn = grad(fn, [2, 3]);
    const grads = gradFn(x, y, w, b) as Tensor[];
    expect(grads).toHaveLength(2);
    expectClose(grads[0]!, dw);
    expectClose(grads[1]!, dz);
  });

  it('3.2.2 Stop Gradient: returning (loss, ops.stop_gradient(z)) leaves the gradients of loss alone', () => {
    const functionStopGradient = (x: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor[] => {
      const z = ops.add(ops.matmul(x, w), b);
      const loss = ops.binaryCrossEntropyWithLogits(z, y, ops.onesLike(z), ops.onesLike(z));
      return [loss, stopGradient(z)];
    };
    const grads = grad(functionStopGradient, [2, 3])(x, y, w, b) as Tensor[];
    expectClose(grads[0]!, dw);
    expectClose(grads[1]!, dz);
    // without stop_gradient every output is differentiated: z adds x_i to dw and 1 to db
    const both = grad((x: Tensor, y: Tensor, w: Tensor, b: Tensor) => [fn(x, y, w, b), ops.add(ops.matmul(x, w), b)], [2, 3])(x, y, w, b) as Tensor[];
    expectClose(both[0]!, dw.map(row => row.map(v => v + 1)));
    expectClose(both[1]!, dz.map(v => v + 1));
  });

  it('3.3.3 Auxiliary data: grad(..., has_aux=True) returns (grads, (z,)) and z does not enter the gradient', () => {
    const functionWithLogits = (x: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor[] => {
      const z = ops.add(ops.matmul(x, w), b);
      const loss = ops.binaryCrossEntropyWithLogits(z, y, ops.onesLike(z), ops.onesLike(z));
      return [loss, z];
    };
    const gradFn = grad(functionWithLogits, [2, 3], null, true);
    const [grads, aux] = gradFn(x, y, w, b) as readonly [Tensor[], Tensor[]];
    expect(aux).toHaveLength(1);
    const [zOut] = aux as [Tensor];
    expectClose(grads[0]!, dw);
    expectClose(grads[1]!, dz);
    expectClose(zOut, z);
  });

  it('3.3 神经网络梯度计算: value_and_grad(forward_fn, None, weights=model.trainable_params())', () => {
    class Network extends Cell {
      w: Parameter; b: Parameter;
      constructor() { super(); this.w = w; this.b = b; }
      construct(x: Tensor): Tensor { return ops.add(ops.matmul(x, this.w), this.b); }
    }
    const model = new Network();
    const lossFn = new nn.BCEWithLogitsLoss();
    const forwardFn = (x: Tensor, y: Tensor): Tensor => {
      const z = model.forward(x);
      return lossFn.forward(z, y);
    };
    expect(model.trainableParams().map(p => p.name)).toEqual(['w', 'b']);
    const gradFn = valueAndGrad(forwardFn, null, model.trainableParams());
    const [lossValue, grads] = gradFn(x, y) as readonly [Tensor, Tensor[]];
    expectClose(lossValue, [loss]);
    expectClose(grads[0]!, dw);
    expectClose(grads[1]!, dz);
  });
});
