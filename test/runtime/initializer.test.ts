/**
 * mindspore.common.initializer: distributions, aliases, reproducibility and the layers' default initializers.
 *
 * Statistical checks draw n = 1e5 samples and compare the sample mean m and the (biased) sample variance v with the
 * distribution's mean μ and variance σ². For iid samples the standard errors are
 *   SE(m) = σ / √n,    SE(v) ≈ √((μ₄ − σ⁴) / n)   (μ₄ the fourth central moment),
 * i.e. σ²·√(2/n) for a normal (μ₄ = 3σ⁴) and s²·√(4/45 / n) for U(−s, s) (μ₄ = s⁴/5, σ² = s²/3). Every check allows
 * 5 standard errors: a correct sampler fails one with probability < 1e-6 (and the seeded RNG makes the run
 * deterministic anyway), while a wrong scale (e.g. a bound off by √2, or ±2σ truncation where there is none) is tens
 * of standard errors away. Bounds are checked exactly; for a uniform the largest of n draws also has to come within
 * δ = 40/n of the bound (P(max < (1 − δ)·b) = (1 − δ/2)ⁿ ≈ e⁻²⁰), which catches a bound that is too wide.
 */
import { describe, expect, it } from 'vitest';
import {
  calculateGain, Constant, HeNormal, HeUniform, initializer, initializers, initTensor, normalCdf, normalQuantile, Normal, One,
  resolveInit, TruncatedNormal, Uniform, XavierNormal, XavierUniform, Zero, fans, biasUniform, Identity, withDeferredInit,
} from '../../src/runtime/initializer.js';
import { defaultRng, setSeed } from '../../src/runtime/random.js';
import { Tensor } from '../../src/runtime/tensor.js';
import * as nn from '../../src/runtime/nn/index.js';

const N = 100_000;

function moments(t: Tensor): { mean: number; variance: number; min: number; max: number; n: number } {
  const a = t.toArray();
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  return { mean, variance, min: Math.min(...a), max: Math.max(...a), n: a.length };
}

/** Sample mean and variance within 5 standard errors of (mu, sigma²); mu4 is the fourth central moment. */
function expectMoments(t: Tensor, mu: number, sigma2: number, mu4: number): void {
  const m = moments(t);
  expect(Math.abs(m.mean - mu)).toBeLessThan(5 * Math.sqrt(sigma2 / m.n));
  expect(Math.abs(m.variance - sigma2)).toBeLessThan(5 * Math.sqrt((mu4 - sigma2 ** 2) / m.n));
}
const expectNormal = (t: Tensor, mu: number, sigma: number): void => expectMoments(t, mu, sigma ** 2, 3 * sigma ** 4);
function expectUniform(t: Tensor, bound: number): void {
  const m = moments(t);
  expect(m.min).toBeGreaterThanOrEqual(-bound);
  expect(m.max).toBeLessThanOrEqual(bound);
  const delta = 40 / m.n; // P(max < (1 − δ)·bound) = (1 − δ/2)ⁿ ≈ e⁻²⁰
  expect(m.max).toBeGreaterThan((1 - delta) * bound);
  expect(m.min).toBeLessThan(-(1 - delta) * bound);
  expectMoments(t, 0, bound ** 2 / 3, bound ** 4 / 5);
}

const draw = (init: Parameters<typeof initTensor>[0], shape: number[], seed = 1): Tensor => { setSeed(seed); return initTensor(init, shape); };

