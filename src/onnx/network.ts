import { Cell, CellOutput } from '../runtime/cell.js';
import { Tensor } from '../runtime/tensor.js';
import { NodeExecutionError } from '../errors.js';
import { isGradEnabled } from '../runtime/autograd.js';
import { kernels } from '../runtime/kernels/index.js';
import type { OnnxNode } from './proto.js';

/** One executed node: a Cell call or a functional op, with the graph values it reads and writes. */
export interface Step {
  node: OnnxNode;
  /** Module scope of the node ('' for the root), the PyTorch module path. */
  scope: string;
  /** Full name of the Cell this step calls (cell steps only). */
  cellName: string | null;
  /** The Cell itself (cell steps only). */
  cell: Cell | null;
  /** for a Cell called more than once (a reused module), which call this is (2, 3, …); absent for the first */
  call?: number;
  /** PyTorch API this step came from (mapping rule), when known. */
  torchApi: string | null;
  /** MindSpore API that runs it: `mindspore.nn.Conv2d`, `mindspore.ops.add`, ... */
  msApi: string;
  inputs: string[];
  outputs: string[];
  run: (inputs: (Tensor | undefined)[]) => Tensor[];
  /** the subgraphs this step runs (an If's branches, a Loop's body) */
  bodies?: Body[];
  /** a functional step's MindSpore Python writer (convert) */
  py?: import('./handler.js').PyWriter;
  /** a Cell step whose node has outputs beyond the Cell's own (the call is wrapped) */
  wrapped?: boolean;
  /** how that wrapped call is written in Python (convert) */
  wrapPy?: import('./handler.js').WrapWriter;
}

/**
 * The steps of a subgraph: an If branch or a Loop body. The node that owns it runs it (`runBody`) with the enclosing
 * graphs' values it reads; its Cells live in the network's one Cell tree like every other Cell.
 */
export interface Body {
  steps: Step[];
  /** initializers and import-folded values visible in the subgraph (the enclosing graphs' included) */
  constants: Map<string, Tensor>;
  /** the subgraph's declared inputs (a Loop body's iteration number, condition and carried values) */
  inputNames: string[];
  outputNames: string[];
}

/** Run a subgraph on `bound` (its inputs and the captured outer values, by name); returns its outputs in order. */
export function runBody(body: Body, bound: Map<string, Tensor>): Tensor[] {
  const env = new Map(bound);
  const get = (n: string): Tensor | undefined => (n ? env.get(n) ?? body.constants.get(n) : undefined);
  for (const step of body.steps) {
    let outs: Tensor[];
    try {
      outs = step.run(step.inputs.map(get));
    } catch (e) {
      throw new NodeExecutionError(step.node.name, step.node.opType, e);
    }
    step.outputs.forEach((n, k) => { if (n && outs[k]) env.set(n, outs[k]!); });
  }
  return body.outputNames.map(n => {
    const t = get(n);
    if (!t) throw new Error(`subgraph output ${n} was not produced`);
    return t;
  });
}

/** PyTorch's containers and the MindSpore Cells a port uses for them. */
const CONTAINERS: Record<string, string> = {
  'torch.nn.modules.container.Sequential': 'SequentialCell',
  'torch.nn.modules.container.ModuleList': 'CellList',
  'torch.nn.modules.container.ModuleDict': 'CellDict',
};

/**
 * The name a port gives the Cell class of a PyTorch module, from its class (torch 2.9+ exports record it): a
 * container's MindSpore counterpart, a user's class by its own name (`BasicBlock`, `BertLayer`); a torch.nn module
 * kept as a scope (its ops are not one MindSpore Cell) is a plain `Cell`. Undefined without the class.
 */
export function portClassName(torchClass: string | undefined): string | undefined {
  if (!torchClass) return undefined;
  return CONTAINERS[torchClass] ?? (torchClass.startsWith('torch.nn.') ? 'Cell' : torchClass.split('.').pop());
}

/** A container Cell standing for a PyTorch module scope (`layer1`, `layer1.0`). */
export class ScopeCell extends Cell {
  /** the PyTorch module class of the scope, where the export records it */
  torchClass: string | undefined;
  /** true for a scope no node ran in (torch 2.9+ records every called module): a ModuleList is never called */
  uncalled = false;

  override get clsName(): string {
    const named = portClassName(this.torchClass);
    if (named) return named;
    const keys = [...this._cells.keys()];
    if (keys.length > 0 && keys.every(k => /^\d+$/.test(k))) return this.uncalled ? 'CellList' : 'SequentialCell';
    return 'Cell';
  }
  construct(): CellOutput {
    throw new Error('a scope Cell of an imported graph runs through the network, not on its own');
  }
}

