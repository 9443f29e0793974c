/**
 * Optimizers over `trainableParams()`, with MindSpore's update rules and state names (moments.*, moment1.*, moment2.*).
 * Each is a Cell, as in MindSpore: calling it with the gradients (one per parameter, in order) updates the parameters.
 */
import { Cell } from './cell.js';
import { Parameter, ParameterTuple } from './parameter.js';
import { Tensor } from './tensor.js';

export interface OptimizerOptions {
  learningRate?: number;
  weightDecay?: number;
  lossScale?: number;
}

/** MindSpore's default decay filter: no weight decay on BatchNorm/LayerNorm `beta` and `gamma`. */
const decayed = (p: Parameter): boolean => !p.name.includes('beta') && !p.name.includes('gamma');

export abstract class Optimizer extends Cell {
  readonly parameters: ParameterTuple;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly lossScale: number;
  /** number of steps taken (MindSpore's global_step) */
  globalStep = 0;

  constructor(params: Iterable<Parameter>, opts: OptimizerOptions & { learningRate: number }) {
    super(false);
    this.parameters = new ParameterTuple(params);
    if (this.parameters.length === 0) throw new Error(`${this.constructor.name}: the parameter list is empty`);
    this.learningRate = opts.learningRate;
    this.weightDecay = opts.weightDecay ?? 0;
    this.lossScale = opts.lossScale ?? 1;
    if (!(this.learningRate >= 0)) throw new Error(`${this.constructor.name}: learning_rate must be >= 0, got ${this.learningRate}`);
  }

  /** Per-parameter update on flat float arrays: `g` already unscaled and weight-decayed. */
  protected abstract update(i: number, p: Float32Array, g: Float32Array): void;

  construct(...grads: Tensor[]): Tensor[] {
    if (grads.length !== this.parameters.length) throw new Error(`${this.clsName}: got ${grads.length} gradients for ${this.parameters.length} parameters`);
    this.globalStep++;
    [...this.parameters].forEach((p, i) => {
      const g0 = grads[i]!;
      if (g0.shape.join() !== p.shape.join()) throw new Error(`${this.clsName}: gradient for ${p.name} has shape [${g0.shape}], the parameter [${p.shape}]`);
      const g = Float32Array.from(g0.data as Float32Array, v => v / this.lossScale);
      const pd = p.data as Float32Array;
      if (this.weightDecay && decayed(p)) for (let k = 0; k < g.length; k++) g[k] += this.weightDecay * pd[k]!;
      this.update(i, pd, g);
    });
    return grads;
  }
}

/** nn.SGD(params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False). */
export class SGD extends Optimizer {
  readonly momentum: number; readonly dampening: number; readonly nesterov: boolean;
  readonly accum: ParameterTuple;
  private readonly started: boolean[] = [];
  constructor(params: Iterable<Parameter>, opts: OptimizerOptions & { momentum?: number; dampening?: number; nesterov?: boolean } = {}) {
    super(params, { ...opts, learningRate: opts.learningRate ?? 0.1 });
    this.momentum = opts.momentum ?? 0; this.dampening = opts.dampening ?? 0; this.nesterov = opts.nesterov ?? false;
    this.accum = this.parameters.clone('accum', 'zeros');
  }
  protected update(i: number, p: Float32Array, g: Float32Array): void {
    const lr = this.learningRate, m = this.momentum;
    if (m === 0) { for (let k = 0; k < p.length; k++) p[k] -= lr * g[k]!; return; }
    const a = this.accum.at(i)!.data as Float32Array;
    // PyTorch-compatible SGD: the first step stores the raw gradient, later ones accum = m·accum + (1 − dampening)·g
    const first = !this.started[i];
    for (let k = 0; k < p.length; k++) {
      a[k] = first ? g[k]! : m * a[k]! + (1 - this.dampening) * g[k]!;
      p[k] -= lr * (this.nesterov ? g[k]! + m * a[k]! : a[k]!);
    }
    this.started[i] = true;
  }
}

/** nn.Momentum(params, learning_rate, momentum, use_nesterov=False): moments = momentum·moments + g; p −= lr·moments. */
export class Momentum extends Optimizer {
  readonly momentum: number; readonly useNesterov: boolean;
  readonly moments: ParameterTuple;
  constructor(params: Iterable<Parameter>, opts: OptimizerOptions & { learningRate: number; momentum: number; useNesterov?: boolean }) {
    super(params, opts);
    this.momentum = opts.momentum; this.useNesterov = opts.useNesterov ?? false;
    if (!(this.momentum >= 0)) throw new Error(`Momentum: momentum must be >= 0, got ${this.momentum}`);
    this.moments = this.parameters.clone('moments', 'zeros');
  }
  protected update(i: number, p: Float32Array, g: Float32Array): void {
    const a = this.moments.at(i)!.data as Float32Array, lr = this.learningRate, m = this.momentum;
    for (let k = 0; k < p.length; k++) {
      a[k] = m * a[k]! + g[k]!;
      p[k] -= this.useNesterov ? lr * (g[k]! + m * a[k]!) : lr * a[k]!;
    }
  }
}

/**
 * nn.Adam(params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8): m, v moving averages;
 * p −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + eps) — MindSpore's form, eps outside the bias correction.
 */
export class Adam extends Optimizer {
  readonly beta1: number; readonly beta2: number; readonly eps: number;
  readonly moment1: ParameterTuple; readonly moment2: ParameterTuple;
  constructor(params: Iterable<Parameter>, opts: OptimizerOptions & { beta1?: number; beta2?: number; eps?: number } = {}) {
    super(params, { ...opts, learningRate: opts.learningRate ?? 1e-3 });
    this.beta1 = opts.beta1 ?? 0.9; this.beta2 = opts.beta2 ?? 0.999; this.eps = opts.eps ?? 1e-8;
    this.moment1 = this.parameters.clone('moment1', 'zeros');
    this.moment2 = this.parameters.clone('moment2', 'zeros');
  }
  protected update(i: number, p: Float32Array, g: Float32Array): void {
    const m = this.moment1.at(i)!.data as Float32Array, v = this.moment2.at(i)!.data as Float32Array;
    const t = this.globalStep, b1 = this.beta1, b2 = this.beta2;
    const lrT = (this.learningRate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let k = 0; k < p.length; k++) {
      m[k] = b1 * m[k]! + (1 - b1) * g[k]!;
      v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!;
      p[k] -= (lrT * m[k]!) / (Math.sqrt(v[k]!) + this.eps);
    }
  }
}
