import { allocData, TypedData } from '../dtype.js';
import { Shape, Tensor, shapeSize } from '../tensor.js';
import { apply } from '../autograd.js';
import { expandTo, sumToShape } from './broadcast.js';
import { kernels } from '../kernels/index.js';
import { defineOp } from './registry.js';

type AnyArr = { [i: number]: number | bigint; length: number; set(a: ArrayLike<number | bigint>, off?: number): void; subarray(a: number, b: number): AnyArr };
const arr = (d: TypedData): AnyArr => d as unknown as AnyArr;

/** Resolve a MindSpore/numpy reshape target: one -1 is inferred. */
export function resolveShape(shape: readonly number[], size: number, op = 'Reshape'): number[] {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const neg = shape.filter(d => d === -1).length;
  if (neg > 1) throw new Error(`${op}: at most one -1 in [${shape}]`);
  const out = shape.map(d => (d === -1 ? size / known : d));
  if (shapeSize(out) !== size || out.some(d => !Number.isInteger(d) || d < 0)) throw new Error(`${op}: cannot reshape ${size} elements to [${shape}]`);
  return out;
}

export const Reshape = defineOp<{ shape: number[] }>({
  name: 'Reshape',
  forward: ([x], { shape }) => x!.view(resolveShape(shape, x!.size)),
  backward: (dy, [x]) => [dy.view(x!.shape)],
});

export function transposeData(x: Tensor, perm: readonly number[]): Tensor {
  const n = x.ndim;
  if (perm.length !== n || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new Error(`Transpose: perm [${perm}] is not a permutation of ${n} axes`);
  const outShape = perm.map(p => x.shape[p]!);
  const inStrides: number[] = [];
  let s = 1;
  for (let i = n - 1; i >= 0; i--) { inStrides[i] = s; s *= x.shape[i]!; }
  const st = perm.map(p => inStrides[p]!);
  // an unaligned float32 initializer goes to the kernel as bytes: no typed-array copy of it is made (and kept) first
  const raw = x.dtype === 'float32' ? x.unalignedBytes : null;
  if ((raw || x.data instanceof Float32Array) && x.size > 0) {
    const m = mergedTranspose(x.shape, perm);
    // a (batched) matrix transpose, the common case (weights [in, out] → [out, in], NCHW ↔ NHWC), in one kernel
    const batched = m.perm.length === 3 && m.perm[0] === 0 && m.perm[1] === 2 && m.perm[2] === 1;
    if ((m.perm.length === 2 && m.perm[0] === 1) || batched) {
      const [B, R, C] = batched ? m.shape as [number, number, number] : [1, m.shape[0]!, m.shape[1]!];
      const k = kernels.transpose2d(raw ?? (x.data as Float32Array), B, R, C);
      if (k) return new Tensor(k, outShape, x.dtype);
    }
  }
  const out = allocData(x.dtype, x.size);
  if (x.size === 0) return new Tensor(out, outShape, x.dtype);
  if (x.data instanceof Float32Array && out instanceof Float32Array) {
    transposeF32(x.data, x.shape, perm, out);
    return new Tensor(out, outShape, x.dtype);
  }
  const src = arr(x.data), dst = arr(out);
  const last = n - 1;
  const len = outShape[last] ?? 1, ls = st[last] ?? 0;
  const idx = new Array<number>(n).fill(0);
  let io = 0;
  for (let o = 0; o < x.size; o += len) {
    for (let k = 0; k < len; k++) dst[o + k] = src[io + k * ls]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++; io += st[d]!;
      if (idx[d]! < outShape[d]!) break;
      io -= st[d]! * outShape[d]!; idx[d] = 0;
    }
  }
  return new Tensor(out, outShape, x.dtype);
}

/**
 * Float32 transpose: size-1 dims dropped and input dims that stay adjacent merged, then either contiguous runs are
 * copied or, when the output's last dim strides through the input, 16×16 tiles between that dim and the output dim
 * that reads the input's last dim keep reads and writes in cache.
 */
/** The same transpose with size-1 dims dropped and input dims that stay adjacent in the output merged. */
function mergedTranspose(shape0: Shape, perm0: readonly number[]): { shape: number[]; perm: number[] } {
  const keep = shape0.map((d, i) => (d !== 1 ? i : -1)).filter(i => i >= 0);
  const remap = new Map(keep.map((a, i) => [a, i]));
  const kept = keep.map(a => shape0[a]!);
  const perm = perm0.filter(p => remap.has(p)).map(p => remap.get(p)!);
  const groups: number[][] = [];
  for (const p of perm) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1]! + 1 === p) g.push(p); else groups.push([p]);
  }
  const order = [...groups].sort((a, b) => a[0]! - b[0]!);
  return { shape: order.map(g => g.reduce((s, a) => s * kept[a]!, 1)), perm: groups.map(g => order.indexOf(g)) };
}

