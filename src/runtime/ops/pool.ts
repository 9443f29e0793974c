import { Tensor } from '../tensor.js';
import { defineOp } from './registry.js';
import { jsKernels, kernels } from '../kernels/index.js';

export interface Pool2DAttrs {
  kernel: [number, number];
  stride: [number, number];
  /** (top, bottom, left, right) */
  padding: [number, number, number, number];
  dilation: [number, number];
  ceilMode: boolean;
  /** AvgPool only */
  countIncludePad?: boolean;
}

/** Output length of a pooling window sweep, PyTorch rule: with ceil_mode the last window must start inside input + left pad. */
export function poolOutSize(n: number, k: number, s: number, padA: number, padB: number, d: number, ceil: boolean): number {
  const span = n + padA + padB - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= n + padA) out--;
  return out;
}

function pool2d(x: Tensor, a: Pool2DAttrs, kind: 'max' | 'avg'): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = a.kernel, [sh, sw] = a.stride, [pt, pb, pl, pr] = a.padding, [dh, dw] = a.dilation;
  const OH = poolOutSize(H, KH, sh, pt, pb, dh, a.ceilMode), OW = poolOutSize(W, KW, sw, pl, pr, dw, a.ceilMode);
  if (OH <= 0 || OW <= 0) throw new Error(`Pool2D: output size ${OH}x${OW} is empty for input ${H}x${W}`);
  const X = x.data as Float32Array;
  if (kind === 'max') {
    const geom = { planes: N * C, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW };
    return new Tensor(X instanceof Float32Array ? kernels.maxPool2d(geom, X) : jsKernels.maxPool2d(geom, X), [N, C, OH, OW], x.dtype);
  }
  const out = new Float32Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) {
    const xo = nc * H * W, oo = nc * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - pt;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sw - pl;
        // window clipped to the padded extent gives the count_include_pad divisor; clipped to the input, the other
        const hEnd = Math.min(h0 + KH, H + pb), wEnd = Math.min(w0 + KW, W + pr);
        const padCount = (hEnd - h0) * (wEnd - w0);
        const hs = Math.max(h0, 0), ws = Math.max(w0, 0), he = Math.min(hEnd, H), we = Math.min(wEnd, W);
        let s = 0;
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) s += X[xo + ih * W + iw]!;
        const div = a.countIncludePad ? padCount : (he - hs) * (we - ws);
        out[oo + oh * OW + ow] = s / div;
      }
    }
  }
  return new Tensor(out, [N, C, OH, OW], x.dtype);
}

/** Adjoint of pool2d: max routes each output gradient to the first maximum of its window; avg spreads it over the window. */
function pool2dBackward(dy: Tensor, x: Tensor, a: Pool2DAttrs, kind: 'max' | 'avg'): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = a.kernel, [sh, sw] = a.stride, [pt, pb, pl, pr] = a.padding, [dh, dw] = a.dilation;
  const [, , OH, OW] = dy.shape as [number, number, number, number];
  const X = x.data as Float32Array, DY = dy.data as Float32Array, dX = new Float32Array(x.size);
  for (let nc = 0; nc < N * C; nc++) {
    const xo = nc * H * W, oo = nc * OH * OW;
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const g = DY[oo + oh * OW + ow]!;
      const h0 = oh * sh - pt, w0 = ow * sw - pl;
      if (kind === 'max') {
        let m = -Infinity, at = -1;
        for (let i = 0; i < KH; i++) {
          const ih = h0 + i * dh;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < KW; j++) {
            const iw = w0 + j * dw;
            if (iw < 0 || iw >= W) continue;
            const v = X[xo + ih * W + iw]!;
            if (v > m || (at < 0 && v === v)) { m = v; at = xo + ih * W + iw; } // NaN skipped, as in the forward
          }
        }
        if (at >= 0) dX[at] += g;
      } else {
        const hEnd = Math.min(h0 + KH, H + pb), wEnd = Math.min(w0 + KW, W + pr);
        const hs = Math.max(h0, 0), ws = Math.max(w0, 0), he = Math.min(hEnd, H), we = Math.min(wEnd, W);
        const div = a.countIncludePad ? (hEnd - h0) * (wEnd - w0) : (he - hs) * (we - ws);
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) dX[xo + ih * W + iw] += g / div;
      }
    }
  }
  return new Tensor(dX, x.shape, x.dtype);
}

