import { allocData, DType, msDTypeName, TypedData, isFloat } from './dtype.js';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/**
 * Autograd bookkeeping: one node per recorded op (or custom-bprop Cell call). Every output Tensor points at it; the
 * engine hands `backward` one gradient per output (zeros for outputs nothing depended on) and gets one per input.
 */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  outputs: Tensor[];
  backward: (dys: Tensor[]) => (Tensor | null)[];
}

/** Marker for Tensors whose data is drawn later (see LazyTensor in initializer.ts). */
export const LAZY: unique symbol = Symbol('lazy');

type Nested = number | boolean | bigint | Nested[];

function flatten(v: Nested, out: Nested[], shape: number[], depth: number): void {
  if (Array.isArray(v)) {
    if (shape.length <= depth) shape.push(v.length);
    else if (shape[depth] !== v.length) throw new Error(`ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${v.length}`);
    for (const x of v) flatten(x, out, shape, depth + 1);
  } else out.push(v);
}

/**
 * A dense, contiguous, row-major tensor. Views (reshape) share `data`.
 * int64 is stored as BigInt64Array so shape arithmetic stays exact (ONNX uses INT64_MAX as "to the end").
 */
export class Tensor {
  readonly dtype: DType;
  readonly shape: Shape;
  protected _data: TypedData;
  /** The elements, row-major. An accessor so a lazy Parameter can materialise its Initializer on first use. */
  get data(): TypedData { return this._data; }
  set data(d: TypedData) { this._data = d; }
  requiresGrad = false;
  gradNode: GradNode | null = null;
  grad: Tensor | null = null;

  /** `data` may be LAZY for subclasses that materialise on first access (initializer tensors, lazy Parameters). */
  constructor(data: TypedData | typeof LAZY, shape: Shape, dtype: DType) {
    const n = shapeSize(shape);
    if (data === LAZY) data = new Float32Array(0);
    else if (data.length !== n) throw new Error(`Tensor: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${n}`);
    this._data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  /** Build from a (nested) JS array, like `Tensor([[1, 2], [3, 4]], mindspore.float32)`. */
  static from(values: Nested, dtype?: DType): Tensor {
    const flat: Nested[] = [];
    const shape: number[] = [];
    flatten(values, flat, shape, 0);
    const dt: DType = dtype ?? (flat.every(v => typeof v === 'boolean') ? 'bool'
      : flat.every(v => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) ? 'int64' : 'float32');
    const data = allocData(dt, flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v === 'bigint' && data instanceof BigInt64Array) data[i] = v;
      else setElem(data, i, Number(v as number));
    }
    return new Tensor(data, shape, dt);
  }

  static zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(allocData(dtype, shapeSize(shape)), shape, dtype);
  }

  static full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    for (let i = 0; i < t.size; i++) setElem(t.data, i, value);
    return t;
  }

  static scalar(value: number, dtype: DType = 'float32'): Tensor {
    return Tensor.full([], value, dtype);
  }

  get size(): number { return this.data.length; }
  get ndim(): number { return this.shape.length; }

  /** Element i as a JS number (int64 converted; exact below 2^53). */
  get(i: number): number { return getElem(this.data, i); }

  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements, expected 1`);
    return this.get(0);
  }

  /** Values as a flat number array. */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.get(i);
    return out;
  }

  /** Values as a nested array, like `asnumpy().tolist()`. */
  tolist(): Nested {
    const flat = this.toArray();
    const build = (dim: number, off: number): Nested => {
      if (dim === this.shape.length) return flat[off]!;
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** A view with another shape over the same data. */
  view(shape: Shape): Tensor {
    return new Tensor(this.data, shape, this.dtype);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${msDTypeName[this.dtype]}, value=${formatValues(this)})`;
  }
}

export function getElem(data: TypedData, i: number): number {
  const v = data[i]!;
  return typeof v === 'bigint' ? Number(v) : v;
}

const INT64_MAX = 2n ** 63n - 1n, INT64_MIN = -(2n ** 63n);

/** Store a number; into int64 it is truncated and saturated (2^63 as a double would otherwise wrap negative). */
export function setElem(data: TypedData, i: number, v: number): void {
  if (data instanceof BigInt64Array) data[i] = toInt64(v);
  else data[i] = v;
}

export function toInt64(v: number): bigint {
  if (v >= 9223372036854775807) return INT64_MAX;
  if (v <= -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

function formatValues(t: Tensor): string {
  const fmt = (v: number): string => (isFloat(t.dtype) ? (Number.isInteger(v) ? `${v}.` : `${+v.toPrecision(8)}`) : `${v}`);
  const rec = (v: Nested): string => (Array.isArray(v) ? `[${v.map(rec).join(', ')}]` : t.dtype === 'bool' ? (v ? 'True' : 'False') : fmt(v as number));
  return t.size > 1000 ? `[...${t.size} values]` : rec(t.tolist());
}
