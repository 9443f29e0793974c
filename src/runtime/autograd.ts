import { roundToFloat16 } from './dtype.js';
import { Tensor } from './tensor.js';
import { getOp, Attrs } from './ops/registry.js';
import { LazyTensor } from './initializer.js';

let gradEnabled = true;

/** Run `fn` without recording gradients (inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export function isGradEnabled(): boolean { return gradEnabled; }

/** Attach a graph node to `outputs` when recording and some input requires grad. */
export function record(op: string, inputs: Tensor[], outputs: Tensor[], backward: (dys: Tensor[]) => (Tensor | null)[]): void {
  if (!gradEnabled || !inputs.some(t => t.requiresGrad)) return;
  const node = { op, inputs, outputs, backward };
  for (const o of outputs) { o.requiresGrad = true; o.gradNode = node; }
}

/**
 * An `initializer(...)` Tensor whose values were never drawn enters computation as zeros and stays undrawn: MindSpore
 * allocates its buffer zero-filled on first use and only `init_data()` (or printing) fills it (seed 003, "Parameter
 * 初始化API对比"). Parameters are not affected: they draw their initializer on first use.
 */
const materialised = (inputs: Tensor[]): Tensor[] =>
  inputs.map(t => (t instanceof LazyTensor && t.isLazy ? Tensor.zeros(t.shape, t.dtype) : t));

/**
 * A float16 result rounded to binary16. msport holds float16 values in float32 storage and an op computes in float32
 * (as MindSpore's and onnxruntime's CPU kernels accumulate); its float16 output is then rounded as theirs is, so a
 * half-precision network rounds after every op, not only where a Cast or a to_float Cell boundary says so.
 * Idempotent: a value already binary16 is unchanged (an op that returns its input's data rounds nothing new).
 */
function roundedToDtype(t: Tensor): Tensor {
  if (t.dtype !== 'float16' || !(t.data instanceof Float32Array)) return t;
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = roundToFloat16(d[i]!);
  return t;
}

/** Run a registered op by name; record a graph node when any input requires grad. */
export function apply(name: string, inputs0: Tensor[], attrs: Attrs = {}): Tensor {
  const op = getOp(name);
  const inputs = materialised(inputs0);
  const raw = op.forward(inputs, attrs);
  if (Array.isArray(raw)) throw new Error(`op ${name} returns several outputs; call applyMulti`);
  const out = roundedToDtype(raw);
  record(name, inputs, [out], ([dy]) => {
    if (!op.backward) throw new Error(`Cannot compute gradient: op ${name} has no gradient (${op.noGrad})`);
    return op.backward(dy!, inputs, out, attrs);
  });
  return out;
}

/** Run a multi-output op; such ops are not differentiable (compose single-output ops when a gradient is needed). */
export function applyMulti(name: string, inputs: Tensor[], attrs: Attrs = {}): Tensor[] {
  const out = getOp(name).forward(materialised(inputs), attrs);
  return (Array.isArray(out) ? out : [out]).map(roundedToDtype);
}

/**
 * Reverse-mode sweep from `roots` (each seeded with its `sens`, ones by default). Nodes run in reverse topological
 * order; each backward result is checked for arity and shape, and gradients reaching a leaf that requires grad are
 * stored in its `.grad`. Returns the gradient of every tensor reached.
 */
export function backward(roots: Tensor | Tensor[], sens?: Tensor | Tensor[]): Map<Tensor, Tensor> {
  const rs = Array.isArray(roots) ? roots : [roots];
  const ss = sens === undefined ? [] : Array.isArray(sens) ? sens : [sens];
  type Node = NonNullable<Tensor['gradNode']>;
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const i of n.inputs) if (i.gradNode) visit(i.gradNode);
    order.push(n);
  };
  for (const r of rs) if (r.gradNode) visit(r.gradNode);
  const grads = new Map<Tensor, Tensor>();
  const add = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, prev ? noGradAdd(prev, g) : g);
  };
  rs.forEach((r, i) => {
    const s = ss[i] ?? Tensor.full(r.shape, 1, r.dtype);
    if (s.shape.join() !== r.shape.join()) throw new Error(`sens has shape [${s.shape}] but the output has [${r.shape}]`);
    add(r, s);
  });
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    if (!node.outputs.some(o => grads.has(o))) continue;
    const dys = node.outputs.map(o => grads.get(o) ?? Tensor.zeros(o.shape, o.dtype));
    const gs = noGradRun(() => node.backward(dys));
    if (gs.length !== node.inputs.length) throw new Error(`gradient of ${node.op} returned ${gs.length} values for ${node.inputs.length} inputs`);
    gs.forEach((g, i) => {
      const inp = node.inputs[i]!;
      if (!g || !inp.requiresGrad) return;
      if (g.shape.join() !== inp.shape.join()) throw new Error(`gradient of ${node.op} input ${i} has shape [${g.shape}] but the input has [${inp.shape}]`);
      add(inp, g);
    });
  }
  for (const [t, g] of grads) if (!t.gradNode && t.requiresGrad) t.grad = g;
  return grads;
}

function noGradRun<T>(fn: () => T): T { return noGrad(fn); }
function noGradAdd(a: Tensor, b: Tensor): Tensor { return noGrad(() => apply('Add', [a, b])); }
