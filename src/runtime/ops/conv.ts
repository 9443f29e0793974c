import { roundToFloat16 } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { jsKernels, kernels } from '../kernels/index.js';
import { im2col } from '../kernels/conv-js.js';
import { defineOp } from './registry.js';

/** Conv2D attributes in MindSpore's terms: padding is (top, bottom, left, right). */
export interface Conv2DAttrs {
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  group: number;
}

export function convOutSize(inSize: number, k: number, stride: number, padA: number, padB: number, dilation: number): number {
  return Math.floor((inSize + padA + padB - dilation * (k - 1) - 1) / stride) + 1;
}

/** NCHW convolution, weight [O, C/group, kH, kW]; optional bias [O]. im2col + GEMM, with 1×1 and depthwise fast paths. */
export const Conv2D = defineOp<Conv2DAttrs>({
  name: 'Conv2D',
  forward: ([x, w, bias], { stride: [sh, sw], padding: [pt, pb, pl, pr], dilation: [dh, dw], group }) => {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [O, Cg, KH, KW] = w!.shape as [number, number, number, number];
    if (C !== Cg * group) throw new Error(`Conv2D: input has ${C} channels but weight [${w!.shape}] with group=${group} expects ${Cg * group}`);
    if (O % group !== 0) throw new Error(`Conv2D: out_channels ${O} is not divisible by group ${group}`);
    const OH = convOutSize(H, KH, sh, pt, pb, dh), OW = convOutSize(W, KW, sw, pl, pr, dw);
    if (OH <= 0 || OW <= 0) throw new Error(`Conv2D: output size ${OH}x${OW} is empty for input ${H}x${W}`);
    const X = x!.data as Float32Array, Wt = w!.data as Float32Array, B = bias ? bias.data as Float32Array : null;
    const geom = { N, C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, group };
    const f32 = X instanceof Float32Array && Wt instanceof Float32Array && (!B || B instanceof Float32Array);
    // float16: the product is rounded to float16 before the bias is added (MindSpore 2.10's Conv2D then BiasAdd; the
    // sum is rounded again by apply) — measured, conformance `conv2d(float16, bias)`
    const half = x!.dtype === 'float16' && B;
    const out = f32 ? kernels.conv2d(geom, X, Wt, half ? null : B) : jsKernels.conv2d(geom, X, Wt, half ? null : B);
    if (half) {
      const P = OH * OW;
      for (let i = 0; i < out.length; i++) out[i] = roundToFloat16(out[i]!) + B[Math.floor(i / P) % O]!;
    }
    return new Tensor(out, [N, O, OH, OW], x!.dtype);
  },
  // dW[g] = dY[g] · colᵀ, dX = col2im(W[g]ᵀ · dY[g]), db = Σ dY over batch and space
  backward: (dy, [x, w, bias], _out, { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], group }) => {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [O, Cg, KH, KW] = w!.shape as [number, number, number, number];
    const [, , OH, OW] = dy.shape as [number, number, number, number];
    const Og = O / group, K = Cg * KH * KW, P = OH * OW;
    const X = x!.data as Float32Array, Wt = w!.data as Float32Array, DY = dy.data as Float32Array;
    const dX = new Float32Array(x!.size), dW = new Float32Array(w!.size);
    const col = new Float32Array(K * P), dcol = new Float32Array(K * P), wT = new Float32Array(K * Og), dWg = new Float32Array(Og * K);
    for (let g = 0; g < group; g++) {
      // Wᵀ of this group, [K × Og]
      for (let o = 0; o < Og; o++) for (let k = 0; k < K; k++) wT[k * Og + o] = Wt[(g * Og + o) * K + k]!;
      for (let n = 0; n < N; n++) {
        const xOff = (n * C + g * Cg) * H * W, dyOff = (n * O + g * Og) * P;
        im2col(X, xOff, Cg, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, col);
        kernels.gemmNT(Og, K, P, DY, dyOff, col, 0, dWg, 0);
        for (let i = 0; i < Og * K; i++) dW[g * Og * K + i] += dWg[i]!;
        kernels.gemm(K, P, Og, wT, 0, Og, DY, dyOff, P, dcol, 0, P, false);
        col2im(dcol, Cg, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, dX, xOff);
      }
    }
    const grads: (Tensor | null)[] = [new Tensor(dX, x!.shape, x!.dtype), new Tensor(dW, w!.shape, w!.dtype)];
    if (bias) {
      const dB = new Float32Array(O);
      for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) { let s = 0; const off = (n * O + o) * P; for (let p = 0; p < P; p++) s += DY[off + p]!; dB[o] += s; }
      grads.push(new Tensor(dB, bias.shape, bias.dtype));
    }
    return grads;
  },
});

/** Scatter-add columns back to the image: the adjoint of im2col. */
function col2im(dcol: Float32Array, C: number, H: number, W: number, KH: number, KW: number,
  sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, OH: number, OW: number, dX: Float32Array, xOff: number): void {
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const cOff = xOff + c * H * W;
    for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++, row++) {
      for (let oh = 0; oh < OH; oh++) {
        const ih = oh * sh - pt + i * dh;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const iw = ow * sw - pl + j * dw;
          if (iw >= 0 && iw < W) dX[cOff + ih * W + iw] += dcol[row * P + oh * OW + ow]!;
        }
      }
    }
  }
}

export const convOps = [Conv2D];