describe('distributions (1e5 samples, 5-standard-error tolerances)', () => {
  it('Normal(sigma=0.01, mean=0) is the default and "normal"', () => {
    expectNormal(draw(new Normal(), [N]), 0, 0.01);
    expectNormal(draw('normal', [N]), 0, 0.01);
    expectNormal(draw(new Normal(2, -1), [N]), -1, 2);
  });

  it('Uniform(scale=0.07) is U(-0.07, 0.07)', () => {
    expectUniform(draw(new Uniform(), [N]), 0.07);
    expectUniform(draw('uniform', [N]), 0.07);
    expectUniform(draw(new Uniform(3), [N]), 3);
  });

  it('TruncatedNormal(sigma=1, a=-2, b=2): the ±2σ-truncated normal, variance 1 − 4φ(2)/(Φ(2) − Φ(−2))', () => {
    const t = draw(new TruncatedNormal(1, 0, -2, 2), [N]);
    const m = moments(t);
    expect(m.min).toBeGreaterThanOrEqual(-2);
    expect(m.max).toBeLessThanOrEqual(2);
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI), Z = 0.9544997361036416; // Φ(2) − Φ(−2)
    const variance = 1 - (4 * phi2) / Z;
    // |X| ≤ 2 so μ₄ ≤ 4σ², which bounds SE(v) by √(4σ²/n)
    expectMoments(t, 0, variance, 4 * variance + variance ** 2);
  });

  it('TruncatedNormal() defaults truncate at the absolute bounds ±2, i.e. ±200σ (MindSpore 2.x source), not ±2σ', () => {
    const t = draw(new TruncatedNormal(), [N]);
    expectNormal(t, 0, 0.01);
    const beyond2Sigma = t.toArray().filter(v => Math.abs(v) > 0.02).length / N;
    expect(beyond2Sigma).toBeGreaterThan(0.04); // 4.55 % of a normal lies beyond 2σ
    expectNormal(draw('truncatedNormal', [N]), 0, 0.01);
  });

  it('TruncatedNormal on an interval in the tail stays inside it', () => {
    const m = moments(draw(new TruncatedNormal(0.5, 0, 1, 1.5), [10_000]));
    expect(m.min).toBeGreaterThanOrEqual(1);
    expect(m.max).toBeLessThanOrEqual(1.5);
  });

  it('HeUniform(negative_slope=0, fan_in, leaky_relu): bound √2·√(3/fan_in) = √(6/fan_in)', () => {
    expectUniform(draw(new HeUniform(), [500, 200]), Math.sqrt(6 / 200));
    expectUniform(draw('he_uniform', [500, 200]), Math.sqrt(6 / 200));
    // the Conv/Dense default HeUniform(√5): gain √(2/6), bound 1/√fan_in (PyTorch kaiming_uniform_(a=√5))
    expectUniform(draw(new HeUniform(Math.sqrt(5)), [500, 50, 2, 2]), 1 / Math.sqrt(200));
    expectUniform(draw(new HeUniform(0, 'fan_out', 'relu'), [100, 1000]), Math.sqrt(6 / 100));
  });

  it('HeNormal: std gain/√fan', () => {
    expectNormal(draw(new HeNormal(), [500, 200]), 0, Math.sqrt(2 / 200));
    expectNormal(draw('he_normal', [500, 200]), 0, Math.sqrt(2 / 200));
    expectNormal(draw(new HeNormal(0, 'fan_out', 'tanh'), [250, 400]), 0, (5 / 3) / Math.sqrt(250));
  });

  it('XavierUniform(gain) bound gain·√(6/(fan_in + fan_out)); XavierNormal std gain·√(2/(fan_in + fan_out))', () => {
    expectUniform(draw(new XavierUniform(), [200, 500]), Math.sqrt(6 / 700));
    expectUniform(draw('xavier_uniform', [20, 50, 10, 10]), Math.sqrt(6 / (5000 + 2000)));
    expectUniform(draw(new XavierUniform(2), [200, 500]), 2 * Math.sqrt(6 / 700));
    expectNormal(draw(new XavierNormal(), [200, 500]), 0, Math.sqrt(2 / 700));
    expectNormal(draw('xavier_normal', [200, 500]), 0, Math.sqrt(2 / 700));
  });

  it('constants and identity', () => {
    expect(initTensor(new Zero(), [2, 2]).toArray()).toEqual([0, 0, 0, 0]);
    expect(initTensor(new One(), [3]).toArray()).toEqual([1, 1, 1]);
    expect(initTensor(new Constant(2.5), [2]).toArray()).toEqual([2.5, 2.5]);
    expect(initTensor(new Identity(), [2, 3]).tolist()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(initTensor(3, [2], 'int64').toArray()).toEqual([3, 3]);
  });
});

