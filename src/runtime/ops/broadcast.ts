import { allocData, DType, TypedData } from '../dtype.js';
import { Shape, shapeSize, Tensor, toInt64 } from '../tensor.js';

export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes [${a}] and [${b}] cannot be broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` aligned to `outShape`, 0 on broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const n = outShape.length;
  const strides = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = n - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Calls `inner(outOff, aOff, aStep, bOff, bStep, len)` for each innermost run of the broadcast iteration,
 * so kernels keep a tight loop over the last dimension.
 */
export function forEachBroadcastRun(
  outShape: Shape, aShape: Shape, bShape: Shape,
  inner: (o: number, ao: number, as: number, bo: number, bs: number, len: number) => void,
): void {
  const n = outShape.length;
  const size = shapeSize(outShape);
  if (size === 0) return;
  if (n === 0) { inner(0, 0, 0, 0, 0, 1); return; }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const len = outShape[n - 1]!;
  const idx = new Array<number>(n - 1).fill(0);
  let ao = 0, bo = 0;
  for (let o = 0; o < size; o += len) {
    inner(o, ao, sa[n - 1]!, bo, sb[n - 1]!, len);
    for (let d = n - 2; d >= 0; d--) {
      idx[d]!++;
      ao += sa[d]!; bo += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ao -= sa[d]! * outShape[d]!; bo -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

export function unaryMap(x: Tensor, f: (v: number) => number, dtype: DType = x.dtype): Tensor {
  const out = allocData(dtype, x.size);
  const xd = x.data;
  if (xd instanceof BigInt64Array || out instanceof BigInt64Array) {
    for (let i = 0; i < x.size; i++) {
      const r = f(Number(xd[i]!));
      if (out instanceof BigInt64Array) out[i] = toInt64(r); else out[i] = r;
    }
  } else {
    const xo = xd as Exclude<TypedData, BigInt64Array>;
    const oo = out as Exclude<TypedData, BigInt64Array>;
    for (let i = 0; i < xo.length; i++) oo[i] = f(xo[i]!);
  }
  return new Tensor(out, x.shape, dtype);
}

export function binaryMap(a: Tensor, b: Tensor, f: (x: number, y: number) => number, name: string, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = allocData(dtype, shapeSize(shape));
  const ad = a.data, bd = b.data;
  if (ad instanceof BigInt64Array || bd instanceof BigInt64Array || out instanceof BigInt64Array) {
    forEachBroadcastRun(shape, a.shape, b.shape, (o, ao, as, bo, bs, len) => {
      for (let i = 0; i < len; i++) {
        const r = f(Number(ad[ao + i * as]!), Number(bd[bo + i * bs]!));
        if (out instanceof BigInt64Array) out[o + i] = toInt64(r); else out[o + i] = r;
      }
    });
  } else {
    const A = ad as Float32Array, B = bd as Float32Array, O = out as Float32Array;
    forEachBroadcastRun(shape, a.shape, b.shape, (o, ao, as, bo, bs, len) => {
      if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = f(A[ao + i]!, B[bo + i]!);
      else if (as === 1 && bs === 0) { const y = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = f(A[ao + i]!, y); }
      else if (as === 0 && bs === 1) { const x = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = f(x, B[bo + i]!); }
      else for (let i = 0; i < len; i++) O[o + i] = f(A[ao + i * as]!, B[bo + i * bs]!);
    });
  }
  return new Tensor(out, shape, dtype);
}

/** Sum `g` down to `shape` (undo broadcasting) — the backward of every broadcasting binary op. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.join() === shape.join()) return g;
  const out = new Float32Array(shapeSize(shape));
  const acc = new Float64Array(out.length);
  const zero: Shape = [];
  forEachBroadcastRun(g.shape, shape, zero, (o, ao, as, _bo, _bs, len) => {
    for (let i = 0; i < len; i++) acc[ao + i * as] += g.data[o + i] as number;
  });
  out.set(acc);
  return new Tensor(out, shape, g.dtype);
}

/** Materialise `t` broadcast to `shape` (Expand). */
export function expandTo(t: Tensor, shape: Shape): Tensor {
  const outShape = broadcastShapes(t.shape, shape, 'Expand');
  if (outShape.join() === t.shape.join()) return t;
  const out = allocData(t.dtype, shapeSize(outShape));
  const src = t.data as Float32Array, dst = out as Float32Array;
  forEachBroadcastRun(outShape, t.shape, [], (o, ao, as, _bo, _bs, len) => {
    if (as === 0) dst.fill(src[ao]!, o, o + len);
    else for (let i = 0; i < len; i++) dst[o + i] = src[ao + i]!;
  });
  return new Tensor(out, outShape, t.dtype);
}
