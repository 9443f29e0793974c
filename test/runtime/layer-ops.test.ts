/**
 * The primitives of src/runtime/ops/layers.ts: forward values against direct loops written from the definitions,
 * gradients against central differences (test/helpers/gradcheck.ts), and the error paths.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { Rng } from '../../src/runtime/random.js';
import { getOp, registeredOps } from '../../src/runtime/ops/index.js';
import { layerOps } from '../../src/runtime/ops/layers.js';
import type { Conv2DTransposeAttrs, Conv3DAttrs } from '../../src/runtime/ops/layers.js';
import * as ops from '../../src/runtime/functional.js';
import { gradcheck } from '../helpers/gradcheck.js';

const rand = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
};

const expectClose = (a: Tensor, b: Tensor, tol = 1e-5): void => {
  expect(a.shape).toEqual(b.shape);
  const bad = a.toArray().map((v, i) => [i, v, b.get(i)] as const).filter(([, v, w]) => !(Math.abs(v - w) <= tol * (1 + Math.abs(w))));
  expect(bad.slice(0, 5)).toEqual([]);
};

/** Conv3D written from its definition: out[n,o,z,y,x] = b[o] + Σ x[n, g·Cg + c, z·s − p + k·d, …] · w[o, c, k…]. */
function conv3dReference(x: Tensor, w: Tensor, b: Tensor | null, a: Conv3DAttrs): Tensor {
  const [N, C, D, H, W] = x.shape as number[] as [number, number, number, number, number];
  const [O, Cg, KD, KH, KW] = w.shape as number[] as [number, number, number, number, number];
  const out = (i: number, k: number, s: number, p0: number, p1: number, d: number): number => Math.floor((i + p0 + p1 - d * (k - 1) - 1) / s) + 1;
  const OD = out(D, KD, a.stride[0], a.padding[0], a.padding[1], a.dilation[0]);
  const OH = out(H, KH, a.stride[1], a.padding[2], a.padding[3], a.dilation[1]);
  const OW = out(W, KW, a.stride[2], a.padding[4], a.padding[5], a.dilation[2]);
  const y = Tensor.zeros([N, O, OD, OH, OW]);
  const Og = O / a.group;
  const xi = (n: number, c: number, z: number, r: number, q: number): number => (z < 0 || z >= D || r < 0 || r >= H || q < 0 || q >= W ? 0 : x.get((((n * C + c) * D + z) * H + r) * W + q));
  let idx = 0;
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let z = 0; z < OD; z++) for (let r = 0; r < OH; r++) for (let q = 0; q < OW; q++) {
    let s = b ? b.get(o) : 0;
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) for (let i = 0; i < KD; i++) for (let j = 0; j < KH; j++) for (let l = 0; l < KW; l++) {
      s += xi(n, g * Cg + c, z * a.stride[0] - a.padding[0] + i * a.dilation[0], r * a.stride[1] - a.padding[2] + j * a.dilation[1],
        q * a.stride[2] - a.padding[4] + l * a.dilation[2]) * w.get((((o * Cg + c) * KD + i) * KH + j) * KW + l);
    }
    y.data[idx++] = s;
  }
  return y;
}

/**
 * Conv2DTranspose as a direct scatter: every input pixel (ih, iw) adds x·w[ci, co, kh, kw] at
 * (ih·s − top + kh·d, iw·s − left + kw·d) of the cropped output; bias on that region; output padding stays zero.
 */