describe('names (MindSpore _register aliases, looked up with init.lower())', () => {
  const cases: [string, string][] = [
    ['zeros', 'Zero'], ['zero', 'Zero'], ['Zero', 'Zero'], ['ones', 'One'], ['One', 'One'], ['normal', 'Normal'], ['Normal', 'Normal'],
    ['uniform', 'Uniform'], ['truncatedNormal', 'TruncatedNormal'], ['TruncatedNormal', 'TruncatedNormal'], ['truncatednormal', 'TruncatedNormal'],
    ['he_uniform', 'HeUniform'], ['HeUniform', 'HeUniform'], ['he_normal', 'HeNormal'], ['HeNormal', 'HeNormal'],
    ['xavier_uniform', 'XavierUniform'], ['XavierUniform', 'XavierUniform'], ['xavier_normal', 'XavierNormal'], ['XavierNormal', 'XavierNormal'],
    ['identity', 'Identity'],
  ];
  for (const [name, cls] of cases) it(`'${name}' → ${cls}`, () => { expect(resolveInit(name).name).toBe(cls); });

  it("'constant' is not a registered alias (Constant has no @_register) and unknown names list the known ones", () => {
    expect(() => resolveInit('constant')).toThrow(/'constant' was not found; known names: zeros, zero, ones/);
    expect(() => resolveInit('kaiming')).toThrow(/'kaiming' was not found/);
  });

  it('the initializers table is keyed by the MindSpore names with default-constructed initializers', () => {
    expect(Object.keys(initializers)).toEqual(['zeros', 'ones', 'normal', 'uniform', 'truncatedNormal', 'he_uniform', 'he_normal', 'xavier_uniform', 'xavier_normal', 'identity']);
    expect((initializers.normal as Normal).sigma).toBe(0.01);
    expect((initializers.uniform as Uniform).scale).toBe(0.07);
    const tn = initializers.truncatedNormal as TruncatedNormal;
    expect([tn.sigma, tn.mean, tn.a, tn.b]).toEqual([0.01, 0, -2, 2]);
    const he = initializers.he_uniform as HeUniform;
    expect([he.negativeSlope, he.mode, he.nonlinearity]).toEqual([0, 'fan_in', 'leaky_relu']);
    expect((initializers.xavier_uniform as XavierUniform).gain).toBe(1);
  });
});

describe('initializer(init, shape, dtype)', () => {
  it('a number is Constant, a Tensor passes through after a shape check, an int shape is 1-D', () => {
    expect(initializer(0.5, [2, 1]).tolist()).toEqual([[0.5], [0.5]]);
    const t = Tensor.from([[1, 2]], 'float32');
    expect(initializer(t, [1, 2])).toBe(t);
    expect(() => initializer(t, [2, 1])).toThrow(/'init' tensor has shape \[1,2\] but 'shape' is \[2,1\]/);
    expect(initializer('ones', 3).shape).toEqual([3]);
    expect(initializer('ones', [2], 'float16').dtype).toBe('float16');
    expect(() => initializer('ones', [2, 0])).toThrow(/positive integers/);
  });

  it('fans follow _calculate_fan_in_and_fan_out and need 2 dims', () => {
    expect(fans([8, 4, 3, 3])).toEqual([36, 72]);
    expect(fans([10, 20])).toEqual([20, 10]);
    expect(() => initTensor('xavier_uniform', [5])).toThrow(/at least 2 dims/);
  });

  it('calculateGain matches _calculate_gain', () => {
    expect(calculateGain('linear')).toBe(1);
    expect(calculateGain('conv2d')).toBe(1);
    expect(calculateGain('sigmoid')).toBe(1);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(calculateGain('leaky_relu', 0)).toBeCloseTo(Math.SQRT2, 12);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
  });

  it('normal quantile and CDF (used by TruncatedNormal) agree with tabulated values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
    expect(normalQuantile(0.5)).toBe(0);
    for (const p of [1e-6, 0.01, 0.3, 0.9, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 8);
  });
});

describe('reproducibility: every initializer draws from the global seeded RNG', () => {
  it('setSeed replays the same values; another seed gives others', () => {
    for (const init of ['normal', 'uniform', 'truncatedNormal', 'he_uniform', 'he_normal', 'xavier_uniform', 'xavier_normal'] as const) {
      const a = draw(init, [8, 8], 42).toArray(), b = draw(init, [8, 8], 42).toArray(), c = draw(init, [8, 8], 43).toArray();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    }
  });

  it('layers built after the same setSeed have identical parameters', () => {
    const build = () => { setSeed(7); return new nn.SequentialCell([new nn.Conv2d(3, 4, 3, { hasBias: true }), new nn.Dense(4, 2), new nn.Embedding(5, 3)]); };
    const p1 = build().parametersAndNames().map(([n, p]) => [n, p.toArray()]);
    const p2 = build().parametersAndNames().map(([n, p]) => [n, p.toArray()]);
    expect(p1).toEqual(p2);
  });
});