export const MaxPool2D = defineOp<Pool2DAttrs>({
  name: 'MaxPool2D',
  forward: ([x], a) => pool2d(x!, a, 'max'),
  backward: (dy, [x], _y, a) => [pool2dBackward(dy, x!, a, 'max')],
});

export const AvgPool2D = defineOp<Pool2DAttrs>({
  name: 'AvgPool2D',
  forward: ([x], a) => pool2d(x!, a, 'avg'),
  backward: (dy, [x], _y, a) => [pool2dBackward(dy, x!, a, 'avg')],
});

/** MindSpore AdaptiveAvgPool2d / AdaptiveMaxPool2d: window i spans [floor(i*H/OH), ceil((i+1)*H/OH)). */
export const AdaptivePool2D = defineOp<{ outputSize: [number, number]; mode: 'max' | 'avg' }>({
  name: 'AdaptivePool2D',
  forward: ([x], { outputSize: [OH, OW], mode }) => {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const X = x!.data as Float32Array;
    const out = new Float32Array(N * C * OH * OW);
    if (OH === 1 && OW === 1 && mode === 'avg') {
      // global average pooling: the same row-major sum, without the per-element mode test
      const HW = H * W;
      for (let nc = 0; nc < N * C; nc++) {
        let acc = 0;
        for (let i = nc * HW, e = i + HW; i < e; i++) acc += X[i]!;
        out[nc] = acc / HW;
      }
      return new Tensor(out, [N, C, 1, 1], x!.dtype);
    }
    for (let nc = 0; nc < N * C; nc++) {
      for (let oh = 0; oh < OH; oh++) {
        const hs = Math.floor((oh * H) / OH), he = Math.ceil(((oh + 1) * H) / OH);
        for (let ow = 0; ow < OW; ow++) {
          const ws = Math.floor((ow * W) / OW), we = Math.ceil(((ow + 1) * W) / OW);
          let acc = mode === 'max' ? -Infinity : 0;
          for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) {
            const v = X[nc * H * W + h * W + w]!;
            // MindSpore 2.10's AdaptiveMaxPool2d propagates a NaN (its MaxPool2d skips it; conformance: *(edge))
            if (mode === 'avg') acc += v;
            else if (acc === acc && (v > acc || v !== v)) acc = v; // the first NaN sticks
          }
          out[nc * OH * OW + oh * OW + ow] = mode === 'max' ? acc : acc / ((he - hs) * (we - ws));
        }
      }
    }
    return new Tensor(out, [N, C, OH, OW], x!.dtype);
  },
  backward: (dy, [x], _y, { outputSize: [OH, OW], mode }) => {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const X = x!.data as Float32Array, DY = dy.data as Float32Array, dX = new Float32Array(x!.size);
    for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < OH; oh++) {
      const hs = Math.floor((oh * H) / OH), he = Math.ceil(((oh + 1) * H) / OH);
      for (let ow = 0; ow < OW; ow++) {
        const ws = Math.floor((ow * W) / OW), we = Math.ceil(((ow + 1) * W) / OW);
        const g = DY[nc * OH * OW + oh * OW + ow]!;
        if (mode === 'avg') {
          const share = g / ((he - hs) * (we - ws));
          for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) dX[nc * H * W + h * W + w] += share;
        } else {
          let m = -Infinity, at = -1;
          // the element the forward kept: the largest, or the first NaN
          for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) { const v = X[nc * H * W + h * W + w]!; if (m === m && (v > m || v !== v || at < 0)) { m = v; at = nc * H * W + h * W + w; } }
          dX[at] += g;
        }
      }
    }
    return [new Tensor(dX, x!.shape, x!.dtype)];
  },
});

export const poolOps = [MaxPool2D, AvgPool2D, AdaptivePool2D];
