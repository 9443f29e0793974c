/**
 * Scope fusions: a PyTorch module that the exporter decomposed into primitive nodes (LayerNorm before opset 17, exact
 * GELU, SiLU, Linear on a 3-D input as MatMul + Add) is put back together as the one MindSpore Cell a port would use, so
 * its Parameters get MindSpore names (`norm1.gamma`). Each rule matches the non-Constant nodes of one module scope
 * exactly and emits one standard ONNX node for the existing handlers; anything else stays functional.
 */
import { Tensor } from '../runtime/tensor.js';
import type { OnnxGraph, OnnxNode } from './proto.js';
import { moduleClassOf, nodeScope } from './scope.js';
import { torchApiOfClass, type TorchApi } from '../mappings/index.js';

interface FusionRule {
  name: string;
  /**
   * The module the scope must be, as the mapping rule names it (torch 2.9+ exports record the class in
   * class_hierarchy): for op patterns that are the module only when the export says so — elsewhere the same ops are
   * a model's own arithmetic.
   */
  module?: TorchApi;
  /** op types of the scope's nodes (Constant excluded), as a sorted multiset */
  ops: string[];
  fuse(nodes: OnnxNode[], k: (name: string) => Tensor | undefined): OnnxNode | null;
}

const sortedOps = (ns: OnnxNode[]): string => ns.map(n => n.opType).sort().join(',');
const one = (ns: OnnxNode[], op: string): OnnxNode => ns.find(n => n.opType === op)!;
const scalar = (t: Tensor | undefined): number | undefined => (t && t.size === 1 ? t.get(0) : undefined);
/** `mul` is x · y, in either order (the activations written as x times a function of x). */
const multiplies = (mul: OnnxNode, x: string, y: string): boolean => x !== y && mul.inputs.includes(x) && mul.inputs.includes(y);
const fused = (from: OnnxNode[], opType: string, inputs: string[], outputs: string[], attrs: [string, number | string][]): OnnxNode => ({
  name: from[0]!.name, opType, domain: '', inputs, outputs, attrs: new Map(attrs), fusedFrom: from.map(n => n.name), fusedOpset: true,
  // the module path of a torch 2.9+ export lives in the metadata: the fused node keeps it
  ...(from[0]!.metadata ? { metadata: from[0]!.metadata } : {}),
});

/**
 * The one tensor a scope's nodes read from outside (constants aside) and the one they give back: a pattern that is a
 * pure function of one input, such as an activation. Null when there are more.
 */
function boundary(ns: OnnxNode[], k: (name: string) => Tensor | undefined): { input: string; output: string } | null {
  const produced = new Set(ns.flatMap(n => n.outputs));
  const read = new Set(ns.flatMap(n => n.inputs));
  const inputs = [...read].filter(i => i && !produced.has(i) && !k(i));
  const outputs = [...produced].filter(o => o && !read.has(o));
  return inputs.length === 1 && outputs.length === 1 ? { input: inputs[0]!, output: outputs[0]! } : null;
}

/** MatMul(x, Wᵀ) with a constant 2-D weight → Gemm(transB=0) → nn.Dense(has_bias=False). */
function linearNoBias(ns: OnnxNode[], k: (name: string) => Tensor | undefined): OnnxNode | null {
  const mm = ns[0]!;
  const w = k(mm.inputs[1]!);
  if (!w || w.ndim !== 2) return null;
  return fused(ns, 'Gemm', [mm.inputs[0]!, mm.inputs[1]!], mm.outputs, [['transB', 0]]);
}

