import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';

/** Activation Cells: parameter-free wrappers over one functional op, with MindSpore's defaults. */
export class ReLU extends Cell { construct(x: Tensor): Tensor { return ops.relu(x); } }
export class ReLU6 extends Cell { construct(x: Tensor): Tensor { return ops.relu6(x); } }
export class Sigmoid extends Cell { construct(x: Tensor): Tensor { return ops.sigmoid(x); } }
export class Tanh extends Cell { construct(x: Tensor): Tensor { return ops.tanh(x); } }
/** MindSpore nn.Mish: x·tanh(softplus(x)) */
export class Mish extends Cell { construct(x: Tensor): Tensor { return ops.mish(x); } }
/** MindSpore HSigmoid: relu6(x + 3) / 6 */
export class HSigmoid extends Cell { construct(x: Tensor): Tensor { return ops.hardsigmoid(x); } }
/** MindSpore HSwish: x · relu6(x + 3) / 6 */
export class HSwish extends Cell { construct(x: Tensor): Tensor { return ops.hardswish(x); } }
export class SiLU extends Cell { construct(x: Tensor): Tensor { return ops.silu(x); } }

/** nn.LeakyReLU(alpha=0.2): MindSpore's default slope differs from PyTorch's 0.01. */
export class LeakyReLU extends Cell {
  constructor(readonly alpha = 0.2) { super(); }
  construct(x: Tensor): Tensor { return ops.leakyRelu(x, this.alpha); }
}

/** nn.ELU(alpha=1.0): MindSpore 2.10 raises for any other alpha when called (ops.elu). */
export class ELU extends Cell {
  constructor(readonly alpha = 1.0) { super(); }
  construct(x: Tensor): Tensor { return ops.elu(x, this.alpha); }
}

/** nn.GELU(approximate=True): MindSpore's Cell defaults to the tanh approximation; PyTorch's to the exact erf form. */
export class GELU extends Cell {
  constructor(readonly approximate = true) { super(); }
  construct(x: Tensor): Tensor { return ops.gelu(x, this.approximate ? 'tanh' : 'none'); }
}

export class Softmax extends Cell {
  constructor(readonly axis = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.softmax(x, this.axis); }
}

export class LogSoftmax extends Cell {
  constructor(readonly axis = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.logSoftmax(x, this.axis); }
}

/** nn.PReLU(channel=1, w=0.25): the slope Parameter sits at attribute `w` and is named `a` (MindSpore 2.10). */
export class PReLU extends Cell {
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
