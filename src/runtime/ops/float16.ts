/**
 * MindSpore 2.10's CPU float16 kernels where the float16 result is not the float32 result rounded once: they compute
 * in float16 steps, each step rounded to binary16 (measured against MindSpore 2.10: every finite float16 value for
 * the elementwise ones, rows of 16 and 256 for Softmax — conformance `float16 kernels`). A half-precision network
 * ported to MindSpore computes these; PyTorch (and onnxruntime) compute them in float32 and round once.
 *
 * What the steps do that a single rounding does not: e = exp(−x) overflows float16 for x < −11.09, so Sigmoid is 0
 * and SiLU is −0 there (PyTorch: down to −1.7e−4); elsewhere they differ by at most 2.4 units of float16 roundoff.
 */
import { roundToFloat16 as r } from '../dtype.js';

/** Sigmoid: e = exp(−x) (float32 exp, rounded), then 1/(1 + e), each step rounded. */
export function sigmoid16(v: number): number {
  return r(1 / r(1 + r(Math.fround(Math.exp(-v)))));
}

/** SiLU: x · sigmoid16(x), rounded (MindSpore's float16 SiLU is x times its float16 Sigmoid). */
export function silu16(v: number): number {
  return r(v * sigmoid16(v));
}

/**
 * Softmax of `L` values at X[base + k·stride] into O: d = x − max (rounded), e = exp(d) (float32 exp, rounded), the sum
 * of the e's in float32 (rounded), then e / sum (rounded).
 */
export function softmax16(X: Float32Array, O: Float32Array, base: number, L: number, stride: number): void {
  let m = -Infinity;
  for (let k = 0; k < L; k++) m = Math.max(m, X[base + k * stride]!);
  let sum = 0;
  for (let k = 0; k < L; k++) {
    const e = r(Math.fround(Math.exp(r(X[base + k * stride]! - m))));
    O[base + k * stride] = e;
    sum = Math.fround(sum + e);
  }
  const s = r(sum);
  for (let k = 0; k < L; k++) O[base + k * stride] = r(O[base + k * stride]! / s);
}
