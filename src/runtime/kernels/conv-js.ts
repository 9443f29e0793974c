/** Plain-JS forward convolution: im2col + GEMM, with 1×1 (no im2col) and depthwise (direct) fast paths. */
import type { Conv2DGeometry } from './wasm.js';
import { gemmJs } from './gemm-js.js';

export function conv2dJs(p: Conv2DGeometry, X: Float32Array, Wt: Float32Array, bias: Float32Array | null): Float32Array {
  const { N, C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, group } = p;
  const Cg = C / group, Og = O / group, K = Cg * KH * KW, P = OH * OW;
  const out = new Float32Array(N * O * P);
  const direct1x1 = KH === 1 && KW === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && OH === H && OW === W;
  const depthwise = Cg === 1 && Og === 1;
  const col = direct1x1 || depthwise ? null : new Float32Array(K * P);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < group; g++) {
      const xOff = (n * C + g * Cg) * H * W;
      const oOff = (n * O + g * Og) * P;
      if (depthwise) { depthwiseChannel(X, xOff, H, W, Wt, g * KH * KW, KH, KW, sh, sw, pt, pl, dh, dw, out, oOff, OH, OW); continue; }
      if (direct1x1) { gemmJs(Og, P, K, Wt, g * Og * K, K, X, xOff, P, out, oOff, P, false); continue; }
      im2col(X, xOff, Cg, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, col!);
      gemmJs(Og, P, K, Wt, g * Og * K, K, col!, 0, P, out, oOff, P, false);
    }
  }
  if (bias) {
    for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
      const b = bias[o]!, off = (n * O + o) * P;
      for (let q = 0; q < P; q++) out[off + q] += b;
    }
  }
  return out;
}

export function im2col(X: Float32Array, xOff: number, C: number, H: number, W: number, KH: number, KW: number,
  sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, OH: number, OW: number, col: Float32Array): void {
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const cOff = xOff + c * H * W;
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++, row++) {
        const rOff = row * P;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - pt + i * dh;
          const dst = rOff + oh * OW;
          if (ih < 0 || ih >= H) { col.fill(0, dst, dst + OW); continue; }
          const src = cOff + ih * W - pl + j * dw;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * sw - pl + j * dw;
            col[dst + ow] = iw >= 0 && iw < W ? X[src + ow * sw]! : 0;
          }
        }
      }
    }
  }
}

function depthwiseChannel(X: Float32Array, xOff: number, H: number, W: number, Wt: Float32Array, wOff: number, KH: number, KW: number,
  sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, out: Float32Array, oOff: number, OH: number, OW: number): void {
  for (let oh = 0; oh < OH; oh++) {
    const o = oOff + oh * OW;
    for (let i = 0; i < KH; i++) {
      const ih = oh * sh - pt + i * dh;
      if (ih < 0 || ih >= H) continue;
      const rowOff = xOff + ih * W;
      for (let j = 0; j < KW; j++) {
        const wv = Wt[wOff + i * KW + j]!;
        const shift = j * dw - pl;
        // valid ow range: 0 <= ow*sw + shift < W
        const owStart = Math.max(0, Math.ceil(-shift / sw));
        const owEnd = Math.min(OW, Math.floor((W - 1 - shift) / sw) + 1);
        for (let ow = owStart; ow < owEnd; ow++) out[o + ow] += wv * X[rowOff + ow * sw + shift]!;
      }
    }
  }
}
