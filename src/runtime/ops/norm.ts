import { kernels } from '../kernels/index.js';
import { Tensor } from '../tensor.js';
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

export const normOps = [BatchNormInference];
