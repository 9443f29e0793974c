import { roundToFloat16 } from '../dtype.js';
import { Tensor, shapeSize } from '../tensor.js';
import { apply } from '../autograd.js';
import { kernels } from '../kernels/index.js';
import { broadcastShapes, sumToShape } from './broadcast.js';
import { defineOp } from './registry.js';

function f32(t: Tensor, op: string): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`${op}: expected a float tensor, got ${t.dtype}`);
  return t.data;
}

/** numpy-style matmul: 1-D operands are promoted and the added dim removed; leading dims broadcast. */
export const MatMul = defineOp({
  name: 'MatMul',
  forward: ([a0, b0]) => {
    const a = a0!.ndim === 1 ? a0!.view([1, a0!.shape[0]!]) : a0!;
    const b = b0!.ndim === 1 ? b0!.view([b0!.shape[0]!, 1]) : b0!;
    const M = a.shape[a.ndim - 2]!, K = a.shape[a.ndim - 1]!, N = b.shape[b.ndim - 1]!;
    if (b.shape[b.ndim - 2] !== K) throw new Error(`MatMul: inner dimensions differ: [${a0!.shape}] x [${b0!.shape}]`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    const A = f32(a, 'MatMul'), B = f32(b, 'MatMul');
    const nb = shapeSize(batch);
    const aBatch = shapeSize(a.shape.slice(0, -2)), bBatch = shapeSize(b.shape.slice(0, -2));
    // one right matrix for every batch: the left batches stack into one (nb·M)×K matrix, a single GEMM
    const stacked = bBatch === 1 && aBatch === nb;
    let out = stacked ? kernels.gemmOut(nb * M, N, K, A, 0, K, B, 0, N, false) : null;
    if (!out) {
      out = new Float32Array(nb * M * N);
      if (stacked) kernels.gemm(nb * M, N, K, A, 0, K, B, 0, N, out, 0, N, false);
    }
    if (!stacked) for (let i = 0; i < nb; i++) {
      // broadcasting of batch dims: operands with a single batch reuse it, equal batches pair up
      const ai = aBatch === 1 ? 0 : bcIndex(i, batch, a.shape.slice(0, -2));
      const bi = bBatch === 1 ? 0 : bcIndex(i, batch, b.shape.slice(0, -2));
      kernels.gemm(M, N, K, A, ai * M * K, K, B, bi * K * N, N, out, i * M * N, N, false);
    }
    let shape = [...batch, M, N];
    if (a0!.ndim === 1) shape = [...batch, N];
    if (b0!.ndim === 1) shape = a0!.ndim === 1 ? [...batch] : [...batch, M];
    return new Tensor(out, shape, a.dtype);
  },
  // 1-D operands are promoted as in forward ([K] → [1, K] on the left, [K, 1] on the right) and dy gets the dims
  // forward removed; each gradient is summed over broadcast batch dims and viewed back to its operand's shape
  backward: (dy, [a0, b0]) => {
    const a = a0!.ndim === 1 ? a0!.view([1, a0!.shape[0]!]) : a0!;
    const b = b0!.ndim === 1 ? b0!.view([b0!.shape[0]!, 1]) : b0!;
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    const g = dy.view([...batch, a.shape[a.ndim - 2]!, b.shape[b.ndim - 1]!]);
    const tr = (t: Tensor): Tensor => { const p = [...t.shape.keys()]; [p[t.ndim - 2], p[t.ndim - 1]] = [p[t.ndim - 1]!, p[t.ndim - 2]!]; return apply('Transpose', [t], { perm: p }); };
    return [
      sumToShape(apply('MatMul', [g, tr(b)]), a.shape).view(a0!.shape),
      sumToShape(apply('MatMul', [tr(a), g]), b.shape).view(b0!.shape),
    ];
  },
});

function bcIndex(flat: number, outBatch: readonly number[], inBatch: readonly number[]): number {
  let idx = 0, stride = 1, rem = flat;
  const off = outBatch.length - inBatch.length;
  const coords: number[] = [];
  for (let d = outBatch.length - 1; d >= 0; d--) { coords[d] = rem % outBatch[d]!; rem = Math.floor(rem / outBatch[d]!); }
  for (let d = inBatch.length - 1; d >= 0; d--) {
    const c = inBatch[d] === 1 ? 0 : coords[d + off]!;
    idx += c * stride;
    stride *= inBatch[d]!;
  }
  return idx;
}

/** MindSpore nn.Dense / ops.dense: y = x · Wᵀ + b with W stored [out, in] (PyTorch Linear layout). */
export const Dense = defineOp({
  name: 'Dense',
  forward: ([x, w, b]) => {
    const K = x!.shape[x!.ndim - 1]!, N = w!.shape[0]!;
    if (w!.shape[1] !== K) throw new Error(`Dense: input has ${K} features but weight is [${w!.shape}]`);
    const M = x!.size / K;
    const X = f32(x!, 'Dense'), W = f32(w!, 'Dense');
    let out = kernels.gemmOut(M, N, K, X, 0, K, W, 0, K, true);
    if (!out) { out = new Float32Array(M * N); kernels.gemmNT(M, N, K, X, 0, W, 0, out, 0); }
    if (b) {
      // the bias after the product, rounded once more, as y = x·Wᵀ then + b (float16: the product rounded to float16
      // first, as MindSpore 2.10's MatMul then BiasAdd — measured, conformance `dense(float16)`)
      const bd = f32(b, 'Dense');
      if (x!.dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = roundToFloat16(out[i]!);
      const withBias = x!.dtype === 'float32' && b.dtype === 'float32' ? kernels.binary('add', out, bd, M, N, -1, false) : null;
      if (withBias) { kernels.release(out); out = withBias; } else for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[i * N + j] += bd[j]!;
    }
    return new Tensor(out, [...x!.shape.slice(0, -1), N], x!.dtype);
  },
  backward: (dy, [x, w, b]) => {
    const K = x!.shape[x!.ndim - 1]!, N = w!.shape[0]!;
    const dy2 = dy.view([dy.size / N, N]), x2 = x!.view([x!.size / K, K]);
    const dx = apply('MatMul', [dy2, w!]).view(x!.shape);
    const dw = apply('MatMul', [apply('Transpose', [dy2], { perm: [1, 0] }), x2]);
    return b ? [dx, dw, sumToShape(dy2, b.shape)] : [dx, dw];
  },
});

export const linalgOps = [MatMul, Dense];
