import { msDTypeName, roundToFloat16, TypedData, type DType } from './dtype.js';
import { LAZY, Tensor, shapeStr, setElem } from './tensor.js';
import { initTensor, LazyTensor } from './initializer.js';

/**
 * MindSpore 2.10 names an unnamed Parameter `Parameter#<n>` from a process-wide counter (common/parameter.py
 * _generate_parameter_name); assigned to a Cell attribute, a generated name gives way to the attribute's.
 */
let generatedId = 0;
const GENERATED_PREFIX = 'Parameter#';
function generatedName(): string { return `${GENERATED_PREFIX}${generatedId++}`; }
export function isGeneratedName(name: string): boolean { return name.startsWith(GENERATED_PREFIX); }

/**
 * mindspore.Parameter: a named Tensor a Cell owns. Made without a name it is called `Parameter#<n>`; assigned to a Cell
 * attribute it takes the attribute's name, and auto_prefix prepends the attribute path of each enclosing Cell.
 */
export class Parameter extends Tensor {
  name: string;
  /** Excluded from parameter broadcast and gradient aggregation in layerwise (hybrid) parallel training. */
  layerwiseParallel: boolean;
  /**
   * Parallel-training state MindSpore reports on every Parameter; msport runs standalone, so they keep MindSpore's
   * standalone values: `sliced` (data already split for auto parallel), `isInit` (synced to the device, GE backend
   * only), `initedParam` (the initialised copy made by init_data in parallel mode).
   */
  sliced = false;
  isInit = false;
  initedParam: Parameter | null = null;

  /** An initializer Tensor given as default input stays lazy (shape and dtype only) until `initData()`. */
  private pendingInit: LazyTensor | null = null;

  /** mindspore.Parameter(default_input, name=None, requires_grad=True, layerwise_parallel=False). */
  constructor(defaultInput: Tensor | number, name?: string, requiresGrad = true, layerwiseParallel = false) {
    const t = typeof defaultInput === 'number' ? Tensor.scalar(defaultInput, 'float32') : defaultInput;
    const lazy = t instanceof LazyTensor && t.isLazy;
    super(lazy ? LAZY : t.data, t.shape, t.dtype);
    if (lazy) this.pendingInit = t;
    this.name = name ?? generatedName();
    this.requiresGrad = requiresGrad;
    this.layerwiseParallel = layerwiseParallel;
  }

  override get data(): TypedData { if (this.pendingInit) this.initData(); return this._data; }
  override set data(d: TypedData) { this.pendingInit = null; this._data = d; }

  /** True while the data is still an un-drawn Initializer. */
  get isLazy(): boolean { return this.pendingInit !== null; }

  /** Draw a lazy Initializer's values (mindspore Parameter.init_data). */
  initData(): this {
    if (this.pendingInit) {
      const lazy = this.pendingInit;
      this.pendingInit = null;
      this._data = lazy.initData().data;
    }
    return this;
  }

  /** A copy with its own data (same name and flags), like Parameter.clone(init='same'). */
  clone(): Parameter {
    this.initData();
    return new Parameter(new Tensor(this.data.slice(), this.shape, this.dtype), this.name, this.requiresGrad, this.layerwiseParallel);
  }

  /** Index assignment on the flat data, like `param[i] = v` on a 1-D Parameter. */
  setItem(index: number | number[], value: number): this {
    this.initData();
    const idx = Array.isArray(index) ? index : [index];
    if (idx.length > this.ndim) throw new Error(`Parameter ${this.name}: index [${idx}] has more dims than shape ${shapeStr(this.shape)}`);
    let flat = 0, stride = 1;
    const inner = this.shape.slice(idx.length).reduce((a, b) => a * b, 1);
    for (let d = idx.length - 1; d >= 0; d--) {
      const i = idx[d]! < 0 ? idx[d]! + this.shape[d]! : idx[d]!;
      if (i < 0 || i >= this.shape[d]!) throw new Error(`Parameter ${this.name}: index ${idx[d]} is out of range for dim ${d} of size ${this.shape[d]}`);
      flat += i * stride;
      stride *= this.shape[d]!;
    }
    for (let k = 0; k < inner; k++) setElem(this.data, flat * inner + k, value);
    return this;
  }

