/** Plain-JS pooling kernels. */

/** Pooling windows over `planes` H×W planes (NCHW with N·C planes); padding (top, left); output OH×OW. */
export interface Pool2DGeometry {
  planes: number; H: number; W: number; KH: number; KW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; OH: number; OW: number;
}

/**
 * Max pooling of `planes` H×W planes: the window's in-bounds elements in (row, column) order, starting from −∞,
 * taking v when v > m, so a NaN is skipped, as MindSpore 2.10's MaxPool2d does (conformance: MaxPool2d(edge); PyTorch
 * and onnxruntime propagate it). Column bounds are precomputed per output column.
 */
export function maxPool2dJs(g: Pool2DGeometry, X: Float32Array): Float32Array {
  const { planes, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW } = g;
  const out = new Float32Array(planes * OH * OW);
  // for output column ow: the first and one-past-last kernel column j whose input column is inside [0, W)
  const j0 = new Int32Array(OW), j1 = new Int32Array(OW);
  for (let ow = 0; ow < OW; ow++) {
    const w0 = ow * sw - pl;
    let a = 0, b = KW;
    while (a < KW && w0 + a * dw < 0) a++;
    while (b > a && w0 + (b - 1) * dw >= W) b--;
    j0[ow] = a; j1[ow] = b;
  }
  for (let nc = 0; nc < planes; nc++) {
    const xo = nc * H * W, oo = nc * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - pt;
      let i0 = 0, i1 = KH;
      while (i0 < KH && h0 + i0 * dh < 0) i0++;
      while (i1 > i0 && h0 + (i1 - 1) * dh >= H) i1--;
      const orow = oo + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sw - pl, a = j0[ow]!, b = j1[ow]!;
        let m = -Infinity;
        for (let i = i0; i < i1; i++) {
          const r = xo + (h0 + i * dh) * W + w0;
          for (let j = a; j < b; j++) {
            const v = X[r + j * dw]!;
            if (v > m) m = v;
          }
        }
        out[orow + ow] = m;
      }
    }
  }
  return out;
}