/**
 * The imported model as a MindSpore Cell tree. `construct` walks the graph in order; Cell steps call the leaf Cells in
 * the tree, so what runs is exactly what `inspect` prints and the reports name.
 */
export class OnnxNetwork extends Cell {
  readonly steps: Step[];
  readonly constants: Map<string, Tensor>;
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly lastUse: Map<string, number>;
  /** The model's bytes: when they sit in kernel memory, holding them keeps the weights there alive with the network. */
  source: Uint8Array | null = null;

  constructor(steps: Step[], constants: Map<string, Tensor>, inputNames: string[], outputNames: string[]) {
    super();
    this.steps = steps;
    this.constants = constants;
    this.inputNames = inputNames;
    this.outputNames = outputNames;
    this.lastUse = new Map();
    steps.forEach((s, i) => s.inputs.forEach(n => n && this.lastUse.set(n, i)));
  }

  /** the model's own PyTorch class, where the export records it (`torchvision.models.resnet.ResNet`) */
  torchClass: string | undefined;

  override get clsName(): string { return portClassName(this.torchClass) ?? 'Network'; }

  /** Every step, those inside If branches and Loop bodies included (each after the step that runs it). */
  get allSteps(): Step[] {
    const out: Step[] = [];
    const walk = (steps: Step[]): void => { for (const s of steps) { out.push(s); for (const b of s.bodies ?? []) walk(b.steps); } };
    walk(this.steps);
    return out;
  }

  /**
   * Run the graph; `observe` sees every step's outputs (per-layer comparison hooks in here). A value is dropped after
   * its last consumer has run. An inference pass (no gradient, no observer, no Cell in train phase) runs in the
   * kernels' forward arena: results stay in kernel memory, a value's block is reused once its last consumer has run,
   * and the graph outputs are copied out at the end.
   */
  execute(inputs: Tensor[], observe?: (step: Step, outputs: Tensor[]) => void): Tensor[] {
    if (inputs.length !== this.inputNames.length) throw new Error(`network takes ${this.inputNames.length} inputs, got ${inputs.length}`);
    const env = new Map<string, Tensor>();
    this.inputNames.forEach((n, i) => env.set(n, inputs[i]!));
    const keep = new Set(this.outputNames);
    const get = (n: string): Tensor | undefined => (n ? env.get(n) ?? this.constants.get(n) : undefined);
    const arena = !observe && !isGradEnabled() && !this.cellsAndNames().some(([, c]) => c.training) && kernels.beginArena();
    // a block goes back only when no live value still reads any part of it (Reshape and Identity share data); views
    // on kernel memory made at different sizes of it have different buffer objects but the same byte offsets
    const drop = (t: Tensor | undefined): void => {
      const d = t?.data;
      if (!(d instanceof Float32Array) || !kernels.owns(d)) return;
      const end = d.byteOffset + d.byteLength;
      for (const v of env.values()) {
        const e = v.data;
        if ((e.buffer === d.buffer || kernels.owns(e as Float32Array)) && e.byteOffset < end && d.byteOffset < e.byteOffset + e.byteLength) return;
      }
      kernels.release(d);
    };
    try {
      this.steps.forEach((step, i) => {
        const args = step.inputs.map(get);
        let outs: Tensor[];
        try {
          outs = step.run(args);
        } catch (e) {
          throw new NodeExecutionError(step.node.name, step.node.opType, e);
        }
        step.outputs.forEach((n, k) => { if (n && outs[k]) env.set(n, outs[k]!); });
        observe?.(step, outs);
        for (const n of step.inputs) {
          if (!n || this.lastUse.get(n) !== i || keep.has(n) || !env.has(n)) continue;
          const t = env.get(n);
          env.delete(n);
          if (arena) drop(t);
        }
        // outputs nobody reads (a training-mode BatchNorm's statistics) go at once
        if (arena) for (const n of step.outputs) if (n && !this.lastUse.has(n) && !keep.has(n) && env.has(n)) { const t = env.get(n); env.delete(n); drop(t); }
      });
      return this.outputNames.map(n => {
        const t = get(n);
        if (!t) throw new Error(`graph output ${n} was not produced`);
        return arena && t.data instanceof Float32Array && kernels.owns(t.data) ? new Tensor(t.data.slice(), t.shape, t.dtype) : t;
      });
    } finally {
      if (arena) kernels.endArena();
    }
  }

  construct(...inputs: Tensor[]): CellOutput {
    const outs = this.execute(inputs);
    return outs.length === 1 ? outs[0]! : outs;
  }
}
