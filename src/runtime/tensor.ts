import { allocData, DType, msDTypeName, TypedData, isFloat } from './dtype.js';
import { numpyStr } from './numpy-str.js';

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

  private sizeOf: { shape: Shape; size: number } | null = null;
  /** Element count, from the shape: reading it does not materialise a lazy or unaligned tensor's data. */
  get size(): number {
    if (this.sizeOf?.shape !== this.shape) this.sizeOf = { shape: this.shape, size: shapeSize(this.shape) };
    return this.sizeOf.size;
  }
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

  /**
   * The data's bytes when they are held unaligned and not yet copied into a typed array (a misaligned ONNX
   * initializer), so a kernel that copies its operand anyway can take them as they are; null for ordinary tensors.
   */
  get unalignedBytes(): Uint8Array | null { return null; }

  /** A view with another shape over the same data. */
  view(shape: Shape): Tensor {
    return new Tensor(this.data, shape, this.dtype);
  }

  /**
   * MindSpore's `repr(tensor)` (C++ `Tensor::ToStringRepr`), which is also what `print` shows for Tensors inside a
   * tuple or list: `Tensor(shape=[3], dtype=Float32, value= [ 2.00000000e+01,  2.00000003e-01,  3.00000012e-01])`.
   * Printing draws a pending initializer first, as MindSpore's print does.
   */
  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${msDTypeName[this.dtype]}, value=${this.ndim > 1 ? '\n' : ' '}${reprValues(this)})`;
  }

  /** Python's `str(tensor)` / `print(tensor)` in MindSpore 2.10: numpy's printing of `asnumpy()` (numpy-str.ts). */
  str(): string { return numpyStr(this.data, this.shape, this.dtype); }

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

// TensorStringifier (mindspore/core/ir/tensor.cc): rows longer than kThreshold = 6 and 1-D tensors longer than
// kThreshold1D = 1000 are summarised to their first and last 3 entries; a 1-D tensor breaks its line every 12 floats or
// bools (24 ints).
const THRESHOLD = 6, HALF = THRESHOLD >> 1, THRESHOLD_1D = 1000;

/** C++ `ostream << scientific << setprecision(p)`: d.ddd…e±XX with at least two exponent digits (glibc). */
function scientific(v: number, precision: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const [m, e] = Math.abs(v).toExponential(precision).split('e') as [string, string];
  const exp = Number(e);
  return `${v < 0 || Object.is(v, -0) ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** C++ `ostream << v` with default flags: printf %g, 6 significant digits, trailing zeros dropped. */
function general(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Number(v.toExponential(5).split('e')[1]);
  if (exp < -4 || exp >= 6) return scientific(v, 5).replace(/\.?0+e/, 'e');
  const fixed = v.toFixed(5 - exp);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function reprValues(t: Tensor): string {
  const { shape, ndim, size, dtype } = t;
  if (size === 0) return '';
  const data = t.data;
  const kind = dtype === 'bool' ? 'bool' : isFloat(dtype) ? 'float' : 'int';
  const num = (i: number): number => getElem(data, i);
  if (ndim === 0) return kind === 'bool' ? (num(0) ? 'True' : 'False') : kind === 'float' ? general(num(0)) : String(data[0]);
  // floats: width 15, 8 digits (float16: 11 and 4); bools: width 5; ints: padded to the widest printed one
  const half = dtype === 'float16';
  let maxWidth = 0;
  const item = (i: number): string => {
    if (kind === 'float') return scientific(num(i), half ? 4 : 8).padStart(half ? 11 : 15);
    if (kind === 'bool') return (num(i) ? 'True' : 'False').padStart(5);
    const s = String(data[i]);
    maxWidth = Math.max(maxWidth, s.length);
    return '#'.repeat(s.length) + s;
  };
  const lineFeed = kind === 'int' ? 4 * THRESHOLD : 2 * THRESHOLD;
  let out = '';
  let cursor = 0;
  const run = (start: number, end: number): void => {
    for (let i = start; i < end && cursor + i < size; i++) {
      out += item(cursor + i);
      if (i !== end - 1) out += ', ';
      if (ndim === 1 && end - start > HALF && (i + 1) % lineFeed === 0) out += '\n ';
    }
  };
  const rec = (depth: number): void => {
    const n = shape[depth]!, indent = ' '.repeat(depth + 1);
    out += '[';
    if (depth === ndim - 1) {
      if ((n > THRESHOLD && ndim > 1) || (n > THRESHOLD_1D && ndim === 1)) {
        run(0, HALF);
        out += ' ... ';
        run(n - HALF, n);
      } else run(0, n);
      cursor += n;
    } else {
      for (let i = 0; i < Math.min(HALF, n); i++) {
        if (i > 0) out += `,\n${indent}`;
        rec(depth + 1);
      }
      if (n > THRESHOLD) {
        out += `,\n${indent}...`;
        cursor += shapeSize(shape.slice(depth + 1)) * (n - THRESHOLD);
      }
      for (let i = 0; i < Math.min(n - HALF, HALF); i++) {
        out += `${i !== 0 || n <= THRESHOLD ? ',' : ''}\n${indent}`;
        rec(depth + 1);
      }
    }
    out += ']';
  };
  rec(0);
  return kind === 'int' ? out.replace(/#+/g, m => ' '.repeat(maxWidth - m.length)) : out;
}
