/** nn.WithLossCell and nn.TrainOneStepCell: both use auto_prefix=False so the backbone keeps its parameter names. */
import { Cell, CellOutput } from './cell.js';
import { Tensor } from './tensor.js';
import { backward } from './autograd.js';
import type { Optimizer } from './optim.js';

/** backbone(data) → loss_fn(output, label); parameter names stay the backbone's. */
export class WithLossCell extends Cell {
  readonly backbone: Cell;
  readonly lossFn: Cell;
  constructor(backbone: Cell, lossFn: Cell) {
    super(false);
    this.backbone = backbone;
    this.lossFn = lossFn;
  }
  construct(data: Tensor, label: Tensor): Tensor {
    return this.lossFn.forward(this.backbone.forward(data), label);
  }
}

/** One training step: forward, gradients of the loss w.r.t. the optimizer's parameters (scaled by sens), update. */
export class TrainOneStepCell extends Cell {
  readonly network: Cell;
  readonly optimizer: Optimizer;
  readonly sens: number;
  constructor(network: Cell, optimizer: Optimizer, sens = 1.0) {
    super(false);
    this.network = network;
    this.optimizer = optimizer;
    this.sens = sens;
  }
  construct(...inputs: Tensor[]): CellOutput {
    const weights = [...this.optimizer.parameters];
    for (const w of weights) w.grad = null;
    const loss = this.network.forward(...inputs);
    backward(loss, Tensor.full(loss.shape, this.sens, loss.dtype));
    this.optimizer.call(...weights.map(w => w.grad ?? Tensor.zeros(w.shape, w.dtype)));
    return new Tensor(loss.data, loss.shape, loss.dtype);
  }
}