function transposeF32(src: Float32Array, shape0: Shape, perm0: readonly number[], dst: Float32Array): void {
  const { shape, perm } = mergedTranspose(shape0, perm0);
  const n = perm.length;
  if (n <= 1) { dst.set(src); return; }
  const inStrides: number[] = new Array(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]!; }
  const outShape = perm.map(p => shape[p]!);
  const st = perm.map(p => inStrides[p]!);
  const outStrides: number[] = new Array(n);
  s = 1;
  for (let i = n - 1; i >= 0; i--) { outStrides[i] = s; s *= outShape[i]!; }
  const last = n - 1;
  // j: the output dim reading the input's last (contiguous) dim
  const j = perm.indexOf(n - 1);
  // contiguous runs (j = last) are one tile of A = 1 rows; otherwise tiles span output dims j and last
  const runs = j === last;
  const B = outShape[last]!, A = runs ? 1 : outShape[j]!, sb = st[last]!, oa = runs ? 0 : outStrides[j]!;
  // odometer over every output dim except j and last
  const others: number[] = [];
  for (let d = 0; d < last; d++) if (d !== j) others.push(d);
  const idx = new Array<number>(others.length).fill(0);
  let io = 0, oo = 0;
  const total = others.reduce((p, d) => p * outShape[d]!, 1);
  const T = 16;
  for (let t = 0; t < total; t++) {
    if (runs) dst.set(src.subarray(io, io + B), oo);
    else for (let a0 = 0; a0 < A; a0 += T) {
      const a1 = Math.min(A, a0 + T);
      for (let b0 = 0; b0 < B; b0 += T) {
        const b1 = Math.min(B, b0 + T);
        for (let a = a0; a < a1; a++) {
          const d0 = oo + a * oa, s0 = io + a;
          for (let b = b0; b < b1; b++) dst[d0 + b] = src[s0 + b * sb]!;
        }
      }
    }
    for (let k = others.length - 1; k >= 0; k--) {
      const d = others[k]!;
      idx[k]!++; io += st[d]!; oo += outStrides[d]!;
      if (idx[k]! < outShape[d]!) break;
      io -= st[d]! * outShape[d]!; oo -= outStrides[d]! * outShape[d]!; idx[k] = 0;
    }
  }
}

export const Transpose = defineOp<{ perm: number[] }>({
  name: 'Transpose',
  forward: ([x], { perm }) => transposeData(x!, perm),
  backward: (dy, _x, _y, { perm }) => {
    const inv: number[] = [];
    perm.forEach((p, i) => { inv[p] = i; });
    return [transposeData(dy, inv)];
  },
});

/** Copy a block of `rows` rows of `len` elements between strided positions (the concat/split/slice workhorse). */
function copyRows(src: AnyArr, srcOff: number, srcStride: number, dst: AnyArr, dstOff: number, dstStride: number, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(srcOff + r * srcStride, srcOff + r * srcStride + len), dstOff + r * dstStride);
}

export const Concat = defineOp<{ axis: number }>({
  name: 'Concat',
  forward: (xs, { axis }) => {
    const x0 = xs[0]!;
    const ax = axis < 0 ? axis + x0.ndim : axis;
    for (const t of xs) {
      if (t.dtype !== x0.dtype) throw new Error(`Concat: inputs must share a dtype (MindSpore does not promote): ${x0.dtype} vs ${t.dtype}`);
      if (t.ndim !== x0.ndim || t.shape.some((d, i) => i !== ax && d !== x0.shape[i])) throw new Error(`Concat: shapes [${x0.shape}] and [${t.shape}] differ off axis ${ax}`);
    }
    const total = xs.reduce((s, t) => s + t.shape[ax]!, 0);
    const outShape = x0.shape.map((d, i) => (i === ax ? total : d));
    const inner = shapeSize(x0.shape.slice(ax + 1)), outer = shapeSize(x0.shape.slice(0, ax));
    const out = allocData(x0.dtype, shapeSize(outShape));
    let off = 0;
    for (const t of xs) {
      const len = t.shape[ax]! * inner;
      copyRows(arr(t.data), 0, len, arr(out), off, total * inner, outer, len);
      off += len;
    }
    return new Tensor(out, outShape, x0.dtype);
  },
  backward: (dy, xs, _y, { axis }) => {
    const ax = axis < 0 ? axis + xs[0]!.ndim : axis;
    let off = 0;
    return xs.map(t => {
      const begin = dy.shape.map((_, i) => (i === ax ? off : 0));
      const end = dy.shape.map((d, i) => (i === ax ? off + t.shape[ax]! : d));
      off += t.shape[ax]!;
      return apply('StridedSlice', [dy], { begin, end, strides: dy.shape.map(() => 1) });
    });
  },
});

