import type { Cell } from '../runtime/cell.js';
import type { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import type { TorchApi } from '../mappings/index.js';
import type { AttrValue, OnnxNode, Dim } from './proto.js';
import { ModelLoadError } from '../errors.js';
import type { Body } from './network.js';

/** How a node runs: a MindSpore Cell (with its weights bound as Parameters) or a functional op. */
export type Built =
  | {
      kind: 'cell'; api: TorchApi; cell: Cell;
      /** node input indices fed at run time, in call order */ runtimeInputs: number[];
      /** ONNX inputs that became Parameters, with the Parameter's attribute name */ bound: { input: number; param: string }[];
      /** wraps the Cell call when the node has outputs beyond the Cell's (e.g. a training BatchNorm's running statistics) */
      wrap?: (call: (inputs: (Tensor | undefined)[]) => Tensor[]) => (inputs: (Tensor | undefined)[]) => Tensor[];
      /** the wrapped call written as Python statements assigning the node's outputs (`outs`, '_' for unused) */
      wrapPy?: WrapWriter;
    }
  | {
      kind: 'op'; ms: string; run: (inputs: (Tensor | undefined)[]) => Tensor[];
      /** how the step is written in a MindSpore port's `construct` (absent: msport cannot write it yet) */ py?: PyWriter;
      /** an If's branches, a Loop's body */ bodies?: Body[];
      /** the inputs whose values `run` uses (default: all); the others only lend a static fact, such as a dtype */
      reads?: number[];
    };

export interface BuildCtx {
  node: OnnxNode;
  opset: number;
  /** Value of input i when it is known at import (initializer, Constant, folded); undefined otherwise. */
  constant(i: number): Tensor | undefined;
  /** Static rank of input i from the graph's shape information, when known. */
  rank(i: number): number | undefined;
  staticShape(i: number): Dim[] | undefined;
  /** Static dtype of input i from the graph's type information or its constant value, when known. */
  dtype(i: number): DType | undefined;
  hasInput(i: number): boolean;
  /** True when input i is one of the model's initializers (a state_dict tensor), not a value folded at import. */
  isInitializer(i: number): boolean;
  /**
   * True when the import is asked to leave `arg` of `api` at MindSpore's default instead of the value that matches
   * PyTorch — how `msport report` measures what ignoring a mapping rule would do. Handlers ask it for every argument
   * whose default differs (the rule's `defaults` list).
   */
  keepMsDefault(api: TorchApi, arg: string): boolean;
  /**
   * The mapping rule's API of the PyTorch module the node ran in, where the export records its class (torch 2.9+):
   * a handler builds that module's Cell when the node is the whole module (`torch.nn.AdaptiveMaxPool2d` → a MaxPool).
   */
  moduleApi(): TorchApi | undefined;
  /**
   * Import the graph attribute `name` (an If branch, a Loop body) as a Body its node's step runs. The node's `run`
   * then receives its inputs followed by the values of `node.captures`.
   */
  subgraph(name: string): Body;
}

/** One ONNX op type: versions as data (`since` opset → builder), newest ≤ the model's opset wins. */
export interface OnnxOpHandler {
  opType: string;
  versions: Record<number, (ctx: BuildCtx) => Built>;
}

export function attr<T extends AttrValue>(node: OnnxNode, name: string, fallback: T): T;
export function attr<T extends AttrValue>(node: OnnxNode, name: string): T | undefined;
export function attr<T extends AttrValue>(node: OnnxNode, name: string, fallback?: T): T | undefined {
  const v = node.attrs.get(name);
  return v === undefined ? fallback : (v as T);
}

export function fail(node: OnnxNode, msg: string): never {
  throw new ModelLoadError(`node ${node.name} (${node.opType}): ${msg}`);
}

/**
 * One input of a functional step as the generated Python reads it: `expr` is the Python expression of the value (for
 * a constant, reading it registers the constant with the Cell that holds it), `value` the value when it is known at
 * import (a shape, axes, a scalar), absent for an input the graph does not give.
 */
export interface PyArg {
  readonly expr: string; readonly value?: Tensor; readonly given: boolean;
  /** the value's dtype and rank as seen when the checked network ran (convert), where known */
  readonly dtype?: DType; readonly rank?: number; readonly shape?: readonly number[];
}
/** Writes a wrapped Cell call (`cell` is the Cell's Python expression) as statements assigning `outs`. */
export type WrapWriter = (args: PyArg[], cell: string, outs: string[]) => string[];
/** Writes a functional step as one Python expression of MindSpore 2.10 (a tuple for several outputs). */
export type PyWriter = (args: PyArg[]) => string;

/** A functional step; `py` writes it as MindSpore Python (convert), beside how it runs. */
export function op(ms: string, run: (inputs: (Tensor | undefined)[]) => Tensor | Tensor[], py?: PyWriter): Built {
  return { kind: 'op', ms, run: xs => { const r = run(xs); return Array.isArray(r) ? r : [r]; }, ...(py ? { py } : {}) };
}
