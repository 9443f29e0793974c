import { Tensor } from './tensor.js';
import { Parameter, isGeneratedName } from './parameter.js';
import { noGrad, isGradEnabled, record, apply } from './autograd.js';
import { isFloat, roundToFloat16 } from './dtype.js';
import type { CellCall } from './nn/pycall.js';

export type CellOutput = Tensor | Tensor[];

/** MindSpore's _addindent: every line after the first gains `n` spaces. */
function addIndent(s: string, n: number): string {
  const lines = s.split('\n');
  return lines.length === 1 ? s : [lines[0], ...lines.slice(1).map(l => ' '.repeat(n) + l)].join('\n');
}

/**
 * mindspore.nn.Cell. Assigning a Cell or Parameter to an attribute registers it (MindSpore's __setattr__), which is
 * what gives parameters their attribute-path names: with auto_prefix (default), a child assigned as `net` turns its
 * `weight` into `net.weight`; the prefix is applied once, when the child is attached.
 */
export abstract class Cell {
  /** Registered children, in assignment order, keyed by attribute name. */
  readonly _cells = new Map<string, Cell>();
  /** Parameters owned directly by this Cell, keyed by attribute name. */
  readonly _params = new Map<string, Parameter>();
  readonly autoPrefix: boolean;
  training = false;
  /** Compute dtype set by toFloat: 'float16' rounds inputs, parameters and outputs to binary16 at this Cell's boundary. */
  computeDtype: 'float32' | 'float16' | null = null;
  requiresGrad = false;

  constructor(autoPrefix = true) {
    this.autoPrefix = autoPrefix;
    const register = (target: this, key: string | symbol, value: unknown): void => {
      if (typeof key === 'string' && !key.startsWith('_')) {
        if (value instanceof Cell) target.insertChildToCell(key, value);
        else if (value instanceof Parameter) target.insertParamToCell(key, value);
      }
    };
    return new Proxy(this, {
      // plain assignment reaches defineProperty too (through Reflect.set on the proxy), so one trap sees every attribute
      defineProperty(target, key, desc) { if ('value' in desc) register(target, key, desc.value); return Reflect.defineProperty(target, key, desc); },
    });
  }

  /** The forward computation (MindSpore `construct`). */
  abstract construct(...inputs: Tensor[]): CellOutput;

  /**
   * Calling a Cell runs `construct` (MindSpore `cell(x)`). A Cell defining `bprop(...inputs, out, dout)` replaces
   * autodiff through its body: the body runs unrecorded and `bprop` returns one gradient per input. A Cell marked with
   * `setGrad()` records its forward so that a following `grad(cell)(sameInputs)` reuses it instead of running the
   * forward again (MindSpore PyNative builds the backward graph along with such a forward).
   */
  call(...inputs: Tensor[]): CellOutput {
    if (this.requiresGrad && isGradEnabled() && !inputs.some(t => t.requiresGrad)) return this.recordForward(inputs);
    return this.dispatch(inputs);
  }

  /** Mixed precision (toFloat), then the custom bprop or construct. */
  private dispatch(inputs: Tensor[]): CellOutput {
    if (this.computeDtype) return this.callMixed(this.computeDtype, inputs);
    const custom = (this as unknown as { bprop?: (...a: unknown[]) => Tensor | Tensor[] }).bprop;
    if (typeof custom === 'function' && isGradEnabled() && inputs.some(t => t.requiresGrad)) {
      const out = noGrad(() => this.construct(...inputs));
      const outs = (Array.isArray(out) ? out : [out]).map(o => new Tensor(o.data, o.shape, o.dtype));
      record(`${this.clsName}.bprop`, inputs, outs, dys => {
        const g = custom.call(this, ...inputs, Array.isArray(out) ? outs : outs[0], Array.isArray(out) ? dys : dys[0]);
        const gs = Array.isArray(g) ? g : [g];
        if (gs.length !== inputs.length) throw new Error(`${this.clsName}.bprop returned ${gs.length} gradients for ${inputs.length} inputs`);
        return gs;
      });
      return Array.isArray(out) ? outs : outs[0]!;
    }
    return this.construct(...inputs);
  }