export const Split = defineOp<{ axis: number; sizes: number[] }>({
  name: 'Split',
  forward: ([x], { axis, sizes }) => {
    const ax = axis < 0 ? axis + x!.ndim : axis;
    if (sizes.reduce((a, b) => a + b, 0) !== x!.shape[ax]) throw new Error(`Split: sizes [${sizes}] do not add up to dim ${ax} = ${x!.shape[ax]}`);
    const inner = shapeSize(x!.shape.slice(ax + 1)), outer = shapeSize(x!.shape.slice(0, ax));
    let off = 0;
    return sizes.map(sz => {
      const shape = x!.shape.map((d, i) => (i === ax ? sz : d));
      const out = allocData(x!.dtype, shapeSize(shape));
      copyRows(arr(x!.data), off, x!.shape[ax]! * inner, arr(out), 0, sz * inner, outer, sz * inner);
      off += sz * inner;
      return new Tensor(out, shape, x!.dtype);
    });
  },
  noGrad: 'multi-output',
});

/** Strided slice with starts/ends already clamped to valid positions for each axis (one entry per dim). */
export const StridedSlice = defineOp<{ begin: number[]; end: number[]; strides: number[] }>({
  name: 'StridedSlice',
  forward: ([x], { begin, end, strides }) => {
    const outShape = x!.shape.map((_, i) => Math.max(0, Math.ceil((end[i]! - begin[i]!) / strides[i]!)));
    const out = allocData(x!.dtype, shapeSize(outShape));
    const n = x!.ndim;
    if (shapeSize(outShape) === 0) return new Tensor(out, outShape, x!.dtype);
    const inStrides: number[] = [];
    let s = 1;
    for (let i = n - 1; i >= 0; i--) { inStrides[i] = s; s *= x!.shape[i]!; }
    const src = arr(x!.data), dst = arr(out);
    const idx = new Array<number>(n).fill(0);
    let io = begin.reduce((acc, b, i) => acc + b * inStrides[i]!, 0);
    const last = n - 1, len = outShape[last]!, ls = strides[last]! * inStrides[last]!;
    for (let o = 0; o < out.length; o += len) {
      for (let k = 0; k < len; k++) dst[o + k] = src[io + k * ls]!;
      for (let d = last - 1; d >= 0; d--) {
        idx[d]!++; io += strides[d]! * inStrides[d]!;
        if (idx[d]! < outShape[d]!) break;
        io -= strides[d]! * inStrides[d]! * outShape[d]!; idx[d] = 0;
      }
    }
    return new Tensor(out, outShape, x!.dtype);
  },
  backward: (dy, [x], _y, { begin, strides }) => {
    const dx = new Float32Array(x!.size);
    const n = x!.ndim;
    const inStrides: number[] = [];
    let s = 1;
    for (let i = n - 1; i >= 0; i--) { inStrides[i] = s; s *= x!.shape[i]!; }
    const idx = new Array<number>(n).fill(0);
    const D = dy.data as Float32Array;
    for (let o = 0; o < dy.size; o++) {
      let io = 0;
      for (let d = 0; d < n; d++) io += (begin[d]! + idx[d]! * strides[d]!) * inStrides[d]!;
      dx[io] += D[o]!;
      for (let d = n - 1; d >= 0; d--) { idx[d]!++; if (idx[d]! < dy.shape[d]!) break; idx[d] = 0; }
    }
    return [new Tensor(dx, x!.shape, x!.dtype)];
  },
});

