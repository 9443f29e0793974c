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
    const X = x!.data as Float32Array, out = new Float32Array(x!.size);
    const G = gamma!.data as Float32Array, B = beta!.data as Float32Array, M = mean!.data as Float32Array, V = variance!.data as Float32Array;
    for (let c = 0; c < C; c++) {
      const scale = G[c]! / Math.sqrt(V[c]! + eps);
      const shift = B[c]! - M[c]! * scale;
      for (let n = 0; n < N; n++) {
        const off = (n * C + c) * S;
        for (let i = 0; i < S; i++) out[off + i] = X[off + i]! * scale + shift;
      }
    }
    return new Tensor(out, x!.shape, x!.dtype);
  },
  noGrad: 'inference form; the training form with batch statistics lands with issue 4',
});

export const normOps = [BatchNormInference];