describe('layer defaults (reference §0: from r2.1 Conv/Dense weight HeUniform(√5), bias Uniform(±1/√fan_in))', () => {
  it('Conv2d weight U(±1/√fan_in), bias U(±1/√fan_in)', () => {
    setSeed(3);
    const conv = new nn.Conv2d(16, 64, 3, { hasBias: true });
    expectUniform(conv.weight, 1 / Math.sqrt(16 * 9));
    const b = moments(conv.bias!);
    expect(Math.max(Math.abs(b.min), Math.abs(b.max))).toBeLessThanOrEqual(1 / 12);
  });

  it('Dense weight U(±1/√in_channels), bias U(±1/√in_channels)', () => {
    setSeed(4);
    const d = new nn.Dense(100, 300);
    expectUniform(d.weight, 0.1);
    expect(d.bias!.toArray().every(v => Math.abs(v) <= 0.1)).toBe(true);
    expect(biasUniform(0).name).toBe('Zero');
  });

  it('Conv1d / Conv3d / Conv2dTranspose: fan_in from the weight shape (transposed: dim 1 = out/group)', () => {
    setSeed(5);
    expectUniform(new nn.Conv1d(32, 64, 5).weight, 1 / Math.sqrt(32 * 5));
    expectUniform(new nn.Conv3d(8, 16, 3).weight, 1 / Math.sqrt(8 * 27));
    const ct = new nn.Conv2dTranspose(64, 16, 3, { hasBias: true, group: 2 });
    expect(ct.weight.shape).toEqual([64, 8, 3, 3]);
    expectUniform(ct.weight, 1 / Math.sqrt(8 * 9));
    expect(ct.bias!.toArray().every(v => Math.abs(v) <= 1 / Math.sqrt(72))).toBe(true);
  });

  it("Embedding table 'normal' = Normal(sigma=0.01) (reference §6), norms ones/zeros, BN moving stats zeros/ones", () => {
    setSeed(6);
    expectNormal(new nn.Embedding(1000, 100).embedding_table, 0, 0.01);
    const bn = new nn.BatchNorm2d(3), ln = new nn.LayerNorm([4]), gn = new nn.GroupNorm(1, 2), inorm = new nn.InstanceNorm2d(2);
    for (const c of [bn, ln, gn, inorm]) {
      expect(c.gamma.toArray().every(v => v === 1)).toBe(true);
      expect(c.beta.toArray().every(v => v === 0)).toBe(true);
    }
    expect(bn.moving_mean.toArray()).toEqual([0, 0, 0]);
    expect(bn.moving_variance.toArray()).toEqual([1, 1, 1]);
  });

  it('explicit initializers reach the layers', () => {
    expect(new nn.Dense(2, 2, { weightInit: 'ones', biasInit: 'zeros' }).weight.toArray()).toEqual([1, 1, 1, 1]);
    expect(new nn.LayerNorm([2], { gammaInit: 2 }).gamma.toArray()).toEqual([2, 2]);
    setSeed(8);
    expectNormal(new nn.Conv2d(100, 100, 3, { weightInit: new Normal(0.5) }).weight, 0, 0.5);
  });
});

describe('withDeferredInit (how the ONNX importer builds cells whose weights it overwrites)', () => {
  it('leaves the layers\' initializers undrawn until read, and an overwritten one is never drawn', () => {
    setSeed(7);
    const eager = new nn.Dense(4, 3);
    setSeed(7);
    const lazy = withDeferredInit(() => new nn.Dense(4, 3));
    expect(lazy.weight.isLazy).toBe(true);
    expect(eager.weight.isLazy).toBe(false);
    // nothing was drawn: the generator is where set_seed left it, so a first read draws what the eager layer drew
    expect(Array.from(lazy.weight.data)).toEqual(Array.from(eager.weight.data));
    setSeed(7);
    const first = defaultRng().next();
    setSeed(7);
    const bound = withDeferredInit(() => new nn.Dense(4, 3));
    bound.weight.setData(Tensor.from([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]));
    expect(bound.weight.isLazy).toBe(false);
    expect(Array.from(bound.weight.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(bound.bias!.isLazy).toBe(true);
    expect(defaultRng().next()).toBe(first);
  });
});
