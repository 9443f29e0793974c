/** Optimizer update rules checked against their formulas, step by step; training wrappers keep backbone names. */
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/runtime/parameter.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { Cell } from '../../src/runtime/cell.js';
import { SGD, Momentum, Adam } from '../../src/runtime/optim.js';
import { WithLossCell, TrainOneStepCell } from '../../src/runtime/train.js';
import * as nn from '../../src/runtime/nn/index.js';
import * as ops from '../../src/runtime/functional.js';

const param = (v: number[], name = 'w') => new Parameter(Tensor.from(v, 'float32'), name);
const g = (v: number[]) => Tensor.from(v, 'float32');
const close = (a: number[], b: number[], digits = 6) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, digits));

describe('optimizers', () => {
  it('Momentum: moments = m·moments + g; p −= lr·moments; state named moments.*', () => {
    const p = param([1, 2]);
    const opt = new Momentum([p], { learningRate: 0.1, momentum: 0.9 });
    expect([...opt.moments].map(q => q.name)).toEqual(['moments.w']);
    opt.call(g([1, -1]));
    close(p.toArray(), [1 - 0.1, 2 + 0.1]);
    opt.call(g([1, -1]));
    // moments = 0.9·1 + 1 = 1.9
    close(p.toArray(), [0.9 - 0.19, 2.1 + 0.19]);
  });

  it('Adam: bias-corrected step, moment1.* / moment2.*', () => {
    const p = param([0.5]);
    const opt = new Adam([p], { learningRate: 0.01 });
    expect([...opt.moment1, ...opt.moment2].map(q => q.name)).toEqual(['moment1.w', 'moment2.w']);
    opt.call(g([2]));
    // t=1: m = 0.2, v = 0.004, lr_t = 0.01·√0.001/0.1; step = lr_t·m/(√v + 1e-8) ≈ 0.01
    const lrT = (0.01 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    close(p.toArray(), [0.5 - (lrT * 0.2) / (Math.sqrt(0.004) + 1e-8)]);
  });

  it('SGD with weight decay skips gamma/beta', () => {
    const w = param([1], 'fc.weight'), gamma = param([1], 'bn.gamma');
    const opt = new SGD([w, gamma], { learningRate: 0.5, weightDecay: 0.1 });
    opt.call(g([0]), g([0]));
    close(w.toArray(), [1 - 0.5 * 0.1]);
    close(gamma.toArray(), [1]);
  });

  it('rejects a gradient of the wrong shape, naming the parameter', () => {
    const opt = new SGD([param([1, 2], 'fc.bias')]);
    expect(() => opt.call(g([1]))).toThrow(/gradient for fc\.bias has shape \[1\], the parameter \[2\]/);
  });
});

describe('training wrappers', () => {
  class MSE extends Cell { construct(a: Tensor, b: Tensor): Tensor { return ops.mean(ops.pow(ops.sub(a, b), 2)); } }

  it('WithLossCell and TrainOneStepCell keep the backbone parameter names (auto_prefix=False)', () => {
    const net = new nn.Dense(2, 1);
    const withLoss = new WithLossCell(net, new MSE());
    // Parameter names stay the backbone's; parameters_and_names walks MindSpore's `_backbone` attribute (2.10)
    expect(withLoss.trainableParams().map(p => p.name)).toEqual(['weight', 'bias']);
    expect(withLoss.parametersAndNames().map(([n]) => n)).toEqual(['_backbone.weight', '_backbone.bias']);
    const train = new TrainOneStepCell(withLoss, new Momentum(net.trainableParams(), { learningRate: 0.1, momentum: 0.9 }));
    expect(train.trainableParams().map(p => p.name)).toEqual(['weight', 'bias']);
  });

  it('a linear regression converges', () => {
    const net = new nn.Dense(2, 1);
    const train = new TrainOneStepCell(new WithLossCell(net, new MSE()), new SGD(net.trainableParams(), { learningRate: 0.1 }));
    const x = Tensor.from([[0, 0], [1, 0], [0, 1], [1, 1]], 'float32');
    const y = Tensor.from([[1], [3], [0], [2]], 'float32'); // y = 2·x0 − x1 + 1
    let loss = Infinity;
    for (let i = 0; i < 500; i++) loss = (train.call(x, y) as Tensor).item();
    expect(loss).toBeLessThan(1e-6);
    // loss < 1e-6 bounds each residual by ~2e-3; the fitted weights are well inside 1e-3 of the truth
    close(net.weight.toArray(), [2, -1], 3);
    close(net.bias!.toArray(), [1], 3);
  });
});
