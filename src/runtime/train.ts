/** nn.WithLossCell and nn.TrainOneStepCell: both use auto_prefix=False so the backbone keeps its parameter names. */
import { Cell, CellOutput } from './cell.js';
import { Tensor } from './tensor.js';
import { backward } from './autograd.js';
import type { Optimizer } from './optim.js';

/**
 * backbone(data) → loss_fn(output, label); Parameter names stay the backbone's (auto_prefix=False). The children are
 * MindSpore's `_backbone` and `_loss_fn`, so parameters_and_names gives `_backbone.weight` (conformance vs 2.10).
 */
export class WithLossCell extends Cell {
  private readonly _backbone: Cell;
  private readonly _loss_fn: Cell;
  get backbone(): Cell { return this._backbone; }
  get lossFn(): Cell { return this._loss_fn; }
  constructor(backbone: Cell, lossFn: Cell) {
    super(false);
    // underscore attributes are not registered by assignment (see Cell), so they are inserted as MindSpore does
    this._backbone = backbone;
    this._loss_fn = lossFn;
    this.insertChildToCell('_backbone', backbone);
    this.insertChildToCell('_loss_fn', lossFn);
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
    // MindSpore assigns `self.weights = optimizer.parameters` first: a ParameterTuple attribute registers each of its
    // Parameters on this Cell under its own name, so they lead parameters_and_names unprefixed (conformance vs 2.10)
    for (const p of optimizer.parameters) this.insertParamToCell(p.name, p);
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
