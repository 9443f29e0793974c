import { allocData, DType, TypedData } from '../dtype.js';
import { Shape, shapeSize, Tensor, toInt64 } from '../tensor.js';
import { kernels } from '../kernels/index.js';

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
 * so kernels keep a tight loop over the last dimension. Adjacent dims that both operands step through alike
 * (contiguous, or both broadcast) are merged first, so runs are as long as the layout allows.
 */
export function forEachBroadcastRun(
  outShape: Shape, aShape: Shape, bShape: Shape,
  inner: (o: number, ao: number, as: number, bo: number, bs: number, len: number) => void,
): void {
  const size = shapeSize(outShape);
  if (size === 0) return;
  if (outShape.length === 0) { inner(0, 0, 0, 0, 0, 1); return; }
  const sa0 = broadcastStrides(aShape, outShape);
  const sb0 = broadcastStrides(bShape, outShape);
  // merge dim d into d+1 when both operands' strides continue across the boundary
  const shape: number[] = [], sa: number[] = [], sb: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && sa[k] === sa0[d]! * n && sb[k] === sb0[d]! * n) { shape[k]! *= n; sa[k] = sa0[d]!; sb[k] = sb0[d]!; continue; }
    shape.push(n); sa.push(sa0[d]!); sb.push(sb0[d]!);
  }
  const n = shape.length;
  if (n === 0) { inner(0, 0, 0, 0, 0, 1); return; }
  const len = shape[n - 1]!, as = sa[n - 1]!, bs = sb[n - 1]!;
  if (n === 1) { inner(0, 0, as, 0, bs, len); return; }
  const idx = new Array<number>(n - 1).fill(0);
  let ao = 0, bo = 0;
  for (let o = 0; o < size; o += len) {
    inner(o, ao, as, bo, bs, len);
    for (let d = n - 2; d >= 0; d--) {
      idx[d]!++;
      ao += sa[d]!; bo += sb[d]!;
      if (idx[d]! < shape[d]!) break;
      ao -= sa[d]! * shape[d]!; bo -= sb[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** A float32 loop over one run: O[o+i] = op(A[ao+i·as], B[bo+i·bs]) for i < len. One function per op keeps it monomorphic. */
export type BinaryRun = (O: Float32Array, o: number, A: Float32Array, ao: number, as: number, B: Float32Array, bo: number, bs: number, len: number) => void;
/**
 * A float32 loop over a whole array: O[i] = op(X[i]), with up to two op parameters. Define it once at module level
 * (a closure made per call would start cold every time).
 */
export type UnaryLoop = (X: Float32Array, O: Float32Array, p0: number, p1: number) => void;

export function unaryMap(x: Tensor, f: (v: number) => number, dtype: DType = x.dtype, loop?: UnaryLoop, p0 = 0, p1 = 0): Tensor {
  const out = allocData(dtype, x.size);
  const xd = x.data;
  if (loop && xd instanceof Float32Array && out instanceof Float32Array) {
    loop(xd, out, p0, p1);
  } else if (xd instanceof BigInt64Array || out instanceof BigInt64Array) {
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

/**
 * How `small` broadcasts against a full operand of `outShape` as a [rows × len] view, when its dims are 1 outside
 * one contiguous block of dims it shares with the output: one value per row (a scalar, [C, 1, 1] against
 * [N, C, H, W]; small[r mod bMod] pairs with row r), or, when the block runs to the last dim, one row for every row
 * (a bias [N] against [M, N]; bMod −1, small[i]). null for any other pattern.
 */
export function rowBroadcast(outShape: Shape, small: Shape): { rows: number; len: number; bMod: number } | null {
  const n = outShape.length, pad = [...new Array<number>(n - small.length).fill(1), ...small];
  let first = -1, last = -1;
  for (let d = 0; d < n; d++) if (pad[d] !== 1) { if (first < 0) first = d; last = d; }
  if (first < 0) return { rows: 1, len: shapeSize(outShape), bMod: 1 };
  for (let d = first; d <= last; d++) if (pad[d] !== outShape[d]) return null;
  if (last === n - 1) return { rows: shapeSize(outShape.slice(0, first)), len: shapeSize(outShape.slice(first)), bMod: -1 };
  return { rows: shapeSize(outShape.slice(0, last + 1)), len: shapeSize(outShape.slice(last + 1)), bMod: shapeSize(pad.slice(first, last + 1)) };
}

/** A float32 binary op the kernel table runs when its operands take a kernel's layout, else null. */
function kernelBinary(op: BinaryKernelOp, a: Tensor, b: Tensor, shape: number[], size: number): Float32Array | null {
  const ad = a.data, bd = b.data;
  if (!(ad instanceof Float32Array) || !(bd instanceof Float32Array)) return null;
  if (ad.length === size && bd.length === size) return kernels.binary(op, ad, bd, 1, size, 0, false);
  if (ad.length === size) { const rb = rowBroadcast(shape, b.shape); return rb ? kernels.binary(op, ad, bd, rb.rows, rb.len, rb.bMod, false) : null; }
  if (bd.length === size) { const rb = rowBroadcast(shape, a.shape); return rb ? kernels.binary(op, bd, ad, rb.rows, rb.len, rb.bMod, true) : null; }
  return null;
}
export type BinaryKernelOp = 'add' | 'sub' | 'mul' | 'div';

export function binaryMap(a: Tensor, b: Tensor, f: (x: number, y: number) => number, name: string, dtype: DType = a.dtype, run?: BinaryRun, kernelOp?: BinaryKernelOp): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, name);
  const size = shapeSize(shape);
  if (kernelOp && dtype === 'float32' && a.dtype === 'float32' && b.dtype === 'float32') {
    const k = kernelBinary(kernelOp, a, b, shape, size);
    if (k) return new Tensor(k, shape, dtype);
  }
  const out = allocData(dtype, size);
  const ad = a.data, bd = b.data;
  if (run && ad instanceof Float32Array && bd instanceof Float32Array && out instanceof Float32Array) {
    if (ad.length === out.length && bd.length === out.length) run(out, 0, ad, 0, 1, bd, 0, 1, out.length);
    else forEachBroadcastRun(shape, a.shape, b.shape, (o, ao, as, bo, bs, len) => run(out, o, ad, ao, as, bd, bo, bs, len));
  } else if (ad instanceof BigInt64Array || bd instanceof BigInt64Array || out instanceof BigInt64Array) {
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
