import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';
import { pyFloat, py, args, plainCall, type CellCall } from './pycall.js';

/**
 * Activation Cells: parameter-free wrappers over one functional op, with MindSpore's defaults. Each class names its
 * op and, where PyTorch's module is called otherwise, the PyTorch name its call is written with.
 */
abstract class OneOpActivation extends Cell {
  protected abstract readonly op: (x: Tensor) => Tensor;
  protected readonly torchName: string | undefined = undefined;
  construct(x: Tensor): Tensor { return this.op(x); }
  override emitCall(): CellCall { return plainCall(this.clsName, this.torchName ?? this.clsName); }
}
export class ReLU extends OneOpActivation { protected readonly op = ops.relu; }
export class ReLU6 extends OneOpActivation { protected readonly op = ops.relu6; }
export class Sigmoid extends OneOpActivation { protected readonly op = ops.sigmoid; }
export class Tanh extends OneOpActivation { protected readonly op = ops.tanh; }
/** MindSpore nn.Mish: x·tanh(softplus(x)) */
export class Mish extends OneOpActivation { protected readonly op = ops.mish; }
/** MindSpore HSigmoid: relu6(x + 3) / 6 */
export class HSigmoid extends OneOpActivation { protected readonly op = ops.hardsigmoid; protected override readonly torchName = 'Hardsigmoid'; }
/** MindSpore HSwish: x · relu6(x + 3) / 6 */
export class HSwish extends OneOpActivation { protected readonly op = ops.hardswish; protected override readonly torchName = 'Hardswish'; }
export class SiLU extends OneOpActivation { protected readonly op = ops.silu; }

/** nn.LeakyReLU(alpha=0.2): MindSpore's default slope differs from PyTorch's 0.01. */
export class LeakyReLU extends Cell {
  override emitCall(): CellCall { return { ms: `nn.LeakyReLU(alpha=${pyFloat(this.alpha)})`, torch: `nn.LeakyReLU(negative_slope=${pyFloat(this.alpha)})`, values: { alpha: this.alpha } }; }
  constructor(readonly alpha = 0.2) { super(); }
  construct(x: Tensor): Tensor { return ops.leakyRelu(x, this.alpha); }
}

/** nn.ELU(alpha=1.0): MindSpore 2.10 raises for any other alpha when called (ops.elu). */
export class ELU extends Cell {
  override emitCall(): CellCall { const a = this.alpha === 1 ? '' : `alpha=${pyFloat(this.alpha)}`; return { ms: `nn.ELU(${a})`, torch: `nn.ELU(${a})`, values: {} }; }
  constructor(readonly alpha = 1.0) { super(); }
  construct(x: Tensor): Tensor { return ops.elu(x, this.alpha); }
}

/** nn.GELU(approximate=True): MindSpore's Cell defaults to the tanh approximation; PyTorch's to the exact erf form. */
export class GELU extends Cell {
  override emitCall(): CellCall { return { ms: `nn.GELU(approximate=${py(this.approximate)})`, torch: `nn.GELU(${this.approximate ? "approximate='tanh'" : ''})`, values: { approximate: this.approximate } }; }
  constructor(readonly approximate = true) { super(); }
  construct(x: Tensor): Tensor { return ops.gelu(x, this.approximate ? 'tanh' : 'none'); }
}

/** Softmax / LogSoftmax: MindSpore's `axis` is PyTorch's `dim`. */
const axisCall = (name: string, axis: number): CellCall => ({ ms: `nn.${name}(axis=${axis})`, torch: `nn.${name}(dim=${axis})`, values: { axis } });

export class Softmax extends Cell {
  override emitCall(): CellCall { return axisCall(this.clsName, this.axis); }
  constructor(readonly axis = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.softmax(x, this.axis); }
}

export class LogSoftmax extends Cell {
  override emitCall(): CellCall { return axisCall(this.clsName, this.axis); }
  constructor(readonly axis = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.logSoftmax(x, this.axis); }
}

/** nn.PReLU(channel=1, w=0.25): the slope Parameter sits at attribute `w` and is named `a` (MindSpore 2.10). */
export class PReLU extends Cell {
  override emitCall(): CellCall { return { ms: `nn.PReLU(${args([], [['channel', this.w.size, 1]])})`, torch: `nn.PReLU(${args([], [['num_parameters', this.w.size, 1]])})`, values: {} }; }
  w: Parameter;
  constructor(channel = 1, w = 0.25) {
    super();
    this.w = new Parameter(Tensor.full([channel], w), 'a');
  }
  construct(x: Tensor): Tensor {
    const shape = x.ndim >= 2 ? [this.w.size, ...Array(x.ndim - 2).fill(1)] : [this.w.size];
    const slope = ops.reshape(this.w, this.w.size === 1 ? [1] : shape);
    return ops.add(ops.relu(x), ops.mul(slope, ops.minimum(x, Tensor.scalar(0))));
  }
}
