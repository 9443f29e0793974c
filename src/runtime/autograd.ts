import { Tensor } from './tensor.js';
import { getOp, Attrs } from './ops/registry.js';

let gradEnabled = true;

/** Run `fn` without recording gradients (inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export function isGradEnabled(): boolean { return gradEnabled; }

/** Run a registered op by name; record a graph node when any input requires grad. */
export function apply(name: string, inputs: Tensor[], attrs: Attrs = {}): Tensor {
  const op = getOp(name);
  const out = op.forward(inputs, attrs);
  if (Array.isArray(out)) throw new Error(`op ${name} returns several outputs; call applyMulti`);
  if (gradEnabled && inputs.some(t => t.requiresGrad)) {
    const backward = op.backward;
    out.requiresGrad = true;
    out.gradNode = {
      op: name,
      inputs,
      backward: dy => {
        if (!backward) throw new Error(`Cannot compute gradient: op ${name} has no gradient (${op.noGrad})`);
        return backward(dy, inputs, out, attrs);
      },
    };
  }
  return out;
}

/** Run a multi-output op (Split, ...). Such ops are not differentiated here. */
export function applyMulti(name: string, inputs: Tensor[], attrs: Attrs = {}): Tensor[] {
  const out = getOp(name).forward(inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

/**
 * Reverse-mode sweep from `root` (seeded with `sens`, ones by default). Gradients accumulate into `.grad`
 * of every tensor reached; each backward result is checked for arity and shape.
 */
export function backward(root: Tensor, sens?: Tensor): void {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const visit = (t: Tensor): void => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const i of t.gradNode?.inputs ?? []) visit(i);
    order.push(t);
  };
  visit(root);
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, sens ?? Tensor.full(root.shape, 1, root.dtype));
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    if (!g) continue;
    if (!t.gradNode) { t.grad = g; continue; }
    const node = t.gradNode;
    const gs = node.backward(g);
    if (gs.length !== node.inputs.length) throw new Error(`gradient of ${node.op} returned ${gs.length} values for ${node.inputs.length} inputs`);
    gs.forEach((gi, k) => {
      const inp = node.inputs[k]!;
      if (!gi || !inp.requiresGrad) return;
      if (gi.shape.join() !== inp.shape.join()) throw new Error(`gradient of ${node.op} input ${k} has shape [${gi.shape}] but the input has [${inp.shape}]`);
      const prev = grads.get(inp);
      grads.set(inp, prev ? apply('Add', [prev, gi]) : gi);
    });
  }
}