/** The GroupNorm rules' match (see fusionRules). */
function groupNorm(ns: OnnxNode[], k: (name: string) => Tensor | undefined): OnnxNode | null {
  const inorm = one(ns, 'InstanceNormalization'), mul = one(ns, 'Mul'), add = one(ns, 'Add');
  const [r1, r2] = ns.filter(n => n.opType === 'Reshape');
  const shape = ns.find(n => n.opType === 'Shape');
  const groupsShape = k(r1!.inputs[1]!), sc = k(inorm.inputs[1]!), b = k(inorm.inputs[2]!);
  if (!groupsShape || groupsShape.size !== 3 || !sc || !b || sc.toArray().some(v => v !== 1) || b.toArray().some(v => v !== 0)) return null;
  if (inorm.inputs[0] !== r1!.outputs[0] || r2!.inputs[0] !== inorm.outputs[0] || !mul.inputs.includes(r2!.outputs[0]!) || !add.inputs.includes(mul.outputs[0]!)) return null;
  if (shape && (shape.inputs[0] !== r1!.inputs[0] || r2!.inputs[1] !== shape.outputs[0])) return null;
  const weight = mul.inputs.find(i => i !== r2!.outputs[0])!, bias = add.inputs.find(i => i !== mul.outputs[0])!;
  if (!k(weight) || !k(bias)) return null;
  const eps = (inorm.attrs.get('epsilon') as number | undefined) ?? 1e-5;
  return fused(ns, 'GroupNormalization', [r1!.inputs[0]!, weight, bias], add.outputs, [['num_groups', Number(groupsShape.get(1))], ['epsilon', eps]]);
}