  /** The forward recorded by the last call of a `setGrad()` Cell: its inputs, their graph leaves, and its output. */
  private recorded: { inputs: Tensor[]; leaves: Tensor[]; out: CellOutput } | null = null;

  private recordForward(inputs: Tensor[]): CellOutput {
    const leaves = inputs.map(t => {
      if (!isFloat(t.dtype)) return t;
      const leaf = new Tensor(t.data, t.shape, t.dtype);
      leaf.requiresGrad = true;
      return leaf;
    });
    const out = this.dispatch(leaves);
    this.recorded = { inputs, leaves, out };
    return out;
  }

  /**
   * Hand the recorded forward to a gradient function called with the very same input Tensors, once; null when there is
   * none (not `setGrad()`, another input, or already used), and the gradient function then runs the forward itself.
   */
  takeRecordedForward(inputs: readonly Tensor[]): { leaves: Tensor[]; out: CellOutput } | null {
    const r = this.recorded;
    if (!r || r.inputs.length !== inputs.length || r.inputs.some((t, i) => t !== inputs[i])) return null;
    this.recorded = null;
    return { leaves: r.leaves, out: r.out };
  }

  /**
   * to_float: float inputs are cast to `dtype` at this Cell's boundary. For float16, this Cell's own parameters are
   * rounded to binary16 while it runs and its outputs are cast too (the compute itself stays float32 on rounded values).
   */
  private callMixed(dtype: 'float16' | 'float32', inputs: Tensor[]): CellOutput {
    const cast = (t: Tensor): Tensor => (isFloat(t.dtype) && t.dtype !== dtype ? apply('Cast', [t], { to: dtype }) : t);
    const saved: [Parameter, Tensor['data']][] = [];
    if (dtype === 'float16') {
      for (const p of this._params.values()) {
        if (!isFloat(p.dtype)) continue;
        saved.push([p, p.data]);
        // a loop, not Float32Array.from(…, fn), which boxes every element first (a gigabyte for a large weight)
        const src = p.data as Float32Array, out = new Float32Array(src.length);
        for (let i = 0; i < src.length; i++) out[i] = roundToFloat16(src[i]!);
        p.data = out;
      }
    }
    this.computeDtype = null;
    try {
      const out = this.dispatch(inputs.map(cast));
      if (dtype === 'float32') return out;
      return Array.isArray(out) ? out.map(cast) : cast(out);
    } finally {
      this.computeDtype = dtype;
      for (const [p, d] of saved) p.data = d;
    }
  }

  /** MindSpore to_float: run this Cell and every Cell below it in `dtype`. */
  toFloat(dtype: 'float16' | 'float32'): this {
    for (const [, c] of this.cellsAndNames()) c.computeDtype = dtype;
    return this;
  }

  /** MindSpore set_grad: the next forward is recorded for a gradient function to reuse (see `call`). */
  setGrad(requiresGrad = true): this {
    this.requiresGrad = requiresGrad;
    if (!requiresGrad) this.recorded = null;
    return this;
  }

  /** Shorthand for Cells with a single output. */
  forward(...inputs: Tensor[]): Tensor {
    const out = this.call(...inputs);
    if (Array.isArray(out)) throw new Error(`${this.clsName} returned ${out.length} outputs; use call()`);
    return out;
  }

  /** Class name as MindSpore prints it. */
  get clsName(): string { return this.constructor.name; }

  /** The part between `<` and `>` in the repr (MindSpore `extend_repr`). */
  extendRepr(): string { return ''; }

  /**
   * The MindSpore 2.10 constructor call that builds this Cell and the PyTorch call of the module it stands for, written
   * by the Cell's own class (null: a Cell msport cannot write as one call, such as a scope of the imported graph).
   */
  emitCall(): CellCall | null { return null; }

