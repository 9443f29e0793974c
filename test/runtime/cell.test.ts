/** Cell and Parameter behaviour beyond the seed documents (their examples are in test/seeds/000-004). */
import { describe, expect, it } from 'vitest';
import { Cell } from '../../src/runtime/cell.js';
import { Parameter } from '../../src/runtime/parameter.js';
import { Tensor } from '../../src/runtime/tensor.js';
import * as nn from '../../src/runtime/nn/index.js';

describe('Cell parameter naming', () => {
  it('an unnamed Parameter is called Parameter#<n> (MindSpore 2.10) until assigned to a Cell', () => {
    const p = new Parameter(Tensor.zeros([2]));
    const q = new Parameter(Tensor.zeros([2]));
    expect(p.name).toMatch(/^Parameter#\d+$/);
    expect(Number(q.name.slice(10))).toBe(Number(p.name.slice(10)) + 1); // a process-wide counter
    class C extends Cell { bias = p; construct(x: Tensor): Tensor { return x; } }
    new C();
    expect(p.name).toBe('bias');
  });

  it('nested SequentialCell gives 0., 1. prefixes and BatchNorm names gamma/beta/moving_*', () => {
    class Net extends Cell {
      layer1 = new nn.SequentialCell([new nn.Conv2d(3, 12, 3, { padMode: 'pad', padding: 1, hasBias: true }), new nn.BatchNorm2d(12), new nn.ReLU()]);
      construct(x: Tensor): Tensor { return this.layer1.forward(x); }
    }
    const net = new Net();
    expect(net.parametersAndNames().map(([n]) => n)).toEqual([
      'layer1.0.weight', 'layer1.0.bias', 'layer1.1.moving_mean', 'layer1.1.moving_variance', 'layer1.1.gamma', 'layer1.1.beta',
    ]); // MindSpore 2.10's order (conformance names)
    expect(net.untrainableParams().map(p => p.name)).toEqual(['layer1.1.moving_mean', 'layer1.1.moving_variance']);
    expect(net.cellsAndNames().map(([n]) => n)).toEqual(['', 'layer1', 'layer1.0', 'layer1.1', 'layer1.2']);
  });

  it('setTrain switches the phase of the whole tree', () => {
    const net = new nn.SequentialCell([new nn.Dense(2, 2), new nn.ReLU()]);
    expect(net.phase).toBe('predict');
    net.setTrain();
    expect(net.cellsAndNames().every(([, c]) => c.phase === 'train')).toBe(true);
    net.setTrain(false);
    expect(net.phase).toBe('predict');
  });
});

describe('nn defaults are MindSpore defaults', () => {
  it("Conv2d defaults to pad_mode='same' and no bias; same padding keeps ceil(in/stride)", () => {
    const conv = new nn.Conv2d(1, 1, 3, { stride: 2 });
    expect(conv.padMode).toBe('same');
    expect(conv.bias).toBeNull();
    expect(conv.forward(Tensor.zeros([1, 1, 7, 7])).shape).toEqual([1, 1, 4, 4]);
    // an odd total pad puts the extra row/column at the bottom/right
    expect(new nn.Conv2d(1, 1, 2).effectivePadding(5, 5)).toEqual([0, 1, 0, 1]);
  });

  it('MaxPool2d stride defaults to 1 (PyTorch: kernel_size)', () => {
    expect(new nn.MaxPool2d(2).forward(Tensor.zeros([1, 1, 4, 4])).shape).toEqual([1, 1, 3, 3]);
  });

  it('BatchNorm2d momentum 0.9, eps 1e-5; LeakyReLU alpha 0.2; GELU approximate', () => {
    const bn = new nn.BatchNorm2d(4);
    expect([bn.momentum, bn.eps]).toEqual([0.9, 1e-5]);
    expect(new nn.LeakyReLU().alpha).toBe(0.2);
    expect(new nn.GELU().approximate).toBe(true);
  });

  it('Dense is x·Wᵀ + b', () => {
    const d = new nn.Dense(2, 1);
    d.weight.setData(Tensor.from([[2, 3]], 'float32'));
    d.bias!.setData(Tensor.from([1], 'float32'));
    expect(d.forward(Tensor.from([[1, 1], [2, -1]], 'float32')).toArray()).toEqual([6, 2]);
  });
});
