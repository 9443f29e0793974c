/** IR → Cell tree: each node through its handler, Cells placed at their module scopes, constants folded once. */
import { UPCAST_NOTE } from './bfloat16.js';
import { Cell } from '../runtime/cell.js';
import { Parameter } from '../runtime/parameter.js';
import { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import { withDeferredInit } from '../runtime/initializer.js';
import { ModelLoadError, MsportError, UnsupportedOp, UnsupportedOpsError } from '../errors.js';
import { isInt, type DType } from '../runtime/dtype.js';
import { isGraph, type OnnxGraph, type OnnxModel, type OnnxNode, type Dim } from './proto.js';
import type { BuildCtx, Built } from './handler.js';
import { selectHandler } from './ops/index.js';
import { foldedSource, isStateDictKey, moduleClassOf, nodeScope, scopeClasses } from './scope.js';
import { applyFusions } from './fusions.js';
import { inferRank } from './ranks.js';
import { trainableDropouts } from './quirks.js';
import { Dropout } from '../runtime/nn/container.js';
import { OnnxNetwork, ScopeCell, type Body, type Step } from './network.js';
import { rule, torchApiOfClass, TorchApi } from '../mappings/index.js';

export interface ImportResult {
  network: OnnxNetwork;
  /** ONNX initializer (or folded constant) name → the MindSpore Parameter name it was loaded into. */
  boundInitializers: Map<string, string>;
  /** every Parameter the import loaded from the model, with the ONNX tensor it came from */
  boundParams: Map<Parameter, string>;
  /** Cells the model itself runs in train phase (training-mode BatchNormalization) */
  trainPhaseCells: Set<Cell>;
  /** graph tensors the network reads: step inputs, bound initializers and inputs of nodes folded at import */
  consumed: Set<string>;
  /** what the exporter did to the module structure, for the user (folded BatchNorms, shared initializers) */
  exportNotes: ExportNote[];
  /** the `api#arg` keepMsDefaults some handler applied while building this network */
  appliedDefaults: Set<string>;
}

/**
 * A BatchNorm the exporter's optimizer folded into the convolution before it (torch 2.9+ default optimize=True), or
 * one initializer loaded into several Parameters (the optimizer merges equal ones; a model may tie weights).
 */
export type ExportNote =
  | { kind: 'folded-batchnorm'; module: string; into: string; message: string }
  | { kind: 'shared-initializer'; initializer: string; params: string[]; message: string }
  | { kind: 'train-dropout'; module: string; p?: number; message: string }
  | { kind: 'bfloat16-upcast'; message: string };

/**
 * Kahn's sort, so graphs listed out of order still import; reports missing inputs and cycles by name. `outer` holds
 * the names a subgraph may read from the graphs around it; a node's subgraph reads (captures) order it like inputs.
 */
function topoSort(g: OnnxGraph, outer: ReadonlySet<string> = new Set()): OnnxNode[] {
  const produced = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) {
    if (produced.has(o) || g.initializers.has(o)) throw new ModelLoadError(`tensor ${o} is produced twice (node ${n.name})`);
    produced.set(o, n);
  }
  const reads = (n: OnnxNode): string[] => [...n.inputs, ...(n.captures ?? [])];
  const available = new Set<string>([...outer, ...g.inputs.map(i => i.name), ...g.initializers.keys()]);
  for (const n of g.nodes) for (const i of reads(n)) {
    if (i && !available.has(i) && !produced.has(i)) throw new ModelLoadError(`node ${n.name} (${n.opType}) reads tensor '${i}', which no node, input or initializer provides`);
  }
  const indeg = new Map<OnnxNode, number>();
  const users = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) {
    const deps = new Set(reads(n).filter(i => i && produced.has(i)));
    indeg.set(n, deps.size);
    for (const d of deps) (users.get(d) ?? users.set(d, []).get(d)!).push(n);
  }
  const ready = g.nodes.filter(n => indeg.get(n) === 0);
  const order: OnnxNode[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const o of n.outputs) for (const u of users.get(o) ?? []) {
      const d = indeg.get(u)! - 1;
      indeg.set(u, d);
      if (d === 0) ready.push(u);
    }
  }
  if (order.length !== g.nodes.length) {
    const stuck = g.nodes.filter(n => !order.includes(n)).slice(0, 3).map(n => n.name);
    throw new ModelLoadError(`the graph has a cycle (through ${stuck.join(', ')})`);
  }
  for (const o of g.outputs) if (!available.has(o.name) && !produced.has(o.name)) throw new ModelLoadError(`graph output ${o.name} is not produced by any node`);
  return order;
}