  insertChildToCell(name: string, cell: Cell): void {
    if (name.includes('.') && !this.allowDottedNames) throw new Error(`child cell name '${name}' must not contain '.'`);
    if (this.autoPrefix) cell.updateParametersName(`${name}.`);
    this._cells.set(name, cell);
  }

  /** Cells built from a foreign graph may keep scope names as keys (`layer1.0`), see ScopeCell. */
  protected get allowDottedNames(): boolean { return false; }

  insertParamToCell(name: string, param: Parameter): void {
    if (isGeneratedName(param.name)) param.name = name;
    this._params.set(name, param);
  }

  /**
   * MindSpore update_parameters_name: each Parameter below this Cell becomes `prefix` + its attribute path here, so
   * an explicitly named Parameter (BatchNorm's `mean`) takes its attribute name (`moving_mean`) once nested.
   */
  updateParametersName(prefix: string): void {
    const seen = new Set<Parameter>();
    for (const [cellName, cell] of this.cellsAndNames()) {
      for (const [attr, p] of cell._params) {
        if (seen.has(p)) continue;
        seen.add(p);
        p.name = prefix + (cellName ? `${cellName}.${attr}` : attr);
      }
    }
  }

  /**
   * MindSpore parameters_and_names: (attribute path, Parameter) pairs, depth first in registration order, each
   * Parameter once. The path is not always the Parameter's own name: a standalone BatchNorm2d yields
   * `moving_mean` for the Parameter named `mean`, and a child of an auto_prefix=False Cell (WithLossCell) keeps its
   * unprefixed name while its path has the attribute (conformance: names vs MindSpore 2.10).
   */
  parametersAndNames(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [path, cell] of this.cellsAndNames()) {
      for (const [attr, p] of cell._params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${attr}` : attr, p]);
      }
    }
    return out;
  }

  getParameters(): IterableIterator<Parameter> { return this.parametersAndNames().map(([, p]) => p)[Symbol.iterator](); }
  trainableParams(): Parameter[] { return this.parametersAndNames().map(([, p]) => p).filter(p => p.requiresGrad); }
  untrainableParams(): Parameter[] { return this.parametersAndNames().map(([, p]) => p).filter(p => !p.requiresGrad); }
  /** MindSpore parameters_dict: keyed by each Parameter's own name, the name checkpoints use. */
  parametersDict(): Map<string, Parameter> { return new Map(this.parametersAndNames().map(([, p]) => [p.name, p])); }

  /** (name, Cell) pairs, root first with name '', children named by their attribute path ('layer1.0.conv1'). */
  cellsAndNames(prefix = ''): [string, Cell][] {
    const out: [string, Cell][] = [[prefix, this]];
    for (const [k, c] of this._cells) out.push(...c.cellsAndNames(prefix ? `${prefix}.${k}` : k));
    return out;
  }

  nameCells(): Map<string, Cell> { return new Map(this._cells); }

  /** Switch train/predict phase for this Cell and all below (MindSpore set_train). */
  setTrain(mode = true): this {
    for (const [, c] of this.cellsAndNames()) c.training = mode;
    return this;
  }

  get phase(): 'train' | 'predict' { return this.training ? 'train' : 'predict'; }

  /** Run in inference without recording gradients. */
  predict(...inputs: Tensor[]): CellOutput { return noGrad(() => this.call(...inputs)); }

  /**
   * MindSpore 2.10's Cell.__repr__ (checked character for character by conformance/test_cells.py): `Name(extra)` for
   * a leaf, else the extend_repr lines and `(key): child` lines, each indented two spaces, between `Name(` and `)`.
   */
  toString(): string {
    const extra = this.extendRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = [...this._cells].map(([k, c]) => `(${k}): ${addIndent(c.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this.clsName}(`;
    if (lines.length) s += extraLines.length === 1 && !childLines.length ? extraLines[0] : `\n  ${lines.join('\n  ')}\n`;
    return `${s})`;
  }
}
