/**
 * The float-noise floor (src/compare/noise.ts) against an exact float64 recomputation, and its use in --layers:
 * accumulated rounding is labelled noise, a real perturbation is named.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { modelFromBytes } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { compareLayers } from '../../src/compare/layers.js';
import { noiseFloor } from '../../src/compare/noise.js';
import * as nn from '../../src/runtime/nn/index.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { randn } from '../helpers/parity.js';
import { jsKernels, useKernels } from '../../src/runtime/kernels/index.js';
import { roundToFloat16 } from '../../src/runtime/dtype.js';
import * as F from '../../src/runtime/functional.js';

/**
 * The floor describes what a float32 engine may compute, so it is checked on a float32 computation — every product
 * and partial sum rounded to float32 in sequence (Math.fround), the least favourable common order — against the
 * exact float64 value. Returns the worst element's share of its floor.
 */
function tightness(step: Parameters<typeof noiseFloor>[0], inputs: Tensor[], f32: Float64Array, exact: Float64Array): number {
  const out = step.run(inputs)[0]!;
  const floor = noiseFloor(step, inputs, out)!;
  let worst = 0;
  for (let i = 0; i < out.size; i++) worst = Math.max(worst, Math.abs(f32[i]! - exact[i]!) / floor[i]!);
  return worst;
}

/** y = x·Wᵀ + b in float64 (exact enough) or with float32 rounding after every operation */
function dense(x: Tensor, w: Tensor, b: Tensor, round: (v: number) => number): Float64Array {
  const [M, K] = x.shape as [number, number], N = w.shape[0]!;
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s = round(s + round(x.get(i * K + k) * w.get(j * K + k)));
    out[i * N + j] = round(s + b.get(j));
  }
  return out;
}

function conv(x: Tensor, w: Tensor, pad: number, round: (v: number) => number): Float64Array {
  const [N, C, H, W] = x.shape as number[] as [number, number, number, number];
  const [O, , KH, KW] = w.shape as number[] as [number, number, number, number];
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let s = 0;
    for (let c = 0; c < C; c++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
      const ih = oh + i - pad, iw = ow + j - pad;
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) s = round(s + round(x.get(((n * C + c) * H + ih) * W + iw) * w.get(((o * C + c) * KH + i) * KW + j)));
    }
    out[((n * O + o) * OH + oh) * OW + ow] = s;
  }
  return out;
}

const stepFor = (cell: nn.Cell, msApi: string) => ({ node: { name: 'n', opType: 'x', domain: '', inputs: [], outputs: [], attrs: new Map() }, scope: '', cellName: 'c', cell, torchApi: null, msApi, inputs: ['x'], outputs: ['y'], run: (xs: (Tensor | undefined)[]) => [cell.forward(xs[0]!)] });

const exact = (v: number): number => v;

describe('noise floor vs float64', () => {
  // every element's float32 error lies under its floor, and the worst element uses at least 1/(2√K) of it: the floor
  // charges √K·u per unit of Σ|ab| (safe under cancellation), while random-sign partial sums only reach ~√k·rms, so
  // the model's looseness grows like √K — stated here rather than hidden in a constant
  const looseness = (K: number): number => 2 * Math.sqrt(K);
  for (const K of [16, 256, 2048]) {
    it(`Dense with K=${K}`, () => {
      const d = new nn.Dense(K, 32);
      const x = randn([8, K], K);
      const worst = tightness(stepFor(d, 'mindspore.nn.Dense'), [x], dense(x, d.weight, d.bias!, Math.fround), dense(x, d.weight, d.bias!, exact));
      expect(worst).toBeLessThanOrEqual(1);
      expect(worst).toBeGreaterThan(1 / looseness(K));
    });
  }
  for (const C of [4, 64]) {
    it(`Conv2d 3x3 with ${C} input channels`, () => {
      const c = new nn.Conv2d(C, 8, 3, { padMode: 'pad', padding: 1 });
      const x = randn([1, C, 10, 10], C);
      const worst = tightness(stepFor(c, 'mindspore.nn.Conv2d'), [x], conv(x, c.weight, 1, Math.fround), conv(x, c.weight, 1, exact));
      expect(worst).toBeLessThanOrEqual(1);
      expect(worst).toBeGreaterThan(1 / looseness(9 * C));
    });
  }
});

function deepStack(depth: number, width: number): { bytes: Uint8Array; x: Tensor } {
  const nodes = [], initializers: Record<string, Tensor> = {};
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? 'y' : `h${i}`;
    nodes.push({ op: 'Gemm', name: `/fc${i}/Gemm`, inputs: [prev, `fc${i}.weight`, `fc${i}.bias`], outputs: [out], attrs: { transB: 1 } });
    // orthogonal-ish scaling keeps activations O(1) through the stack
    initializers[`fc${i}.weight`] = randn([width, width], 100 + i, 1 / Math.sqrt(width));
    initializers[`fc${i}.bias`] = randn([width], 200 + i, 0.1);
    prev = out;
  }
  return { bytes: buildModel({ nodes, inputs: [{ name: 'x', dims: [4, width] }], outputs: [{ name: 'y' }], initializers }), x: randn([4, width], 7) };
}