/** Every name a graph defines: what a subgraph of one of its nodes may read. */
const definedNames = (g: OnnxGraph): string[] => [...g.inputs.map(i => i.name), ...g.initializers.keys(), ...g.nodes.flatMap(n => n.outputs.filter(Boolean))];

/** Ops that only move or reshape data: a module's export wraps its one computation in them. */
const SHAPE_PLUMBING = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Shape', 'Gather', 'Concat', 'Slice', 'Identity', 'Cast', 'CastLike',
  'Flatten', 'Expand', 'ConstantOfShape', 'Split', 'Size', 'Range']);

interface TreeNode { children: Map<string, TreeNode>; cell: Cell | null }

export interface ImportOptions {
  /** leave these `api#arg` default differences at MindSpore's default (for measuring a rule's consequence) */
  keepMsDefaults?: ReadonlySet<string>;
  /** put decomposed modules (LayerNorm, GELU, Linear) back together as Cells (default true) */
  fuse?: boolean;
}

export const ruleArgKey = (api: string, arg: string): string => `${api}#${arg}`;

/** Import a decoded model. Throws UnsupportedOpsError listing every unsupported op at once. */
export function importModel(model: OnnxModel, opts: ImportOptions = {}): ImportResult {
  const keep = opts.keepMsDefaults ?? new Set<string>();
  const g = model.graph;
  const opset = model.opsets.get('') ?? 1;

  const unsupported = new Map<string, UnsupportedOp>();
  const consumed = new Set<string>();
  const pending: { node: OnnxNode; built: Built; path: string[]; leaf: string; body: Body }[] = [];
  const exportNotes: ExportNote[] = model.upcastFrom ? [{ kind: 'bfloat16-upcast', message: UPCAST_NOTE }] : [];
  // the keepMsDefaults a handler acted on (a report may only call a default harmless if the importer applied it)
  const appliedDefaults = new Set<string>();
  // initializers of every graph (a branch reads the main graph's): the state_dict names that locate a module
  const initializerNames = new Set<string>(g.initializers.keys());
  const weightOwners = new Set<string>();

  /** Import one graph's nodes into `body`; an If or Loop node imports its subgraphs through ctx.subgraph. */
  const importGraph = (graph: OnnxGraph, outerConstants: ReadonlyMap<string, Tensor>, outerRanks: ReadonlyMap<string, Dim[]>, outerDtypes: ReadonlyMap<string, DType>,
    outer: ReadonlySet<string>, body: Body): void => {
    for (const k of graph.initializers.keys()) initializerNames.add(k);
    const order = opts.fuse === false ? topoSort(graph, outer) : applyFusions(graph, topoSort(graph, outer));
    const constants = new Map<string, Tensor>([...outerConstants, ...graph.initializers]);
    body.constants = constants;
    const ranks = new Map<string, Dim[]>(outerRanks);
    for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) if (v.dims) ranks.set(v.name, v.dims);
    for (const [k, t] of graph.initializers) ranks.set(k, [...t.shape]);
    const dtypes = new Map<string, DType>(outerDtypes);
    for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) if (v.dtype) dtypes.set(v.name, v.dtype);
    const visible = new Set<string>([...outer, ...definedNames(graph)]);
    for (const node of order) {
      const build = selectHandler(node.domain, node.opType, node.fusedOpset ? Infinity : node.domain === '' ? opset : model.opsets.get(node.domain) ?? 1);
      if (!build) {
        const key = `${node.domain}::${node.opType}`;
        const u = unsupported.get(key) ?? { opType: node.opType, domain: node.domain, opset: node.domain === '' ? opset : model.opsets.get(node.domain) ?? 1, count: 0, nodes: [] };
        u.count++; u.nodes.push(node.name);
        unsupported.set(key, u);
        continue;
      }
      const ctx: BuildCtx = {
        node, opset,
        constant: i => (node.inputs[i] ? constants.get(node.inputs[i]!) : undefined),
        rank: i => ranks.get(node.inputs[i] ?? '')?.length ?? constants.get(node.inputs[i] ?? '')?.ndim,
        staticShape: i => ranks.get(node.inputs[i] ?? ''),
        dtype: i => constants.get(node.inputs[i] ?? '')?.dtype ?? dtypes.get(node.inputs[i] ?? ''),
        hasInput: i => !!node.inputs[i],
        isInitializer: i => !!node.inputs[i] && initializerNames.has(node.inputs[i]!),
        keepMsDefault: (api, arg) => { const k = ruleArgKey(api, arg); if (!keep.has(k)) return false; appliedDefaults.add(k); return true; },
        moduleApi: () => torchApiOfClass(moduleClassOf(node)),
        subgraph: name => {
          const sg = node.attrs.get(name);
          if (!isGraph(sg)) throw new ModelLoadError(`node ${node.name} (${node.opType}): attribute ${name} must be a graph`);
          const sub: Body = { steps: [], constants: new Map(), inputNames: sg.inputs.map(i => i.name), outputNames: sg.outputs.map(o => o.name) };
          importGraph(sg, constants, ranks, dtypes, visible, sub);
          return sub;
        },
      };
      let built: Built;
      try { built = build(ctx); } catch (e) {
        // a handler or Cell refusing the node's attributes is a bad model, not an msport bug
        if (e instanceof MsportError) throw e;
        throw new ModelLoadError(`node ${node.name} (${node.opType}): ${(e as Error).message}`);
      }
      const reads = [...node.inputs, ...(node.captures ?? [])];
      const valueReads = built.kind === 'op' && built.reads ? built.reads.map(i => node.inputs[i]) : reads;
      if (built.kind === 'op' && valueReads.every(i => !i || constants.has(i))) {
        // everything it reads is known at import: compute once (shape arithmetic, Constant nodes)
        let outs: Tensor[];
        try { outs = built.run(reads.map(i => (i ? constants.get(i) : undefined))); } catch (e) {
          throw new ModelLoadError(`node ${node.name} (${node.opType}) fails on its constant inputs: ${(e as Error).message}`);
        }
        node.outputs.forEach((o, k) => { if (o && outs[k]) { constants.set(o, outs[k]!); ranks.set(o, [...outs[k]!.shape]); } });
        for (const i of valueReads) if (i) consumed.add(i);
        continue;
      }
      const scope = nodeScope(node, n => initializerNames.has(n));
      let { path } = scope;
      const { leaf, foldedFrom, weightOwner } = scope;
      // a scope read from a weight's name is the module's only if no other node claimed it (a reused or tied module)
      if (weightOwner) {
        if (built.kind !== 'cell' || weightOwners.has(path.join('.'))) path = scope.scopePath ?? [];
        else weightOwners.add(path.join('.'));
      }
      if (foldedFrom !== undefined && built.kind === 'cell') {
        const into = path.join('.');
        exportNotes.push({ kind: 'folded-batchnorm', module: foldedFrom, into,
          message: `BatchNorm ${foldedFrom} was folded into ${into} by the exporter (torch.onnx.export's optimize=True); export with optimize=False to check it as its own nn.BatchNorm2d` });
      }
      pending.push({ node, built, path, leaf, body });
      // a graph without value_info (torch 1.13's TorchScript exports) still tells the next handler its input's rank
      const out = node.outputs[0];
      if (out && !ranks.has(out)) {
        const r = inferRank(node, ctx.rank, ctx.constant);
        if (r !== undefined && r >= 0) ranks.set(out, Array.from({ length: r }, (_, d) => `${out}_dim${d}`));
      }
    }
  };
  const main: Body = { steps: [], constants: new Map(), inputNames: g.inputs.map(i => i.name), outputNames: g.outputs.map(o => o.name) };
  // every weight a handler builds is overwritten by the model's value: leave the cells' own initializers undrawn
  withDeferredInit(() => noGrad(() => importGraph(g, new Map(), new Map(), new Map(), new Set(), main)));
  if (unsupported.size) throw new UnsupportedOpsError([...unsupported.values()].sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)));
  const constants = main.constants;

  // Place Cells: a scope holding exactly one Cell-producing node *is* that Cell (a leaf nn module); otherwise the
  // Cells become children of the scope, named after the node.
  const cellNodesPerScope = new Map<string, number>();
  const scopesWithChildren = new Set<string>();
  // a scope that also computes with functional ops is more than its one Cell (tanh-approximated GELU: eight ops around
  // a Tanh); reshaping around the Cell (an RNN's Squeeze/Transpose, GPT-2's Conv1D views) leaves it the module
  const scopesWithOps = new Set<string>();
  for (const p of pending) {
    if (p.built.kind === 'op' && !SHAPE_PLUMBING.has(p.node.opType)) scopesWithOps.add(p.path.join('/'));
    if (p.built.kind === 'cell') cellNodesPerScope.set(p.path.join('/'), (cellNodesPerScope.get(p.path.join('/')) ?? 0) + 1);
    for (let d = 0; d < p.path.length; d++) scopesWithChildren.add(p.path.slice(0, d).join('/'));
  }
  // A module called more than once (ResNet's `self.relu`) leaves several nodes in its one scope: when they would build
  // the same Cell (same API and repr, the same weights, no extra outputs) the scope is that one Cell, called each time
  // as the PyTorch module was. Other scopes with several Cell nodes are containers of Cells named after the nodes.
  // The TorchScript exporter names a module's second call as a scope of its own, `relu_1` beside `relu`: such a scope
  // joins its base's group, and is merged into it only if it would build the same Cell from the same weights.
  const cellEntries = new Map<string, Extract<Built, { kind: 'cell' }>[]>();
  for (const k of cellNodesPerScope.keys()) cellEntries.set(k, []);
  const groupKey = (p: { path: string[]; node: OnnxNode }): string => {
    const k = p.path.join('/');
    const m = p.node.metadata ? null : /^(.+)_\d+$/.exec(p.path.at(-1) ?? '');
    const base = m ? [...p.path.slice(0, -1), m[1]!].join('/') : null;
    return base !== null && cellEntries.has(base) && !scopesWithChildren.has(k) ? base : k;
  };
  for (const p of pending) if (p.built.kind === 'cell') cellEntries.get(groupKey(p))!.push(p.built);
  const boundNames = (b: Extract<Built, { kind: 'cell' }>, node: OnnxNode): string => b.bound.map(x => `${x.param}=${node.inputs[x.input]}`).join(',');
  const reused = new Set<string>();
  const nodeOf = new Map<Built, OnnxNode>(pending.map(p => [p.built, p.node]));
  for (const [k, es] of cellEntries) {
    if (es.length < 2 || !k || scopesWithChildren.has(k)) continue;
    const first = es[0]!;
    const same = es.every(e => !e.wrap && e.api === first.api && e.cell.toString() === first.cell.toString()
      && boundNames(e, nodeOf.get(e)!) === boundNames(first, nodeOf.get(first)!));
    if (same) reused.add(k);
  }
  // a merged `relu_1` call runs the Cell at `relu`
  for (const p of pending) if (p.built.kind === 'cell' && reused.has(groupKey(p))) p.path = groupKey(p).split('/');
  const calls = new Map<string, { cell: Cell; n: number }>();
  const root: TreeNode = { children: new Map(), cell: null };
  /** The step that calls `built.cell`, the Cell at `cellName` (a reused module's later calls number themselves). */
  const cellStep = (p: (typeof pending)[number], built: Extract<Built, { kind: 'cell' }>, cellName: string, call?: number): Step => {
    const cell = built.cell;
    const run = (xs: (Tensor | undefined)[]): Tensor[] => { const o = cell.call(...(xs as Tensor[])); return Array.isArray(o) ? o : [o]; };
    return { node: p.node, scope: p.path.join('.'), cellName, cell, torchApi: built.api, msApi: rule(built.api as TorchApi).ms, ...(call ? { call } : {}),
      inputs: built.runtimeInputs.map(i => p.node.inputs[i] ?? ''), outputs: p.node.outputs, run: built.wrap ? built.wrap(run) : run, ...(built.wrap ? { wrapped: true } : {}), ...(built.wrapPy ? { wrapPy: built.wrapPy } : {}) };
  };
  for (const p of pending) {
    const steps = p.body.steps;
    if (p.built.kind === 'op') {
      // a node with subgraphs also reads, by name, what its subgraphs capture from the graphs around it
      steps.push({ node: p.node, scope: p.path.join('.'), cellName: null, cell: null, torchApi: null, msApi: p.built.ms, inputs: [...p.node.inputs, ...(p.node.captures ?? [])],
        outputs: p.node.outputs, run: p.built.run, ...(p.built.bodies ? { bodies: p.built.bodies } : {}), ...(p.built.py ? { py: p.built.py } : {}) });
      continue;
    }
    const key = p.path.join('/');
    const earlier = reused.has(key) ? calls.get(key) : undefined;
    if (earlier) {
      // a later call of a reused module: the step calls the Cell already in the tree
      p.built = { ...p.built, cell: earlier.cell };
      steps.push(cellStep(p, p.built, p.path.join('.'), ++earlier.n));
      continue;
    }
    if (reused.has(key)) calls.set(key, { cell: p.built.cell, n: 1 });
    const own = p.path.length > 0 && (cellNodesPerScope.get(key) === 1 || reused.has(key)) && !scopesWithChildren.has(key) && !scopesWithOps.has(key);
    // a torch 2.9+ node name ends in a graph-wide counter (`scaled_dot_product_attention_1`): the Cell takes the name
    // without it, numbered only within its module, so identical modules get identically named Cells
    const leafName = (p.node.metadata ? p.leaf.replace(/_\d+$/, '') : p.leaf).toLowerCase();
    const path = own ? p.path : [...p.path, uniqueChild(root, p.path, leafName)];
    const t = ensure(root, path);
    if (t.cell || t.children.size) throw new ModelLoadError(`two nodes map to Cell ${path.join('.')}`);
    t.cell = p.built.cell;
    steps.push(cellStep(p, p.built, path.join('.')));
  }

  // A module's own Parameters and buffers that its forward reads functionally (nn.MultiheadAttention's in_proj_bias,
  // ViT's class_token, a rotary embedding's inv_freq): initializers with a state_dict name that no Cell took and a
  // step reads at run time become Parameters of the module's scope Cell — the attribute a port declares — and the
  // steps read that Parameter, so loaded weights reach them. Integer tensors are buffers (requires_grad=False).
  const runtimeReads = new Set<string>();
  for (const p of pending) for (const i of p.built.kind === 'op' ? [...p.node.inputs, ...(p.node.captures ?? [])] : []) if (i) runtimeReads.add(i);
  const taken = new Set<string>();
  for (const p of pending) if (p.built.kind === 'cell') for (const b of p.built.bound) taken.add(p.node.inputs[b.input]!);
  const ownParams = new Map<string, [attr: string, init: string][]>();
  for (const init of g.initializers.keys()) {
    // not the exporter's own constants (`val_12`, `onnx::MatMul_100`, `1110`) nor what its optimizer made (folded_from)
    if (taken.has(init) || !runtimeReads.has(init) || !isStateDictKey(init) || g.foldedFrom.has(init)) continue;
    const dot = init.lastIndexOf('.');
    const module = dot < 0 ? '' : init.slice(0, dot), attr = init.slice(dot + 1);
    // only where the module is a scope: a leaf Cell (an nn layer) keeps exactly MindSpore's Parameters
    let t: TreeNode | undefined = root, inCell = false;
    for (const seg of module ? module.split('.') : []) { t = t?.children.get(seg); if (t?.cell) { inCell = true; break; } }
    if (inCell) continue;
    if (module) ensure(root, module.split('.'));
    (ownParams.get(module) ?? ownParams.set(module, []).get(module)!).push([attr, init]);
  }
  const ownParam = (cell: Cell, path: string, bound: Map<Parameter, string>): void => {
    for (const [attr, init] of ownParams.get(path) ?? []) {
      const t = g.initializers.get(init)!;
      const param = new Parameter(t, attr, !isInt(t.dtype) && t.dtype !== 'bool');
      cell.insertParamToCell(attr, param);
      constants.set(init, param);
      bound.set(param, init);
    }
  };
  const ownBound = new Map<Parameter, string>();

  // Materialise bottom-up so auto_prefix gives every Parameter its full path when each child is attached.
  const network = new OnnxNetwork(main.steps, constants, main.inputNames, main.outputNames);
  network.source = model.bytes;
  // the PyTorch class of each module scope, where the export records it (torch 2.9+): the names a port gives its Cells
  const classOf = new Map<string, string>();
  for (const p of pending) for (const [path, cls] of scopeClasses(p.node)) classOf.set(path, cls);
  const recordsClasses = classOf.size > 0;
  const materialise = (t: TreeNode, path: string): Cell => {
    if (t.cell) return t.cell;
    const c = new ScopeCell();
    c.torchClass = classOf.get(path);
    c.uncalled = recordsClasses && !classOf.has(path);
    ownParam(c, path, ownBound);
    for (const [k, ch] of t.children) c.insertChildToCell(k, materialise(ch, path ? `${path}.${k}` : k));
    return c;
  };
  network.torchClass = classOf.get('');
  ownParam(network, '', ownBound);
  for (const [k, ch] of root.children) network.insertChildToCell(k, materialise(ch, k));

  const boundInitializers = new Map<string, string>();
  const boundParams = new Map<Parameter, string>(ownBound);
  for (const [param, init] of ownBound) boundInitializers.set(init, param.name);
  const trainPhaseCells = new Set<Cell>();
  for (const p of pending) {
    if (p.built.kind !== 'cell') continue;
    if (p.built.cell.training) trainPhaseCells.add(p.built.cell);
    for (const b of p.built.bound) {
      const param = (p.built.cell as unknown as Record<string, Parameter>)[b.param]!;
      boundInitializers.set(p.node.inputs[b.input]!, param.name);
      boundParams.set(param, p.node.inputs[b.input]!);
    }
  }
  for (const st of network.allSteps) for (const i of st.inputs) if (i) consumed.add(i);
  for (const name of boundInitializers.keys()) consumed.add(name);
  // the state_dict tensor behind an initializer: an optimizer-made one (a Linear's transposed weight `val_500`)
  // names its source in folded_from, so a tied weight read once directly and once transposed is found shared
  const users = new Map<string, string[]>();
  for (const [param, init] of boundParams) {
    const src = foldedSource(g, init) ?? init;
    (users.get(src) ?? users.set(src, []).get(src)!).push(param.name);
  }
  for (const [init, params] of users) {
    // one tensor split over one Cell's Parameters (an LSTM's B holds bias_ih and bias_hh) is not sharing
    if (new Set(params.map(n => n.slice(0, n.lastIndexOf('.')))).size < 2) continue;
    exportNotes.push({ kind: 'shared-initializer', initializer: init, params,
      message: `${init} is loaded into ${params.length} Parameters (${params.slice(0, 3).join(', ')}${params.length > 3 ? ', …' : ''}): the exporter merged equal initializers or the model ties them; each Parameter gets its own copy` });
  }
  for (const node of trainableDropouts(model)) {
    const step = network.allSteps.find(s => s.node === node);
    const cell = step?.cell instanceof Dropout ? step.cell : undefined;
    const module = step?.cellName ?? node.name;
    exportNotes.push({ kind: 'train-dropout', module, ...(cell ? { p: cell.p } : {}),
      message: `${module} is a Dropout in train phase in the export: random on every run, so both sides run it in predict phase (the identity); a port's drop rate is checked with --port --train` });
  }
  return { network, boundInitializers, boundParams, trainPhaseCells, consumed, exportNotes, appliedDefaults };
}

function ensure(root: TreeNode, path: string[]): TreeNode {
  let t = root;
  for (const seg of path) {
    let c = t.children.get(seg);
    if (!c) { c = { children: new Map(), cell: null }; t.children.set(seg, c); }
    if (c.cell && seg !== path[path.length - 1]) throw new ModelLoadError(`scope ${path.join('.')} lies inside Cell ${seg}`);
    t = c;
  }
  return t;
}

function uniqueChild(root: TreeNode, path: string[], base: string): string {
  let t: TreeNode | undefined = root;
  for (const seg of path) t = t?.children.get(seg);
  const name = base.replace(/[^A-Za-z0-9_]/g, '_');
  if (!t || !t.children.has(name)) return name;
  let i = 1;
  while (t.children.has(`${name}_${i}`)) i++;
  return `${name}_${i}`;
}