/** MindSpore ops.gather(input, indices, axis): whole slices along `axis` (index_select-like); negative indices wrap. */
export const Gather = defineOp<{ axis: number }>({
  name: 'Gather',
  forward: ([x, indices], { axis }) => {
    const ax = axis < 0 ? axis + x!.ndim : axis;
    const D = x!.shape[ax]!;
    const inner = shapeSize(x!.shape.slice(ax + 1)), outer = shapeSize(x!.shape.slice(0, ax));
    const outShape = [...x!.shape.slice(0, ax), ...indices!.shape, ...x!.shape.slice(ax + 1)];
    const out = allocData(x!.dtype, shapeSize(outShape));
    const src = arr(x!.data), dst = arr(out);
    const ni = indices!.size;
    for (let k = 0; k < ni; k++) {
      let j = indices!.get(k);
      if (j < 0) j += D;
      if (j < 0 || j >= D) throw new Error(`Gather: index ${indices!.get(k)} is out of range for dim ${ax} of size ${D}`);
      copyRows(src, j * inner, D * inner, dst, k * inner, ni * inner, outer, inner);
    }
    return new Tensor(out, outShape, x!.dtype);
  },
  // scatter-add the slices back to the rows they were taken from; the indices get no gradient
  backward: (dy, [x, indices], _y, { axis }) => {
    const ax = axis < 0 ? axis + x!.ndim : axis;
    const D = x!.shape[ax]!;
    const inner = shapeSize(x!.shape.slice(ax + 1)), outer = shapeSize(x!.shape.slice(0, ax));
    const dx = new Float32Array(x!.size), G = dy.data as Float32Array;
    const ni = indices!.size;
    for (let k = 0; k < ni; k++) {
      let j = indices!.get(k);
      if (j < 0) j += D;
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) dx[(o * D + j) * inner + i] += G[(o * ni + k) * inner + i]!;
    }
    return [new Tensor(dx, x!.shape, x!.dtype), null];
  },
});

export type PadMode = 'constant' | 'reflect' | 'edge';

/**
 * The index map behind Pad and its gradient: for each output position, the input element it reads (reflect and edge
 * fold back into the input) or -1 for the constant border.
 */
function forEachPadSource(xShape: readonly number[], pads: [number, number][], mode: PadMode, visit: (o: number, io: number) => void): void {
  const n = xShape.length;
  const outShape = xShape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const inStrides: number[] = [];
  let s = 1;
  for (let i = n - 1; i >= 0; i--) { inStrides[i] = s; s *= xShape[i]!; }
  const idx = new Array<number>(n).fill(0);
  const size = shapeSize(outShape);
  for (let o = 0; o < size; o++) {
    let io = 0;
    for (let d = 0; d < n; d++) {
      let c = idx[d]! - pads[d]![0];
      const D = xShape[d]!;
      if (c < 0 || c >= D) {
        if (mode === 'constant') { io = -1; break; }
        if (mode === 'edge') c = c < 0 ? 0 : D - 1;
        else { const p = 2 * (D - 1) || 1; c = ((c % p) + p) % p; if (c >= D) c = p - c; }
      }
      io += c * inStrides[d]!;
    }
    visit(o, io);
    for (let d = n - 1; d >= 0; d--) { idx[d]!++; if (idx[d]! < outShape[d]!) break; idx[d] = 0; }
  }
}

/** Pad with (before, after) pairs listed first dim to last. */
export const Pad = defineOp<{ pads: [number, number][]; mode: PadMode; value: number }>({
  name: 'Pad',
  forward: ([x], { pads, mode, value }) => {
    const outShape = x!.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
    const out = allocData(x!.dtype, shapeSize(outShape));
    const dst = arr(out), src = arr(x!.data);
    const fill = out instanceof BigInt64Array ? BigInt(value) : value;
    forEachPadSource(x!.shape, pads, mode, (o, io) => { dst[o] = io >= 0 ? src[io]! : fill; });
    return new Tensor(out, outShape, x!.dtype);
  },
  // each output element came from one input element (or the constant): accumulate back along the same index map
  backward: (dy, [x], _y, { pads, mode }) => {
    const dx = new Float32Array(x!.size), G = dy.data as Float32Array;
    forEachPadSource(x!.shape, pads, mode, (o, io) => { if (io >= 0) dx[io] += G[o]!; });
    return [new Tensor(dx, x!.shape, x!.dtype)];
  },
});

export const Expand = defineOp<{ shape: number[] }>({
  name: 'Expand',
  forward: ([x], { shape }) => expandTo(x!, shape),
  backward: (dy, [x]) => [sumToShape(dy, x!.shape)],
});

export function shapeTensor(shape: Shape): Tensor {
  return new Tensor(BigInt64Array.from(shape.map(BigInt)), [shape.length], 'int64');
}

export const movementOps = [Reshape, Transpose, Concat, Split, StridedSlice, Gather, Pad, Expand];