describe('--layers with the noise floor', () => {
  // a gate of atol=1e-7, rtol=0 is tighter than float32 rounding of a 256-long dot product, so every layer "fails"
  const tight = { atol: 1e-7, rtol: 0 };

  it('pure accumulation through a deep float32 stack is labelled noise, never a divergence', async () => {
    const { bytes, x } = deepStack(24, 256);
    const model = modelFromBytes(bytes);
    const { network } = importModel(model);
    // msport's fused multiply-add GEMM sums these products in onnxruntime's order and rounding (bit for bit here),
    // so the products are summed another way for this test: the JS dot product, four float64 partial sums
    const restore = useKernels({ gemmOut: () => null, gemmNT: jsKernels.gemmNT });
    let rep: Awaited<ReturnType<typeof compareLayers>>;
    try {
      rep = await compareLayers(model, network, new Map([['x', x]]), tight);
    } finally {
      restore();
    }
    const leaves = rep.layers.filter(l => l.kind === 'cell');
    expect(leaves.some(l => !l.passed)).toBe(true);
    expect(leaves.every(l => !l.introducesError)).toBe(true);
    expect(leaves.filter(l => !l.local!.passed).every(l => l.withinNoise)).toBe(true);
    expect(rep.firstDivergence).toBeNull();
    expect(rep.firstDivergenceCause).toBe('accumulated');
  });

  it('a real 1e-3 perturbation of one layer is named as the divergence', async () => {
    const { bytes, x } = deepStack(24, 256);
    const model = modelFromBytes(bytes);
    const { network } = importModel(model);
    const fc = new Map(network.cellsAndNames()).get('fc13') as nn.Dense;
    fc.bias!.data = Float32Array.from(fc.bias!.data as Float32Array, (v, i) => (i === 5 ? v + 1e-3 : v));
    const rep = await compareLayers(model, network, new Map([['x', x]]), tight);
    expect(rep.firstDivergence).toBe('fc13');
    expect(rep.firstDivergenceCause).toBe('introduced');
    const l = rep.layers.find(e => e.name === 'fc13')!;
    expect(l.noiseRatio!).toBeGreaterThan(10);
  });
});

describe('noise floor of a float16 network (onnxruntime computes elementwise chains in float32, MindSpore rounds each op)', () => {
  const r16 = roundToFloat16;
  const f16 = (xs: ArrayLike<number>): Tensor => new Tensor(Float32Array.from(xs), [xs.length], 'float16');
  const binaryStep = (msApi: string, f: (a: Tensor, b: Tensor) => Tensor) => ({ ...stepFor(new nn.Identity(), msApi), cell: null, inputs: ['a', 'b'], run: (xs: (Tensor | undefined)[]) => [f(xs[0]!, xs[1]!)] }) as unknown as Parameters<typeof noiseFloor>[0];

  it("covers a product whose input onnxruntime kept unrounded (SiLU · up, the SiLU's tail subnormal in float16)", () => {
    // s = SiLU(g) in float32 for g in [−17, −9] (|s| from 1e−6 down to 7e−7·…): float16 holds it as a subnormal, so its
    // roundoff is absolute, 2⁻²⁵, not relative; up in ±16 scales it past 8·U16·max(|y|, 2⁻¹⁴) alone
    const n = 4096, g = Array.from({ length: n }, (_, i) => -17 + (8 * i) / n), up = Array.from({ length: n }, (_, i) => 16 * Math.sin(i * 1.7));
    const s32 = g.map(v => Math.fround(v / (1 + Math.exp(-v))));
    const ref = s32.map((s, i) => r16(Math.fround(s * up[i]!))); // onnxruntime: the chain in float32, rounded once
    const step = binaryStep('mindspore.ops.mul', (a, b) => F.mul(a, b));
    const inputs = [f16(s32.map(r16)), f16(up.map(r16))]; // the float16 values the reference exposes
    const ms = step.run(inputs)[0]!.data as Float32Array; // MindSpore: a float16 op on float16 values
    const floor = noiseFloor(step, inputs, f16(ref))!;
    let worst = 0, beyondRelative = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(ms[i]! - ref[i]!);
      worst = Math.max(worst, d / floor[i]!);
      if (d > 8 * 2 ** -11 * Math.max(Math.abs(ref[i]!), 2 ** -14)) beyondRelative++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(beyondRelative).toBeGreaterThan(0); // the term is needed: these elements would read as a divergence without it
  });
});