  /**
   * MindSpore's Parameter.set_dtype: the values cast to `dtype` (a Cell built with dtype=ms.float16 has float16
   * Parameters; a half-precision export's are loaded into such a Cell).
   */
  setDtype(dtype: DType): this {
    if (dtype === this.dtype) return this;
    if (this.pendingInit) {
      // not drawn yet: it will be drawn in the new dtype, as a Cell built with that dtype draws it
      const init = this.pendingInit.initializer;
      if (init) {
        (this as { dtype: DType }).dtype = dtype;
        this.pendingInit = new LazyTensor(init, this.shape, dtype);
        return this;
      }
    }
    const from = this.data, cast = Tensor.zeros(this.shape, dtype);
    if (dtype === 'float16' && from instanceof Float32Array) { const to = cast.data as Float32Array; for (let i = 0; i < to.length; i++) to[i] = roundToFloat16(from[i]!); }
    else for (let i = 0; i < this.size; i++) setElem(cast.data, i, this.get(i));
    (this as { dtype: DType }).dtype = dtype;
    this.data = cast.data;
    return this;
  }

  /**
   * Replace the value (MindSpore set_data): a Tensor, an `initializer(...)` Tensor (drawn now) or a number (a 0-d
   * Tensor of this dtype). The shape must match unless sliceShape. A value of another dtype is cast, as MindSpore does.
   * Returns the Parameter.
   */
  setData(data0: Tensor | number, sliceShape = false): this {
    let data = typeof data0 === 'number' ? Tensor.scalar(data0, this.dtype) : data0;
    this.pendingInit = null;
    if (data.dtype !== this.dtype && data.shape.join() === this.shape.join()) {
      const cast = Tensor.zeros(data.shape, this.dtype);
      for (let i = 0; i < data.size; i++) setElem(cast.data, i, data.get(i));
      data = cast;
    }
    if (!sliceShape && data.shape.join() !== this.shape.join()) {
      throw new Error(`Parameter ${this.name}: set_data shape ${shapeStr(data.shape)} does not match ${shapeStr(this.shape)}`);
    }
    this.data = data.data;
    if (sliceShape) (this as { shape: readonly number[] }).shape = Object.freeze([...data.shape]);
    return this;
  }

  override toString(): string {
    return `Parameter (name=${this.name}, shape=${shapeStr(this.shape)}, dtype=${msDTypeName[this.dtype]}, requires_grad=${this.requiresGrad ? 'True' : 'False'})`;
  }
}

/** mindspore.ParameterTuple: a fixed, iterable list of Parameters with `clone(prefix, init)`. */
export class ParameterTuple implements Iterable<Parameter> {
  readonly items: readonly Parameter[];

  constructor(params: Iterable<Parameter>) {
    const items = [...params];
    for (const p of items) if (!(p instanceof Parameter)) throw new Error('ParameterTuple holds Parameters only');
    this.items = Object.freeze(items);
  }

  get length(): number { return this.items.length; }
  at(i: number): Parameter | undefined { return this.items.at(i); }
  [Symbol.iterator](): Iterator<Parameter> { return this.items[Symbol.iterator](); }

  /** Copies named `prefix.name`; init 'same' copies the data, an initializer name or a number re-draws it. */
  clone(prefix: string, init: 'same' | 'zeros' | 'ones' | number = 'same'): ParameterTuple {
    if (!prefix) throw new Error('ParameterTuple.clone needs a prefix');
    return new ParameterTuple(this.items.map(p => {
      const c = init === 'same' ? p.clone() : new Parameter(initTensor(init, p.shape, p.dtype), undefined, p.requiresGrad);
      c.name = `${prefix}.${p.name}`;
      return c;
    }));
  }

  toString(): string {
    return `(${this.items.map(String).join(', ')})`;
  }
}