export const fusionRules: FusionRule[] = [
  {
    // torch.nn.Linear on an input of rank > 2: MatMul(x, Wᵀ) [+ Add(b)] → Gemm(x, Wᵀ, b) with transB=0 → nn.Dense
    name: 'Linear',
    ops: ['Add', 'MatMul'],
    fuse(ns, k) {
      const mm = one(ns, 'MatMul'), add = one(ns, 'Add');
      const w = k(mm.inputs[1]!);
      const bias = add.inputs.find(i => i !== mm.outputs[0]);
      const b = bias ? k(bias) : undefined;
      if (!w || w.ndim !== 2 || !b || b.ndim !== 1 || b.size !== w.shape[1] || !add.inputs.includes(mm.outputs[0]!)) return null;
      return fused(ns, 'Gemm', [mm.inputs[0]!, mm.inputs[1]!, bias!], add.outputs, [['transB', 0]]);
    },
  },
  {
    // torch.nn.Linear(bias=False) on an input of rank > 2 in a torch 2.9+ export: MatMul(x, Wᵀ) alone. Only where the
    // node metadata says the scope is a Linear: elsewhere a lone MatMul with a weight is any module's own product.
    name: 'Linear (no bias)',
    module: 'torch.nn.Linear',
    ops: ['MatMul'],
    fuse: linearNoBias,
  },
  {
    // the same in a TorchScript export, which records no class: there F.linear's folded Wᵀ gets an exporter-made name
    // (`onnx::MatMul_8`), while a module multiplying by its own parameter (`x @ self.W`) reads it by its state_dict name
    name: 'Linear (no bias, TorchScript)',
    ops: ['MatMul'],
    fuse: (ns, k) => (!ns[0]!.metadata && /^onnx::MatMul_\d+$/.test(ns[0]!.inputs[1] ?? '') ? linearNoBias(ns, k) : null),
  },
  {
    // torch.nn.LayerNorm before opset 17: mean, x − mean, pow 2, mean, + eps, sqrt, divide, · weight, + bias
    name: 'LayerNorm',
    ops: ['Add', 'Add', 'Div', 'Mul', 'Pow', 'ReduceMean', 'ReduceMean', 'Sqrt', 'Sub'],
    fuse(ns, k) {
      const [m1] = ns.filter(n => n.opType === 'ReduceMean');
      const sub = one(ns, 'Sub'), pow = one(ns, 'Pow'), div = one(ns, 'Div'), mul = one(ns, 'Mul'), sqrt = one(ns, 'Sqrt');
      const [addEps, addBias] = ns.filter(n => n.opType === 'Add');
      const x = m1!.inputs[0]!;
      const axes = m1!.attrs.get('axes') as number[] | undefined;
      if (!axes || sub.inputs[0] !== x || sub.inputs[1] !== m1!.outputs[0] || scalar(k(pow.inputs[1]!)) !== 2) return null;
      if (!addEps || !addBias || sqrt.inputs[0] !== addEps.outputs[0] || div.inputs[0] !== sub.outputs[0] || mul.inputs[0] !== div.outputs[0]) return null;
      const eps = scalar(k(addEps.inputs[1]!)), weight = mul.inputs[1]!, bias = addBias.inputs.find(i => i !== mul.outputs[0])!;
      const w = k(weight);
      if (eps === undefined || !w || !k(bias) || axes.some(a => a >= 0) || axes.length !== w.ndim) return null;
      return fused(ns, 'LayerNormalization', [x, weight, bias], addBias.outputs, [['axis', Math.min(...axes)], ['epsilon', eps]]);
    },
  },
  {
    // torch.nn.SiLU: x · sigmoid(x) → ONNX Swish (opset 24) with alpha 1 → nn.SiLU
    name: 'SiLU',
    ops: ['Mul', 'Sigmoid'],
    fuse(ns) {
      const sig = one(ns, 'Sigmoid'), mul = one(ns, 'Mul');
      const x = sig.inputs[0]!;
      if (!multiplies(mul, x, sig.outputs[0]!)) return null;
      return fused(ns, 'Swish', [x], mul.outputs, [['alpha', 1]]);
    },
  },
  {
    // exact GELU: x · 0.5 · (1 + erf(x / √2))
    name: 'GELU',
    ops: ['Add', 'Div', 'Erf', 'Mul', 'Mul'],
    fuse(ns, k) {
      const div = one(ns, 'Div'), erf = one(ns, 'Erf'), add = one(ns, 'Add');
      const [mulX, mulHalf] = ns.filter(n => n.opType === 'Mul');
      const x = div.inputs[0]!;
      if (Math.abs((scalar(k(div.inputs[1]!)) ?? 0) - Math.SQRT2) > 1e-6 || erf.inputs[0] !== div.outputs[0]) return null;
      if (scalar(k(add.inputs[1]!)) !== 1 || !mulX || !mulHalf || !mulX.inputs.includes(x) || !mulX.inputs.includes(add.outputs[0]!)) return null;
      if (mulHalf.inputs[0] !== mulX.outputs[0] || scalar(k(mulHalf.inputs[1]!)) !== 0.5) return null;
      return fused(ns, 'Gelu', [x], mulHalf.outputs, [['approximate', 'none']]);
    },
  },
  {
    // GELU(approximate='tanh') before opset 20: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as six Mul, two Add, a Tanh
    name: 'GELU (tanh)',
    ops: ['Add', 'Add', 'Mul', 'Mul', 'Mul', 'Mul', 'Mul', 'Mul', 'Tanh'],
    fuse(ns, k) {
      const io = boundary(ns, k);
      if (!io) return null;
      // the formula's four constants, exactly as the exporter writes them (float32)
      const consts = ns.flatMap(n => n.inputs.map(i => scalar(k(i)))).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
      const want = [0.044715, 0.5, Math.sqrt(2 / Math.PI), 1].map(Math.fround).sort((a, b) => a - b);
      if (consts.length !== 4 || consts.some((v, i) => Math.fround(v) !== want[i])) return null;
      return fused(ns, 'Gelu', [io.input], [io.output], [['approximate', 'tanh']]);
    },
  },
  {
    // torch.nn.Mish before opset 18: x · tanh(softplus(x)) → ONNX Mish → nn.Mish
    name: 'Mish',
    ops: ['Mul', 'Softplus', 'Tanh'],
    fuse(ns) {
      const sp = one(ns, 'Softplus'), th = one(ns, 'Tanh'), mul = one(ns, 'Mul');
      const x = sp.inputs[0]!;
      if (th.inputs[0] !== sp.outputs[0] || !multiplies(mul, x, th.outputs[0]!)) return null;
      return fused(ns, 'Mish', [x], mul.outputs, []);
    },
  },
  {
    // torch.nn.Hardswish before opset 14: x · HardSigmoid(x) with alpha 1/6, beta 0.5 → HardSwish → nn.HSwish
    name: 'Hardswish',
    ops: ['HardSigmoid', 'Mul'],
    fuse(ns) {
      const hs = one(ns, 'HardSigmoid'), mul = one(ns, 'Mul');
      const x = hs.inputs[0]!;
      const alpha = (hs.attrs.get('alpha') as number | undefined) ?? 0.2, beta = (hs.attrs.get('beta') as number | undefined) ?? 0.5;
      if (Math.fround(alpha) !== Math.fround(1 / 6) || beta !== 0.5 || !multiplies(mul, x, hs.outputs[0]!)) return null;
      return fused(ns, 'HardSwish', [x], mul.outputs, []);
    },
  },
  {
    // nn.AvgPool2d(padding=p, count_include_pad=True): the TorchScript exporter writes a zero Pad of H and W and an
    // unpadded AveragePool → one AveragePool with those pads counted → nn.AvgPool2d(pad_mode='pad', padding=p)
    name: 'AvgPool2d (count_include_pad)',
    ops: ['AveragePool', 'Pad'],
    fuse(ns, k) {
      const pad = one(ns, 'Pad'), pool = one(ns, 'AveragePool');
      const p = k(pad.inputs[1] ?? '')?.toArray(), value = pad.inputs[2] ? scalar(k(pad.inputs[2])) : 0;
      const mode = (pad.attrs.get('mode') as string | undefined) ?? 'constant';
      const poolPads = (pool.attrs.get('pads') as number[] | undefined) ?? [0, 0, 0, 0];
      if (!p || p.length !== 8 || mode !== 'constant' || value !== 0 || pool.inputs[0] !== pad.outputs[0] || poolPads.some(v => v !== 0)) return null;
      if (p[0] || p[1] || p[4] || p[5] || (pool.attrs.get('ceil_mode') as number | undefined)) return null;
      // the pool's own attributes (kernel, strides), with the Pad's H/W amounts as its pads, counted
      const f = fused(ns, 'AveragePool', [pad.inputs[0]!], pool.outputs, [['count_include_pad', 1]]);
      for (const [a, v] of pool.attrs) if (a !== 'pads' && a !== 'count_include_pad') f.attrs.set(a, v);
      f.attrs.set('pads', [p[2]!, p[3]!, p[6]!, p[7]!]);
      return f;
    },
  },
  // torch.nn.GroupNorm before opset 21: reshape to [N, G, -1], InstanceNorm with unit scale, reshape back (to the
  // input's Shape, in TorchScript exports), · weight + bias → GroupNormalization (opset 21 semantics) → nn.GroupNorm.
  // The unit-scale InstanceNorm between the two reshapes is the module's own signature: no class needed.
  { name: 'GroupNorm', ops: ['Add', 'InstanceNormalization', 'Mul', 'Reshape', 'Reshape'], fuse: groupNorm },
  { name: 'GroupNorm (TorchScript)', ops: ['Add', 'InstanceNormalization', 'Mul', 'Reshape', 'Reshape', 'Shape'], fuse: groupNorm },
  {
    // torch.nn.Flatten() (start_dim=1) in a torch 2.9+ export: one Reshape to [N, -1] or to the static [N, C·H·W]
    name: 'Flatten',
    module: 'torch.nn.Flatten',
    ops: ['Reshape'],
    fuse(ns, k) {
      const shape = k(ns[0]!.inputs[1]!);
      return shape && shape.size === 2 ? fused(ns, 'Flatten', [ns[0]!.inputs[0]!], ns[0]!.outputs, [['axis', 1]]) : null;
    },
  },
];