function convTransposeReference(x: Tensor, w: Tensor, b: Tensor | null, a: Conv2DTransposeAttrs): Tensor {
  const [N, Cin, H, W] = x.shape as number[] as [number, number, number, number];
  const [, Cg, KH, KW] = w.shape as number[] as [number, number, number, number];
  const Cout = Cg * a.group, Cing = Cin / a.group;
  const OH = (H - 1) * a.stride[0] + a.dilation[0] * (KH - 1) + 1 - a.padding[0] - a.padding[1];
  const OW = (W - 1) * a.stride[1] + a.dilation[1] * (KW - 1) + 1 - a.padding[2] - a.padding[3];
  const FH = OH + a.outputPadding[0], FW = OW + a.outputPadding[1];
  const y = Tensor.zeros([N, Cout, FH, FW]);
  for (let n = 0; n < N; n++) for (let ci = 0; ci < Cin; ci++) for (let ih = 0; ih < H; ih++) for (let iw = 0; iw < W; iw++) {
    const g = Math.floor(ci / Cing), xv = x.get(((n * Cin + ci) * H + ih) * W + iw);
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const oh = ih * a.stride[0] - a.padding[0] + kh * a.dilation[0], ow = iw * a.stride[1] - a.padding[2] + kw * a.dilation[1];
      if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
      y.data[((n * Cout + g * Cg + c) * FH + oh) * FW + ow] += xv * w.get(((ci * Cg + c) * KH + kh) * KW + kw);
    }
  }
  if (b) for (let n = 0; n < N; n++) for (let c = 0; c < Cout; c++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) y.data[((n * Cout + c) * FH + oh) * FW + ow] += b.get(c);
  return y;
}

describe('registration', () => {
  it('every layer op is in the registry with a backward or a noGrad reason', () => {
    for (const op of layerOps) {
      expect(registeredOps()).toContain(op.name);
      expect(Boolean(getOp(op.name).backward) || Boolean(getOp(op.name).noGrad)).toBe(true);
    }
    expect(layerOps.map(o => o.name)).toEqual(['Conv3D', 'Conv2DTranspose', 'GatherElements', 'OneHot']);
  });
});

describe('Conv3D', () => {
  const cases: [string, number[], number[], Conv3DAttrs][] = [
    ['plain', [2, 3, 4, 5, 4], [4, 3, 3, 2, 3], { stride: [1, 1, 1], padding: [0, 0, 0, 0, 0, 0], dilation: [1, 1, 1], group: 1 }],
    ['stride, uneven padding, dilation', [1, 2, 6, 5, 7], [3, 2, 2, 3, 2], { stride: [2, 1, 3], padding: [1, 0, 2, 1, 0, 1], dilation: [2, 1, 2], group: 1 }],
    ['groups', [1, 4, 3, 4, 4], [6, 2, 2, 2, 2], { stride: [1, 2, 1], padding: [1, 1, 0, 0, 1, 1], dilation: [1, 1, 1], group: 2 }],
  ];
  for (const [name, xs, ws, attrs] of cases) {
    it(`forward matches the direct sum (${name})`, () => {
      const x = rand(xs, 1), w = rand(ws, 2), b = rand([ws[0]!], 3);
      expectClose(ops.conv3d(x, w, b, attrs), conv3dReference(x, w, b, attrs));
      expectClose(ops.conv3d(x, w, null, attrs), conv3dReference(x, w, null, attrs));
    });
  }

  it('gradcheck: input, weight and bias', () => {
    const attrs: Conv3DAttrs = { stride: [2, 1, 1], padding: [1, 0, 1, 1, 0, 1], dilation: [1, 2, 1], group: 2 };
    const f = (x: Tensor, w: Tensor, b: Tensor) => ops.conv3d(x, w, b, attrs);
    expect(gradcheck(f, [rand([1, 2, 3, 4, 3], 4), rand([2, 1, 2, 2, 2], 5), rand([2], 6)])).toEqual([]);
  });

  it('errors name the shapes', () => {
    const attrs: Conv3DAttrs = { stride: [1, 1, 1], padding: [0, 0, 0, 0, 0, 0], dilation: [1, 1, 1], group: 1 };
    expect(() => ops.conv3d(rand([1, 3, 4, 4, 4], 1), rand([2, 2, 3, 3, 3], 2), null, attrs)).toThrow(/input has 3 channels but weight \[2,2,3,3,3\]/);
    expect(() => ops.conv3d(rand([1, 2, 2, 2, 2], 1), rand([2, 2, 3, 3, 3], 2), null, attrs)).toThrow(/output size .* is empty/);
    expect(() => ops.conv3d(rand([1, 2, 4, 4], 1), rand([2, 2, 3, 3], 2), null, attrs)).toThrow(/must both be 5-D/);
  });
});

