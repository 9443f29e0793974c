/**
 * Resize (ONNX Resize / Upsample, MindSpore ops.interpolate): nearest and (bi)linear over the trailing spatial axes,
 * with the coordinate transformations the exporters write. Each output coordinate maps back to an input coordinate
 * x_in = f(x_out, scale, in, out); nearest rounds it, linear interpolates between its two neighbours per axis.
 */
import { Tensor, shapeSize } from '../tensor.js';
import { defineOp } from './registry.js';

export type CoordMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface ResizeAttrs {
  mode: 'nearest' | 'linear';
  coord: CoordMode;
  nearest: NearestMode;
  /** output size of every axis */
  sizes: number[];
  /** scale per axis (output / input) as given, used by the coordinate transform */
  scales: number[];
}

function sourceCoord(xOut: number, scale: number, lenIn: number, lenOut: number, mode: CoordMode): number {
  switch (mode) {
    case 'half_pixel': return (xOut + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return lenOut > 1 ? (xOut + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return lenOut === 1 ? 0 : (xOut * (lenIn - 1)) / (lenOut - 1);
    case 'asymmetric': return xOut / scale;
    case 'tf_half_pixel_for_nn': return (xOut + 0.5) / scale;
  }
}

function roundNearest(x: number, mode: NearestMode): number {
  switch (mode) {
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round_prefer_floor': return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil': return Math.round(x);
  }
}

/** Per axis: for each output index, the input indices and weights that form it. */
function axisTaps(lenIn: number, lenOut: number, scale: number, a: ResizeAttrs): { idx: Int32Array; w: Float64Array; taps: number } {
  const taps = lenIn === lenOut && scale === 1 ? 1 : a.mode === 'nearest' ? 1 : 2;
  const idx = new Int32Array(lenOut * taps), w = new Float64Array(lenOut * taps);
  for (let o = 0; o < lenOut; o++) {
    if (taps === 1 && a.mode !== 'nearest') { idx[o] = o; w[o] = 1; continue; }
    const x = sourceCoord(o, scale, lenIn, lenOut, a.coord);
    if (a.mode === 'nearest') {
      idx[o] = Math.min(Math.max(roundNearest(x, a.nearest), 0), lenIn - 1);
      w[o] = 1;
    } else {
      const xc = Math.min(Math.max(x, 0), lenIn - 1);
      const x0 = Math.floor(xc), x1 = Math.min(x0 + 1, lenIn - 1), f = xc - x0;
      idx[2 * o] = x0; w[2 * o] = 1 - f; idx[2 * o + 1] = x1; w[2 * o + 1] = f;
    }
  }
  return { idx, w, taps };
}

/**
 * One axis of the separable resize over data of `shape`: each output position j gathers its taps from the input
 * (forward), or, transposed, scatters its value back onto them with the same weights (backward).
 */
function tapAxis(src: Float32Array, shape: readonly number[], ax: number, lenIn: number, lenOut: number, a: ResizeAttrs, transpose: boolean): Float32Array {
  const { idx, w, taps } = axisTaps(lenIn, lenOut, a.scales[ax]!, a);
  const outer = shapeSize(shape.slice(0, ax)), inner = shapeSize(shape.slice(ax + 1));
  const next = new Float32Array(outer * (transpose ? lenIn : lenOut) * inner);
  for (let o = 0; o < outer; o++) for (let j = 0; j < lenOut; j++) {
    const atOut = (o * lenOut + j) * inner;
    for (let t = 0; t < taps; t++) {
      const wt = w[j * taps + t]!;
      if (wt === 0) continue;
      const atIn = (o * lenIn + idx[j * taps + t]!) * inner;
      const from = transpose ? atOut : atIn, to = transpose ? atIn : atOut;
      for (let i = 0; i < inner; i++) next[to + i] += wt * src[from + i]!;
    }
  }
  return next;
}

const untouched = (ax: number, lenIn: number, a: ResizeAttrs): boolean => lenIn === a.sizes[ax] && a.scales[ax] === 1;

/** Separable resize: one axis at a time (each a gather of taps), so any rank works. */
function resize(x: Tensor, a: ResizeAttrs): Tensor {
  let cur = x.data as Float32Array;
  const shape = [...x.shape];
  for (let ax = 0; ax < shape.length; ax++) {
    if (untouched(ax, shape[ax]!, a)) continue;
    cur = tapAxis(cur, shape, ax, shape[ax]!, a.sizes[ax]!, a, false);
    shape[ax] = a.sizes[ax]!;
  }
  return new Tensor(cur === x.data ? (x.data as Float32Array).slice() : cur, shape, x.dtype);
}

/**
 * The transpose of `resize`: axes in reverse order, each output position's gradient scattered back onto the input
 * taps that formed it, with the same weights (nearest: one tap of weight 1; linear: two). Axis ax still has its input
 * length when the forward pass reaches it, so inShape[ax] is that axis's lenIn.
 */
function resizeBackward(dy: Tensor, inShape: readonly number[], a: ResizeAttrs): Tensor {
  let cur: Float32Array = Float32Array.from(dy.data as Float32Array);
  const shape = [...dy.shape];
  for (let ax = shape.length - 1; ax >= 0; ax--) {
    if (untouched(ax, inShape[ax]!, a)) continue;
    cur = tapAxis(cur, shape, ax, inShape[ax]!, a.sizes[ax]!, a, true);
    shape[ax] = inShape[ax]!;
  }
  return new Tensor(cur, inShape, dy.dtype);
}

export const Resize = defineOp<ResizeAttrs>({
  name: 'Resize',
  forward: ([x], a) => resize(x!, a),
  backward: (dy, [x], _y, a) => [resizeBackward(dy, x!.shape, a)],
});

export const resizeOps = [Resize];