/** The ops a recurrent module's export wraps its per-layer nodes in: state shapes, layout changes, the h_n Concat. */
const RNN_PLUMBING = new Set(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Expand', 'Squeeze', 'Transpose', 'Reshape', 'Slice']);

/**
 * A stacked nn.LSTM / nn.GRU (num_layers > 1): PyTorch exports one node per layer in the module's scope, the layers
 * chained through layout ops, initial states zero (Expand) or sliced per layer from the module's h_0 (c_0), and h_n
 * (c_n) as the Concat of the layers' final states. The scope's outputs are then exactly the module's (output,
 * h_n[, c_n]), so the stack is one node carrying every layer's weights — one MindSpore Cell with num_layers, its
 * Parameters `weight_ih_l{k}` as in the state_dict. Anything else in the scope leaves the layers as they are.
 */
function fuseRnnStack(work: OnnxNode[], k: (name: string) => Tensor | undefined, readOutside: (name: string) => boolean): OnnxNode | null {
  const rnns = work.filter(n => n.opType === 'LSTM' || n.opType === 'GRU');
  if (rnns.length < 2 || work.some(n => n !== rnns.find(r => r === n) && !RNN_PLUMBING.has(n.opType))) return null;
  const op = rnns[0]!.opType, attrsOf = (n: OnnxNode) => ['hidden_size', 'direction', 'layout', 'linear_before_reset', 'activations', 'clip'].map(a => JSON.stringify(n.attrs.get(a) ?? null)).join();
  if (rnns.some(r => r.opType !== op || attrsOf(r) !== attrsOf(rnns[0]!) || r.inputs[4] || r.inputs[7])) return null;
  if ((rnns[0]!.attrs.get('direction') ?? 'forward') === 'reverse' || ((rnns[0]!.attrs.get('layout') as number | undefined) ?? 0) !== 0) return null;
  const producer = new Map(work.flatMap(n => n.outputs.map(o => [o, n] as const)));
  // initial states: zeros (Expand of a zero constant) or none in every layer, or layer l's rows [l·D, (l+1)·D) of the
  // module's h_0 (c_0) argument in every layer
  const D = rnns[0]!.attrs.get('direction') === 'bidirectional' ? 2 : 1;
  const given: (string | undefined)[] = [];
  for (const [slot, i] of (op === 'LSTM' ? [5, 6] : [5]).entries()) {
    let zeros = 0;
    for (const [l, r] of rnns.entries()) {
      const st = r.inputs[i];
      const e = st ? producer.get(st) : undefined;
      const z = e?.opType === 'Expand' ? k(e.inputs[0]!) : undefined;
      if (!st || (z && z.toArray().every(v => v === 0))) { zeros++; continue; }
      const [starts, ends, axes, steps] = [1, 2, 3, 4].map(j => (e?.inputs[j] ? k(e.inputs[j]!)?.toArray() : undefined));
      const src = e?.opType === 'Slice' ? e.inputs[0]! : undefined;
      if (!src || producer.has(src) || (given[slot] !== undefined && given[slot] !== src) || starts?.join() !== String(l * D) || ends?.join() !== String((l + 1) * D)
        || (axes && axes.join() !== '0') || (steps && steps.join() !== '1')) return null;
      given[slot] = src;
    }
    if (zeros !== 0 && zeros !== rnns.length) return null;
  }
  // layer l + 1 reads layer l's Y through layout ops only
  const traceBack = (name: string, stop: string): boolean => {
    for (let n = producer.get(name), hops = 0; n && hops < 8; n = producer.get(n.inputs[0]!), hops++) {
      if (n.inputs[0] === stop) return ['Squeeze', 'Transpose', 'Reshape'].includes(n.opType);
      if (!['Squeeze', 'Transpose', 'Reshape'].includes(n.opType)) return false;
    }
    return false;
  };
  for (let l = 1; l < rnns.length; l++) if (!traceBack(rnns[l]!.inputs[0]!, rnns[l - 1]!.outputs[0]!)) return null;
  // the first layer reads the module's input, or its batch-first transpose (batch_first=True)
  let x = rnns[0]!.inputs[0]!, batchFirst = 0;
  const t0 = producer.get(x);
  if (t0) {
    const perm = t0.attrs.get('perm') as number[] | undefined;
    if (t0.opType !== 'Transpose' || perm?.join() !== '1,0,2' || producer.has(t0.inputs[0]!)) return null;
    x = t0.inputs[0]!; batchFirst = 1;
  }
  // what the scope gives back: the last layer's Y after layout ops, and the Concat of each state kind
  const exposed = work.flatMap(n => n.outputs).filter(o => o && readOutside(o));
  const concatOf = (slot: number): string | undefined => work.find(n => n.opType === 'Concat' && n.inputs.length === rnns.length
    && n.inputs.every((i, l) => i === rnns[l]!.outputs[slot]) && ((n.attrs.get('axis') as number | undefined) ?? 0) === 0)?.outputs[0];
  const hn = concatOf(1), cn = op === 'LSTM' ? concatOf(2) : undefined;
  const y = exposed.find(o => o !== hn && o !== cn);
  if (!y || exposed.some(o => o !== y && o !== hn && o !== cn) || !traceBack(y, rnns.at(-1)!.outputs[0]!)) return null;
  const attrs: [string, number | string][] = [['hidden_size', rnns[0]!.attrs.get('hidden_size') as number], ['direction', (rnns[0]!.attrs.get('direction') as string | undefined) ?? 'forward'],
    ['msport_num_layers', rnns.length], ['msport_batch_first', batchFirst]];
  if (op === 'GRU') attrs.push(['linear_before_reset', (rnns[0]!.attrs.get('linear_before_reset') as number | undefined) ?? 0]);
  return fused(rnns, op, [x, given[0] ?? '', given[1] ?? '', ...rnns.flatMap(r => [r.inputs[1]!, r.inputs[2]!, r.inputs[3] ?? ''])],
    op === 'LSTM' ? [y, hn ?? '', cn ?? ''] : [y, hn ?? ''], attrs);
}

/** Replace every scope that matches a rule with its fused node; the rest of the graph is untouched. */
export function applyFusions(graph: OnnxGraph, nodes: OnnxNode[]): OnnxNode[] {
  const constantNodes = new Map<string, Tensor>();
  for (const n of nodes) if (n.opType === 'Constant' && n.attrs.get('value') instanceof Tensor) constantNodes.set(n.outputs[0]!, n.attrs.get('value') as Tensor);
  // the exporter shares equal initializers through Identity nodes (`Identity_2: features.3.0.block.3.bias → features.7.2.block.5.bias`)
  const identityOf = new Map(nodes.filter(n => n.opType === 'Identity').map(n => [n.outputs[0]!, n.inputs[0]!]));
  const k = (name: string): Tensor | undefined => {
    for (let i = 0; i < 8 && identityOf.has(name) && !graph.initializers.has(name); i++) name = identityOf.get(name)!;
    return graph.initializers.get(name) ?? constantNodes.get(name);
  };
  const byScope = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    // module scopes: TorchScript node names (`/encoder/layers.0/norm1/…`) or torch 2.9+ node metadata
    if (!n.name.startsWith('/') && !n.metadata?.has('pkg.torch.onnx.name_scopes')) continue;
    const key = nodeScope(n, () => false).path.join('.');
    if (!key) continue;
    (byScope.get(key) ?? byScope.set(key, []).get(key)!).push(n);
  }
  const consumers = new Map<string, number>();
  // a subgraph's reads (an If branch's) count as its node's
  for (const n of nodes) for (const i of [...n.inputs, ...(n.captures ?? [])]) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const graphOutputs = new Set(graph.outputs.map(o => o.name));
  const replace = new Map<OnnxNode, OnnxNode | null>();
  for (const scopeNodes of byScope.values()) {
    const work = scopeNodes.filter(n => n.opType !== 'Constant');
    const sig = sortedOps(work);
    // (the exporter leaves some of the module's shape arithmetic unscoped, `Unsqueeze_5`: reads by those don't count)
    const stack = fuseRnnStack(work, k, o => graphOutputs.has(o) || nodes.some(n => !work.includes(n) && !RNN_PLUMBING.has(n.opType) && n.inputs.includes(o)));
    if (stack) {
      work.forEach((n, i) => replace.set(n, i === work.length - 1 ? stack : null));
      continue;
    }
    for (const rule of fusionRules) {
      if ([...rule.ops].sort().join(',') !== sig || (rule.module && torchApiOfClass(moduleClassOf(work[0]!)) !== rule.module)) continue;
      const f = rule.fuse(work, k);
      if (!f) continue;
      // inner tensors must not be read outside the fused group
      const inner = work.flatMap(n => n.outputs).filter(o => !f.outputs.includes(o));
      const innerReaders = new Map<string, number>();
      for (const n of work) for (const i of n.inputs) innerReaders.set(i, (innerReaders.get(i) ?? 0) + 1);
      if (inner.some(o => graphOutputs.has(o) || (consumers.get(o) ?? 0) !== (innerReaders.get(o) ?? 0))) continue;
      work.forEach((n, i) => replace.set(n, i === work.length - 1 ? f : null));
      break;
    }
  }
  const out = nodes.flatMap(n => (replace.has(n) ? (replace.get(n) ? [replace.get(n)!] : []) : [n]));
  return replace.size ? withoutOrphans(out, nodes, graphOutputs) : out;
}

/** Drop nodes a fusion left without readers (a stacked RNN's unscoped shape arithmetic), and theirs in turn. */
function withoutOrphans(out: OnnxNode[], before: OnnxNode[], graphOutputs: ReadonlySet<string>): OnnxNode[] {
  const readBefore = new Set(before.flatMap(n => [...n.inputs, ...(n.captures ?? [])]));
  let nodes = out;
  for (;;) {
    const read = new Set(nodes.flatMap(n => [...n.inputs, ...(n.captures ?? [])]));
    const dead = nodes.filter(n => n.outputs.some(o => o && readBefore.has(o)) && n.outputs.every(o => !o || (!read.has(o) && !graphOutputs.has(o))));
    if (!dead.length) return nodes;
    nodes = nodes.filter(n => !dead.includes(n));
  }
}