describe('Conv2DTranspose', () => {
  const cases: [string, number[], number[], Conv2DTransposeAttrs][] = [
    ['stride 1, no padding', [2, 3, 4, 5], [3, 2, 3, 3], { stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], group: 1, outputPadding: [0, 0] }],
    ['stride 2, cropped, output padding', [1, 2, 3, 4], [2, 3, 3, 4], { stride: [2, 3], padding: [1, 1, 2, 0], dilation: [1, 1], group: 1, outputPadding: [1, 2] }],
    ['dilation and groups', [1, 4, 3, 3], [4, 1, 2, 3], { stride: [2, 1], padding: [0, 1, 1, 1], dilation: [2, 2], group: 2, outputPadding: [0, 0] }],
    ['kernel smaller than stride (negative bottom padding extends)', [1, 1, 2, 2], [1, 2, 1, 2], { stride: [3, 3], padding: [0, -2, 0, -1], dilation: [1, 1], group: 1, outputPadding: [0, 0] }],
  ];
  for (const [name, xs, ws, attrs] of cases) {
    it(`forward matches the direct scatter loop (${name})`, () => {
      const x = rand(xs, 7), w = rand(ws, 8), b = rand([ws[1]! * attrs.group], 9);
      expectClose(ops.conv2dTranspose(x, w, b, attrs), convTransposeReference(x, w, b, attrs));
      expectClose(ops.conv2dTranspose(x, w, null, attrs), convTransposeReference(x, w, null, attrs));
    });
  }

  it('is the adjoint of Conv3D on a depth-1 volume: <convT(x), y> = <x, conv(y)>', () => {
    const x = rand([1, 3, 3, 4], 10), w = rand([3, 2, 3, 2], 11), y = rand([1, 2, 6, 7], 12);
    const ct = ops.conv2dTranspose(x, w, null, { stride: [2, 2], padding: [1, 0, 0, 1], dilation: [1, 1], group: 1, outputPadding: [0, 0] });
    expect(ct.shape).toEqual([1, 2, 6, 7]);
    const conv = ops.conv3d(ops.reshape(y, [1, 2, 1, 6, 7]), ops.reshape(w, [3, 2, 1, 3, 2]), null,
      { stride: [1, 2, 2], padding: [0, 0, 1, 0, 0, 1], dilation: [1, 1, 1], group: 1 });
    expect(conv.shape).toEqual([1, 3, 1, 3, 4]);
    const dot = (a: Tensor, b: Tensor) => a.toArray().reduce((s, v, i) => s + v * b.get(i), 0);
    expect(dot(ct, y)).toBeCloseTo(dot(x, conv), 4);
  });

  it('gradcheck: input, weight and bias, with output padding', () => {
    const attrs: Conv2DTransposeAttrs = { stride: [2, 2], padding: [1, 0, 0, 1], dilation: [1, 1], group: 2, outputPadding: [1, 1] };
    const f = (x: Tensor, w: Tensor, b: Tensor) => ops.conv2dTranspose(x, w, b, attrs);
    expect(gradcheck(f, [rand([1, 2, 3, 2], 13), rand([2, 2, 2, 3], 14), rand([4], 15)])).toEqual([]);
  });

  it('errors name the shapes', () => {
    const attrs: Conv2DTransposeAttrs = { stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], group: 1, outputPadding: [0, 0] };
    expect(() => ops.conv2dTranspose(rand([1, 3, 4, 4], 1), rand([2, 2, 3, 3], 2), null, attrs)).toThrow(/input has 3 channels but weight \[2,2,3,3\] expects 2/);
    expect(() => ops.conv2dTranspose(rand([1, 2, 1, 1], 1), rand([2, 2, 1, 1], 2), null, { ...attrs, padding: [1, 0, 0, 0] })).toThrow(/output size 0x1 is empty/);
  });
});

