/**
 * MindSpore's functional autodiff: `grad`, `valueAndGrad`, `GradOperation` and `stopGradient`, on the reverse-mode
 * engine in autograd.ts. Inputs are differentiated through fresh leaf views, so calling a gradient function never
 * leaves graph state on the caller's tensors; Parameters are differentiated in place and their `.grad` is reset first.
 */
import { Tensor } from './tensor.js';
import { Parameter } from './parameter.js';
import { backward, isGradEnabled } from './autograd.js';
import { Cell } from './cell.js';

type Fn = (...args: Tensor[]) => Tensor | Tensor[];
export type GradPosition = number | number[] | null;

/** A Tensor sharing `x`'s data that autograd treats as a constant (mindspore.ops.stop_gradient). */
export function stopGradient(x: Tensor): Tensor {
  return new Tensor(x.data, x.shape, x.dtype);
}

function leaf(x: Tensor): Tensor {
  const t = new Tensor(x.data, x.shape, x.dtype);
  t.requiresGrad = true;
  return t;
}

const zerosLike = (t: Tensor): Tensor => Tensor.zeros(t.shape, t.dtype);
const asList = (o: Tensor | Tensor[]): Tensor[] => (Array.isArray(o) ? o : [o]);

interface Run { outputs: Tensor[]; inputGrads: Tensor[]; weightGrads: Tensor[] }

/**
 * Call `fn`, then sweep back from its differentiated outputs seeded with `sens` (ones by default). A `setGrad()` Cell
 * that has just run on these very inputs is not run again: its recorded forward is differentiated.
 */
function run(fn: Fn | Cell, args: Tensor[], positions: number[], weights: Parameter[], hasAux: boolean, sens?: Tensor[]): Run {
  if (!isGradEnabled()) throw new Error('gradients requested inside noGrad()');
  const recorded = fn instanceof Cell ? fn.takeRecordedForward(args) : null;
  const reuse = recorded !== null && positions.every(p => recorded.leaves[p]?.requiresGrad);
  const leaves = reuse ? recorded.leaves : args.map((a, i) => (positions.includes(i) ? leaf(a) : a));
  for (const w of weights) w.grad = null;
  const outputs = asList(reuse ? recorded.out : toFn(fn)(...leaves));
  const diffOut = hasAux ? outputs.slice(0, 1) : outputs;
  const grads = backward(diffOut, sens);
  const inputGrads = positions.map(p => {
    if (p < 0 || p >= args.length) throw new Error(`grad_position ${p} is out of range for ${args.length} inputs`);
    return grads.get(leaves[p]!) ?? zerosLike(args[p]!);
  });
  const weightGrads = weights.map(w => (w.requiresGrad ? w.grad ?? zerosLike(w) : zerosLike(w)));
  return { outputs, inputGrads, weightGrads };
}

function positionsOf(p: GradPosition): number[] {
  return p === null ? [] : Array.isArray(p) ? p : [p];
}

function shapeGrads(gradPosition: GradPosition, weights: Parameter[] | null, r: Run): Tensor | Tensor[] | [Tensor | Tensor[], Tensor[]] {
  const inputs = typeof gradPosition === 'number' ? r.inputGrads[0]! : r.inputGrads;
  if (!weights) return inputs;
  if (gradPosition === null) return r.weightGrads;
  return [inputs, r.weightGrads];
}

function weightList(weights: Parameter[] | ParameterLike | null): Parameter[] | null {
  if (!weights) return null;
  return [...(weights as Iterable<Parameter>)];
}
type ParameterLike = Iterable<Parameter>;

/**
 * mindspore.grad(fn, grad_position=0, weights=None, has_aux=False): a function returning the gradient of `fn` w.r.t.
 * the input(s) at `gradPosition` (a number gives one Tensor, a list a list), and/or `weights`
 * (`[inputGrads, weightGrads]` when both). With `hasAux` only the first output is differentiated and the function
 * returns `[gradients, aux]`, aux being fn's other outputs (MindSpore's `grads, (z,) = grad_fn(...)`).
 * @example const [grads, [z]] = grad(fn, [2, 3], null, true)(x, y, w, b)
 */
export function grad(fn: Fn | Cell, gradPosition: GradPosition = 0, weights: ParameterLike | null = null, hasAux = false) {
  const ws = weightList(weights);
  if (gradPosition === null && !ws) throw new Error('grad: grad_position and weights cannot both be None');
  return (...args: Tensor[]) => {
    const r = run(fn, args, positionsOf(gradPosition), ws ?? [], hasAux);
    const grads = shapeGrads(gradPosition, ws, r);
    return hasAux ? [grads, r.outputs.slice(1).map(stopGradient)] as const : grads;
  };
}

/** mindspore.value_and_grad: returns `[value, grads]`, value being fn's output(s) (all of them, aux included). */
export function valueAndGrad(fn: Fn | Cell, gradPosition: GradPosition = 0, weights: ParameterLike | null = null, hasAux = false) {
  const ws = weightList(weights);
  if (gradPosition === null && !ws) throw new Error('value_and_grad: grad_position and weights cannot both be None');
  return (...args: Tensor[]) => {
    const r = run(fn, args, positionsOf(gradPosition), ws ?? [], hasAux);
    const value = r.outputs.length === 1 ? r.outputs[0]! : r.outputs;
    return [value, shapeGrads(gradPosition, ws, r)] as const;
  };
}

/**
 * mindspore.ops.GradOperation(get_all=False, get_by_list=False, sens_param=False). `gradOp.call(net, weights?)` gives
 * the gradient function: the first input's gradient, all inputs' (getAll), the weights' (getByList), or
 * `[inputs, weights]` (both). With sensParam the last argument scales the output gradient.
 */
export class GradOperation {
  readonly getAll: boolean; readonly getByList: boolean; readonly sensParam: boolean;
  constructor(opts: { getAll?: boolean; getByList?: boolean; sensParam?: boolean } = {}) {
    this.getAll = opts.getAll ?? false; this.getByList = opts.getByList ?? false; this.sensParam = opts.sensParam ?? false;
  }

  call(fn: Fn | Cell, weights: ParameterLike | null = null) {
    const ws = this.getByList ? weightList(weights) ?? [] : [];
    /** With sensParam the last argument is the sensitivity: a Tensor, or a list of them for a multi-output fn (a tuple in MindSpore). */
    return (...args0: (Tensor | Tensor[])[]): Tensor | Tensor[] | [Tensor[], Tensor[]] => {
      const last = this.sensParam ? args0.pop() : undefined;
      if (this.sensParam && !last) throw new Error('GradOperation(sens_param=True) needs the sensitivity as the last argument');
      const args = args0 as Tensor[];
      if (args.some(a => Array.isArray(a))) throw new Error('GradOperation: only the sensitivity (last argument) may be a list');
      const sens = last === undefined ? undefined : Array.isArray(last) ? last : [last];
      const positions = this.getAll ? args.map((_, i) => i) : this.getByList ? [] : [0];
      const r = run(fn, args, positions, ws, false, sens);
      if (this.getAll && this.getByList) return [r.inputGrads, r.weightGrads];
      if (this.getByList) return r.weightGrads;
      return this.getAll ? r.inputGrads : r.inputGrads[0]!;
    };
  }
}

function toFn(fn: Fn | Cell): Fn {
  return typeof fn === 'function' ? fn : (...xs: Tensor[]) => fn.call(...xs);
}
