import { kernels } from '../kernels/index.js';
import { Tensor, shapeSize } from '../tensor.js';
import { apply } from '../autograd.js';
import { defineOp } from './registry.js';

/**
 * Inference BatchNorm over axis 1: y = (x − mean) / sqrt(var + eps) · gamma + beta, folded per channel into
 * one scale and shift computed in float64 (what onnxruntime does too).
 */
export const BatchNormInference = defineOp<{ eps: number }>({
  name: 'BatchNormInference',
  forward: ([x, gamma, beta, mean, variance], { eps }) => {
    const N = x!.shape[0]!, C = x!.shape[1]!;
    const S = x!.size / (N * C);
    const X = x!.data as Float32Array;
    const G = gamma!.data as Float32Array, B = beta!.data as Float32Array, M = mean!.data as Float32Array, V = variance!.data as Float32Array;
    const scale = new Float64Array(C), shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      scale[c] = G[c]! / Math.sqrt(V[c]! + eps);
      shift[c] = B[c]! - M[c]! * scale[c]!;
    }
    const k = x!.dtype === 'float32' ? kernels.affineRows(X, scale, shift, N * C, S) : null;
    if (k) return new Tensor(k, x!.shape, x!.dtype);
    const out = new Float32Array(x!.size);
    for (let c = 0; c < C; c++) {
      const sc = scale[c]!, sh = shift[c]!;
      for (let n = 0; n < N; n++) {
        const off = (n * C + c) * S;
        for (let i = 0; i < S; i++) out[off + i] = X[off + i]! * sc + sh;
      }
    }
    return new Tensor(out, x!.shape, x!.dtype);
  },
  // with s = γ/√(v+ε): dx = dy·s, dγ = Σ dy·(x−μ)/√(v+ε), dβ = Σ dy, dμ = −s·Σ dy, dv = −½·γ·(v+ε)^(−3/2)·Σ dy·(x−μ)
  backward: (dy, [x, gamma, , mean, variance], _y, { eps }) => {
    const N = x!.shape[0]!, C = x!.shape[1]!, S = x!.size / (N * C);
    const X = x!.data as Float32Array, DY = dy.data as Float32Array;
    const G = gamma!.data as Float32Array, M = mean!.data as Float32Array, V = variance!.data as Float32Array;
    const dX = new Float32Array(x!.size);
    const dG = new Float32Array(C), dB = new Float32Array(C), dM = new Float32Array(C), dV = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(V[c]! + eps), scale = G[c]! * inv;
      let sdy = 0, sdyx = 0;
      for (let n = 0; n < N; n++) {
        const off = (n * C + c) * S;
        for (let i = 0; i < S; i++) { const g = DY[off + i]!; dX[off + i] = g * scale; sdy += g; sdyx += g * (X[off + i]! - M[c]!); }
      }
      dG[c] = sdyx * inv; dB[c] = sdy; dM[c] = -scale * sdy; dV[c] = -0.5 * G[c]! * inv * inv * inv * sdyx;
    }
    const t = (d: Float32Array, like: Tensor): Tensor => new Tensor(d, like.shape, like.dtype);
    return [t(dX, x!), t(dG, gamma!), t(dB, gamma!), t(dM, mean!), t(dV, variance!)];
  },
});

/**
 * MindSpore's LayerNorm primitive for gamma and beta over exactly the normalised trailing axes (`axis`…R−1):
 * y = (x − μ)/√(σ² + ε)·γ + β per row, one pass per statistic. It rounds as the composition of primitives it replaces
 * does (μ and σ² summed in float64 and rounded to float32, then x − μ, its square, σ² + ε, the root, the quotient,
 * ·γ and +β each rounded to float32), so it computes the same bits; the ops of that composition are its backward:
 * dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ with ĝ = dy·γ, dγ = Σ dy·x̂, dβ = Σ dy over the rows.
 */
export const LayerNorm = defineOp<{ axis: number; eps: number }>({
  name: 'LayerNorm',
  forward: ([x, gamma, beta], { axis, eps }) => {
    const L = shapeSize(x!.shape.slice(axis)), rows = L === 0 ? 0 : x!.size / L;
    const X = x!.data as Float32Array, G = gamma!.data as Float32Array, B = beta!.data as Float32Array;
    const out = new Float32Array(x!.size);
    const e = Math.fround(eps);
    for (let r = 0; r < rows; r++) {
      const o = r * L;
      let s = 0;
      for (let i = 0; i < L; i++) s += X[o + i]!;
      const mean = Math.fround(s / L);
      let q = 0;
      for (let i = 0; i < L; i++) { const c = Math.fround(X[o + i]! - mean); q += Math.fround(c * c); }
      const sd = Math.fround(Math.sqrt(Math.fround(Math.fround(q / L) + e)));
      for (let i = 0; i < L; i++) {
        const y = Math.fround(Math.fround(X[o + i]! - mean) / sd);
        out[o + i] = Math.fround(y * G[i]!) + B[i]!;
      }
    }
    return new Tensor(out, x!.shape, x!.dtype);
  },
  backward: (dy, [x, gamma], _y, { axis, eps }) => {
    const axes = Array.from({ length: x!.ndim - axis }, (_, i) => axis + i);
    const rowAxes = Array.from({ length: axis }, (_, i) => i);
    const mean = (t: Tensor): Tensor => apply('ReduceMean', [t], { axes, keepDims: true });
    const xc = apply('Sub', [x!, mean(x!)]);
    const sd = apply('Sqrt', [apply('Add', [mean(apply('Mul', [xc, xc])), Tensor.scalar(eps, x!.dtype)])]);
    const xhat = apply('Div', [xc, sd]);
    const g = apply('Mul', [dy, gamma!]);
    const inner = apply('Sub', [apply('Sub', [g, mean(g)]), apply('Mul', [xhat, mean(apply('Mul', [g, xhat]))])]);
    const sumRows = (t: Tensor): Tensor => (rowAxes.length ? apply('ReduceSum', [t], { axes: rowAxes, keepDims: false }) : t);
    return [apply('Div', [inner, sd]), sumRows(apply('Mul', [dy, xhat])), sumRows(dy)];
  },
});

export const normOps = [BatchNormInference, LayerNorm];
