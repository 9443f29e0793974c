/**
 * A float-noise floor for each layer: how far two correct float32 implementations of the same layer may differ on
 * the same inputs, from the layer's reduction length and the magnitudes it actually saw.
 *
 * Model (u = 2⁻²⁴, the float32 unit roundoff):
 * - dot-product layers (Conv, Dense, MatMul, Gemm) with reduction length K: each output is a sum of K products; with
 *   rounding errors of random sign, the sum's error is about √K·u·Σ|aᵢbᵢ| (the deterministic bound is K·u·Σ|aᵢbᵢ|).
 *   Σ|aᵢbᵢ| is computed by running the layer on |inputs| and |weights|. Two engines summing in different orders
 *   differ by up to twice that, so floor = 2·√K·u·Σ|aᵢbᵢ| + 8u·|y|.
 * - averaging reductions over n elements (AvgPool, ReduceMean): floor = 2·√n·u·mean|x| + 8u·|y|.
 * - elementwise and transcendental ops: a few ulps of the result, floor = 8u·|y| (libm exp/erf/tanh differ by ≲ 4 ulp).
 * - a float16 result (a half-precision model): u is float16's, 2⁻¹¹, in every term, and |y| is at least 2⁻¹⁴ (float16's
 *   subnormals are 2⁻²⁴ apart) — the result is rounded to float16, an engine may accumulate a float16 product in
 *   float16 blocks (onnxruntime's CPU MatMul does), and onnxruntime computes elementwise chains in float32 where
 *   MindSpore rounds after every op (a sum's and a product's inputs then differ too: |a| + |b| terms).
 * - BatchNorm (y = x·s + t, with s = γ/√(v+ε) and t = β − μ·s folded per channel, as onnxruntime and msport do):
 *   floor = 8u·(|y| + |x·s| + |μ·s| + |β|). The shift t is rounded once at magnitude |β| + |μ·s|, which is not small
 *   where y is (an input of zeros after a ReLU gives y = t, often a near-cancellation of β and μ·s).
 * - data movement, ReLU, max-pooling: exact, floor 0.
 * A layer whose difference on reference inputs stays within NOISE_FACTOR × floor is float noise, not divergence.
 */
import { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import { Parameter } from '../runtime/parameter.js';
import * as F from '../runtime/functional.js';
import type { Step } from '../onnx/network.js';

export const U = 2 ** -24;
/** float16's unit roundoff */
export const U16 = 2 ** -11;
export const NOISE_FACTOR = 4;
/** float16's smallest normal value: below it float16 values are 2⁻²⁴ apart */
export const F16_MIN_NORMAL = 2 ** -14;
/** per float16 binary op, the scale of its |a| + |b| term (see noiseFloor) */
const FLOAT16_CHAIN_TERM: Record<string, number> = { 'mindspore.ops.add': 1, 'mindspore.ops.sub': 1, 'mindspore.ops.mul': F16_MIN_NORMAL };

type Model =
  | { kind: 'exact' }
  | { kind: 'elementwise' }
  | { kind: 'dot'; reduction: (step: Step, inputs: Tensor[]) => number }
  | { kind: 'mean'; reduction: (step: Step, inputs: Tensor[], out: Tensor) => number }
  | { kind: 'batchnorm' };

const weightOf = (step: Step): Tensor | null => {
  const w = (step.cell as unknown as { weight?: Parameter } | null)?.weight;
  return w instanceof Parameter ? w : null;
};

/** reduction length of a convolution or dense layer: every weight dim but the output channels */
const weightFanIn = (step: Step): number => {
  const w = weightOf(step);
  return w ? w.size / w.shape[0]! : 1;
};

const models: Record<string, Model> = {
  'mindspore.nn.Conv2d': { kind: 'dot', reduction: weightFanIn },
  'mindspore.nn.Conv1d': { kind: 'dot', reduction: weightFanIn },
  'mindspore.nn.Conv3d': { kind: 'dot', reduction: weightFanIn },
  'mindspore.nn.Dense': { kind: 'dot', reduction: weightFanIn },
  'mindspore.ops.matmul': { kind: 'dot', reduction: (_s, [a]) => a!.shape[a!.ndim - 1]! },
  'mindspore.ops.conv2d': { kind: 'dot', reduction: (_s, [, w]) => (w ? w.size / w.shape[0]! : 1) },
  'mindspore.nn.BatchNorm2d': { kind: 'batchnorm' },
  'mindspore.nn.BatchNorm1d': { kind: 'batchnorm' },
  'mindspore.nn.AvgPool2d': { kind: 'mean', reduction: s => { const k = (s.cell as unknown as { kernelSize: number[] }).kernelSize; return k[0]! * k[1]!; } },
  'mindspore.nn.AdaptiveAvgPool2d': { kind: 'mean', reduction: (_s, [x], y) => x!.size / y.size },
  'mindspore.ops.mean': { kind: 'mean', reduction: (_s, [x], y) => x!.size / y.size },
  'mindspore.nn.ReLU': { kind: 'exact' },
  'mindspore.nn.MaxPool2d': { kind: 'exact' },
  'mindspore.nn.AdaptiveMaxPool2d': { kind: 'exact' },
  'mindspore.nn.Flatten': { kind: 'exact' },
  'mindspore.nn.Identity': { kind: 'exact' },
  'mindspore.nn.Dropout': { kind: 'exact' },
  'mindspore.ops.reshape': { kind: 'exact' },
  'mindspore.ops.transpose': { kind: 'exact' },
  'mindspore.ops.concat': { kind: 'exact' },
  'mindspore.ops.split': { kind: 'exact' },
  'mindspore.ops.strided_slice': { kind: 'exact' },
  'mindspore.ops.gather': { kind: 'exact' },
  'mindspore.ops.pad': { kind: 'exact' },
  'mindspore.ops.expand_dims': { kind: 'exact' },
  'mindspore.ops.squeeze': { kind: 'exact' },
  'mindspore.ops.broadcast_to': { kind: 'exact' },
  'mindspore.ops.shape': { kind: 'exact' },
  'mindspore.ops.identity': { kind: 'exact' },
};

/** |x| elementwise into a new array (a loop: TypedArray.from with a map function boxes every element first, which for a
 * 262 MB vocabulary projection is a gigabyte of transient heap). */
function absData(d: Float32Array): Float32Array {
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.abs(d[i]!);
  return out;
}
const absT = (t: Tensor): Tensor => (t.data instanceof Float32Array ? new Tensor(absData(t.data), t.shape, t.dtype) : t);

/** Run the step on |inputs| with its Parameters replaced by |Parameters| (restored afterwards). */
function magnitudeRun(step: Step, inputs: (Tensor | undefined)[], paramOverride?: (name: string, p: Parameter) => Tensor['data'] | null): Tensor | null {
  const saved: [Parameter, Tensor['data']][] = [];
  for (const [name, p] of step.cell?._params ?? []) {
    if (!(p.data instanceof Float32Array)) continue;
    saved.push([p, p.data]);
    p.data = paramOverride?.(name, p) ?? absData(p.data);
  }
  try {
    return noGrad(() => step.run(inputs.map(t => (t ? absT(t) : t))))[0] ?? null;
  } catch {
    return null;
  } finally {
    for (const [p, d] of saved) p.data = d;
  }
}

/** Per-element floor for the first output of `step`, given the reference inputs it ran on and the reference output. */
export function noiseFloor(step: Step, inputs: (Tensor | undefined)[], refOut: Tensor): Float64Array | null {
  if (!(refOut.data instanceof Float32Array)) return null;
  const model = models[step.msApi] ?? { kind: 'elementwise' };
  const n = refOut.size, y = refOut.data;
  const floor = new Float64Array(n);
  if (model.kind === 'exact') return floor;
  // the result is rounded to its dtype: a float16 output (a half-precision model) carries float16's roundoff
  // (below float16's smallest normal, 2⁻¹⁴, its values are spaced 2⁻²⁴ apart: the roundoff is U16·2⁻¹⁴ however small y)
  const half = refOut.dtype === 'float16';
  const Uout = half ? U16 : U, tiny = half ? F16_MIN_NORMAL : 0;
  for (let i = 0; i < n; i++) floor[i] = 8 * Uout * Math.max(Math.abs(y[i]!), tiny);
  const present = inputs.filter((t): t is Tensor => !!t);
  if (model.kind === 'dot' || model.kind === 'mean') {
    const m = magnitudeRun(step, inputs);
    if (!m || m.size !== n) return floor;
    const k = model.kind === 'dot' ? model.reduction(step, present) : model.reduction(step, present, refOut);
    // a float16 product may be accumulated in float16 blocks (onnxruntime's CPU MatMul is: up to 4 float16 ulps from a
    // float32-accumulated result on 16×2048×2048, measured), so a float16 result's sums carry float16's roundoff
    const M = m.data as Float32Array, c = 2 * Math.sqrt(Math.max(1, k)) * Uout;
    for (let i = 0; i < n; i++) floor[i] += c * M[i]!;
  } else if (half && FLOAT16_CHAIN_TERM[step.msApi] !== undefined && present.length === 2) {
    // onnxruntime's CPU computes a float16 graph's elementwise chains in float32 (casts inserted around them), so an
    // op's inputs may be the unrounded values of the float16 ones compared, each off by up to U16·max(|x|, 2⁻¹⁴):
    // a cancelling sum does not scale that down (the floor counts |a| + |b|), and a product of a subnormal float16
    // input carries its absolute roundoff times the other factor (|a| + |b| times 2⁻¹⁴)
    let m: Tensor | null = null;
    try { m = noGrad(() => F.add(absT(present[0]!), absT(present[1]!))); } catch { m = null; }
    const c = 8 * U16 * FLOAT16_CHAIN_TERM[step.msApi]!;
    if (m && m.size === n) { const M = m.data as Float32Array; for (let i = 0; i < n; i++) floor[i] += c * M[i]!; }
  } else if (model.kind === 'batchnorm') {
    // |x·s| with s = γ/√(var+ε): run with |γ| and zero β, mean so only the scaled input remains
    const m = magnitudeRun(step, inputs, name => (name === 'beta' || name === 'moving_mean' ? new Float32Array((step.cell as unknown as Record<string, Parameter>)[name]!.size) : null));
    if (m && m.size === n) { const M = m.data as Float32Array; for (let i = 0; i < n; i++) floor[i] += 8 * U * Math.abs(M[i]!); }
    const bn = step.cell as unknown as { gamma?: Parameter; beta?: Parameter; moving_mean?: Parameter; moving_variance?: Parameter; eps?: number } | null;
    const x = present[0];
    if (bn?.gamma && bn.beta && bn.moving_mean && bn.moving_variance && x && x.ndim >= 2 && x.shape[1] === bn.gamma.size) {
      const C = x.shape[1]!, inner = n / (x.shape[0]! * C);
      for (let c = 0; c < C; c++) {
        const sc = Math.abs(bn.gamma.get(c)) / Math.sqrt(bn.moving_variance.get(c) + (bn.eps ?? 1e-5));
        const t = 8 * U * (Math.abs(bn.moving_mean.get(c)) * sc + Math.abs(bn.beta.get(c)));
        for (let b = 0; b < x.shape[0]!; b++) for (let i = 0, o = (b * C + c) * inner; i < inner; i++) floor[o + i] += t;
      }
    }
  }
  return floor;
}

/** max over elements of |a − b| / floor (∞ where the floor is 0 and they differ; 0 when identical). */
export function noiseRatio(ref: Tensor, actual: Tensor, floor: Float64Array): number {
  if (ref.size !== actual.size || ref.size !== floor.length) return Infinity;
  let r = 0;
  for (let i = 0; i < ref.size; i++) {
    const d = Math.abs(ref.get(i) - actual.get(i));
    if (d === 0) continue;
    if (!Number.isFinite(d)) return Infinity;
    r = Math.max(r, floor[i]! > 0 ? d / floor[i]! : Infinity);
  }
  return r;
}