describe('GatherElements', () => {
  it('picks along an axis like torch.gather (ops.gather_elements)', () => {
    const x = Tensor.from([[1, 2], [3, 4]], 'float32');
    expect(ops.gatherElements(x, 1, Tensor.from([[0, 0], [1, 0]])).tolist()).toEqual([[1, 1], [4, 3]]);
    expect(ops.gatherElements(x, 0, Tensor.from([[1, 0]])).tolist()).toEqual([[3, 2]]);
    expect(ops.gatherElements(x, -1, Tensor.from([[-1], [0]])).tolist()).toEqual([[2], [3]]);
  });

  it('gradcheck: repeated indices accumulate (scatter-add)', () => {
    const index = Tensor.from([[[0, 2], [1, 1]], [[2, 2], [0, 1]]]);
    expect(gradcheck((x: Tensor) => ops.gatherElements(x, 2, index), [rand([2, 2, 3], 16)])).toEqual([]);
    expect(gradcheck((x: Tensor) => ops.gatherElements(x, 0, Tensor.from([[1, 0, 1]])), [rand([2, 3], 17)])).toEqual([]);
  });

  it('errors name the index and the axis', () => {
    const x = Tensor.from([[1, 2], [3, 4]], 'float32');
    expect(() => ops.gatherElements(x, 1, Tensor.from([[2, 0], [0, 0]]))).toThrow(/index 2 is out of range for axis 1 of size 2/);
    expect(() => ops.gatherElements(x, 1, Tensor.from([0, 1]))).toThrow(/must have the input's rank 2/);
    expect(() => ops.gatherElements(x, 1, Tensor.from([[0.5, 1]], 'float32'))).toThrow(/index must be int32 or int64/);
  });
});

describe('OneHot', () => {
  it('encodes along the last or a given axis; out-of-range indices give an all-off row', () => {
    expect(ops.oneHot(Tensor.from([0, 2, -1]), 3).tolist()).toEqual([[1, 0, 0], [0, 0, 1], [0, 0, 0]]);
    expect(ops.oneHot(Tensor.from([1, 0]), 2, 5, -1, 0).tolist()).toEqual([[-1, 5], [5, -1]]);
    expect(ops.oneHot(Tensor.from([[1], [0]]), 2).shape).toEqual([2, 1, 2]);
  });
  it('has no gradient, and says why', () => {
    expect(getOp('OneHot').noGrad).toMatch(/integer indices/);
  });
});

describe('LayerNorm primitive', () => {
  it('computes the same bits as the composition of primitives it replaces (mean, sub, square, mean, +eps, sqrt, div, ·γ, +β)', () => {
    const rng = new Rng(11);
    const rand = (shape: number[], scale = 1, shift = 0): Tensor =>
      new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => shift + scale * (rng.next() * 2 - 1)), shape, 'float32');
    const cases: [number[], number, number][] = [[[4, 768], 1, 1e-5], [[2, 3, 7, 96], 2, 1e-6], [[1, 197, 768], 1, 1e-6], [[5, 3], 1, 1e-3], [[2, 6, 5], 1, 1e-5]];
    for (const [shape, begin, eps] of cases) {
      const x = rand(shape, 3, 0.5), norm = shape.slice(begin);
      const g = rand(norm, 1, 1), b = rand(norm, 0.5);
      const axes = Array.from({ length: shape.length - begin }, (_, i) => begin + i);
      const composed = ops.add(ops.mul(ops.standardize(x, axes, eps), g), b);
      const fused = ops.layerNormByAxis(x, g, b, begin, begin, eps);
      expect(Array.from(fused.data)).toEqual(Array.from(composed.data));
      if (begin === shape.length - 1) expect(Array.from(ops.layerNorm(x, norm, g, b, eps).data)).toEqual(Array.from(composed.data));
    }
  });
});
