import { Cell, CellOutput } from '../runtime/cell.js';
import { Tensor } from '../runtime/tensor.js';
import { NodeExecutionError } from '../errors.js';
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
  /** PyTorch API this step came from (mapping rule), when known. */
  torchApi: string | null;
  /** MindSpore API that runs it: `mindspore.nn.Conv2d`, `mindspore.ops.add`, ... */
  msApi: string;
  inputs: string[];
  outputs: string[];
  run: (inputs: (Tensor | undefined)[]) => Tensor[];
}

/** A container Cell standing for a PyTorch module scope (`layer1`, `layer1.0`). */
export class ScopeCell extends Cell {
  override get clsName(): string {
    const keys = [...this._cells.keys()];
    return keys.length > 0 && keys.every(k => /^\d+$/.test(k)) ? 'SequentialCell' : 'Cell';
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

  constructor(steps: Step[], constants: Map<string, Tensor>, inputNames: string[], outputNames: string[]) {
    super();
    this.steps = steps;
    this.constants = constants;
    this.inputNames = inputNames;
    this.outputNames = outputNames;
    this.lastUse = new Map();
    steps.forEach((s, i) => s.inputs.forEach(n => n && this.lastUse.set(n, i)));
  }

  override get clsName(): string { return 'Network'; }

  /** Run the graph; `observe` sees every step's outputs (per-layer comparison hooks in here). */
  execute(inputs: Tensor[], observe?: (step: Step, outputs: Tensor[]) => void): Tensor[] {
    if (inputs.length !== this.inputNames.length) throw new Error(`network takes ${this.inputNames.length} inputs, got ${inputs.length}`);
    const env = new Map<string, Tensor>();
    this.inputNames.forEach((n, i) => env.set(n, inputs[i]!));
    const keep = new Set(this.outputNames);
    const get = (n: string): Tensor | undefined => (n ? env.get(n) ?? this.constants.get(n) : undefined);
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
      for (const n of step.inputs) if (n && this.lastUse.get(n) === i && !keep.has(n)) env.delete(n);
    });
    return this.outputNames.map(n => {
      const t = get(n);
      if (!t) throw new Error(`graph output ${n} was not produced`);
      return t;
    });
  }

  construct(...inputs: Tensor[]): CellOutput {
    const outs = this.execute(inputs);
    return outs.length === 1 ? outs[0]! : outs;
  }
}
