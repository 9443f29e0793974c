/**
 * Seed 002: "自动微分" (MindSpore r1.5 tutorial on ops.GradOperation), /work/shared/seeds/002_15dc511635eb6c2d.md
 * (the .txt beside it is the same notebook as JSON, with the outputs). Each test names the section it reproduces.
 *
 * Not reproduced as written, and why:
 * - `print(output)` of a single Tensor is numpy's array printing (`[[4.5099998 2.7 3.6000001] ...]`); the values are
 *   compared. Tuples of Tensors print MindSpore's Tensor repr, which is compared as text.
 * - 停止计算梯度: the outputs shown, `[[4.5 2.7 3.6]]` and `[[9.0 5.4 7.2]]`, are not what numpy prints for these
 *   float32 values (it would show 4.51 and 9.02, as the first section's 4.5099998 does): they are the true gradients
 *   rounded to two significant digits. The tests compare the exact values (row sums of y: 4.51, 2.7, 3.6, and twice
 *   that) and check that they round to the printed digits.
 *
 * The Cells are the seed's: `ops.MatMul()` is ops.matmul, and `GradOperation(...)(net)(x, y)` is
 * `new GradOperation({...}).call(net)(x, y)`.
 * Tolerance: float32 values the seed prints to ~8 significant digits are compared at 1e-6 relative (expectClose).
 */
import { describe, expect, it } from 'vitest';
import { Cell, GradOperation, Parameter, ParameterTuple, Tensor, ops, stopGradient } from '../../src/index.js';
import { expectClose, golden, pyTuple, seedInputs } from '../helpers/seed.js';

const x = Tensor.from(seedInputs['002'].x, 'float32');
const y = Tensor.from(seedInputs['002'].y, 'float32');
type M = number[][];

/** f(x, y) = (x · z) @ y with z = Parameter([1.0]). */
class Net extends Cell {
  z: Parameter;
  constructor(requiresGrad = true) {
    super();
    this.z = new Parameter(Tensor.from([1.0], 'float32'), 'z', requiresGrad);
  }
  construct(x: Tensor, y: Tensor): Tensor {
    x = ops.mul(x, this.z);
    const out = ops.matmul(x, y);
    return out;
  }
}

/** GradNetWrtX: `self.grad_op(self.net)(x, y)`, optionally with `self.params` (get_by_list) or a sens (sens_param). */
class GradNetWrtX extends Cell {
  net: Cell;
  readonly gradOp: GradOperation;
  readonly params: ParameterTuple | null;
  readonly gradWrtOutput: Tensor | null;
  constructor(net: Cell, opts: { getAll?: boolean; getByList?: boolean; sensParam?: boolean } = {}) {
    super();
    this.net = net;
    this.params = opts.getByList ? new ParameterTuple(net.trainableParams()) : null;
    this.gradOp = new GradOperation(opts);
    this.gradWrtOutput = opts.sensParam ? Tensor.from([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], 'float32') : null;
  }
  construct(x: Tensor, y: Tensor): Tensor | Tensor[] {
    const gradientFunction = this.gradOp.call(this.net, this.params);
    return (this.gradWrtOutput ? gradientFunction(x, y, this.gradWrtOutput) : gradientFunction(x, y)) as Tensor | Tensor[];
  }
}

describe('seed 002 § 对输入求一阶导', () => {
  it('GradOperation(): the gradient w.r.t. x → [[4.5099998 2.7 3.6000001] [4.5099998 2.7 3.6000001]]', () => {
    const output = new GradNetWrtX(new Net()).forward(x, y);
    expectClose(output, golden<M>('002/grad x'));
  });

  it('GradOperation(get_all=True) differentiates both inputs', () => {
    const [gx, gy] = new GradNetWrtX(new Net(), { getAll: true }).call(x, y) as Tensor[];
    const [wantX, wantY] = golden<[M, M]>('002/grad all');
    expectClose(gx!, wantX);
    // ∂ sum(x·z @ y) / ∂y_ij = z · Σ_n x_ni: the column sums of x, repeated along j
    expectClose(gy!, wantY);
  });
});

describe('seed 002 § 对权重求一阶导', () => {
  it('GradOperation(get_by_list=True) with ParameterTuple(net.trainable_params()) → (Tensor([21.536]),)', () => {
    const output = new GradNetWrtX(new Net(), { getByList: true }).call(x, y) as Tensor[];
    expect(pyTuple(output)).toBe(golden('002/grad by list'));
  });

  it('requires_grad=False on z leaves it out of trainable_params, so there is nothing to differentiate', () => {
    const net = new Net(false);
    expect(String(net.z)).toBe(golden('002/z requires_grad=False'));
    expect(net.trainableParams()).toEqual([]);
    expect(pyTuple(new GradNetWrtX(net, { getByList: true }).call(x, y) as Tensor[])).toBe(golden('002/grad by list, nothing trainable'));
  });
});

describe('seed 002 § 梯度值缩放', () => {
  it('GradOperation(sens_param=True) with grad_wrt_output → [[2.211 0.51 1.49 ] [5.588 2.68 4.07 ]]', () => {
    const output = new GradNetWrtX(new Net(), { sensParam: true }).forward(x, y);
    expectClose(output, golden<M>('002/sens'));
  });
});

describe('seed 002 § 停止计算梯度', () => {
  /** out = matmul(x, y) + matmul(x, y), the second term optionally behind stop_gradient. */
  class TwoMatMuls extends Cell {
    constructor(readonly stop: boolean) { super(); }
    construct(x: Tensor, y: Tensor): Tensor {
      const out1 = ops.matmul(x, y);
      let out2 = ops.matmul(x, y);
      if (this.stop) out2 = stopGradient(out2);
      const out = ops.add(out1, out2);
      return out;
    }
  }
  const twoDigits = (t: Tensor): string[] => t.toArray().map(v => v.toPrecision(2));

  it('with stop_gradient(out2) only out1 contributes: [[4.5 2.7 3.6] [4.5 2.7 3.6]]', () => {
    const output = new GradNetWrtX(new TwoMatMuls(true)).forward(x, y);
    expectClose(output, golden<M>('002/stop_gradient'));
    expect(twoDigits(output)).toEqual(['4.5', '2.7', '3.6', '4.5', '2.7', '3.6']);
  });

  it('without it both terms contribute and every entry doubles: [[9.0 5.4 7.2] [9.0 5.4 7.2]]', () => {
    const output = new GradNetWrtX(new TwoMatMuls(false)).forward(x, y);
    expectClose(output, golden<M>('002/without stop_gradient'));
    expect(twoDigits(output)).toEqual(['9.0', '5.4', '7.2', '9.0', '5.4', '7.2']);
  });
});
