/**
 * mindspore.common.initializer: the Initializer classes, the string aliases MindSpore accepts, and
 * `initializer(init, shape, dtype)` made eager. Every random initializer draws from the global seeded RNG
 * (`random.ts`), so `setSeed(s)` makes parameter initialisation reproducible, as `mindspore.set_seed` does.
 *
 * Facts below are from MindSpore's `mindspore/python/mindspore/common/initializer.py` (2.x) unless noted:
 * - aliases: each class registers its lower-cased class name, some also a snake_case alias, and `initializer()` looks
 *   strings up case-insensitively (`init.lower()`), so 'truncatedNormal', 'TruncatedNormal' and 'truncatednormal'
 *   are one initializer; `Constant` is not registered under any string.
 * - defaults: Normal(sigma=0.01, mean=0.0), Uniform(scale=0.07), TruncatedNormal(sigma=0.01, mean=0.0, a=-2.0, b=2.0),
 *   HeUniform/HeNormal(negative_slope=0, mode='fan_in', nonlinearity='leaky_relu'), XavierUniform/XavierNormal(gain=1).
 * - TruncatedNormal truncates to the absolute interval [a, b] (the C++ sampler sets alpha = (a - mean) / sigma and
 *   draws by inverse CDF). MindSpore's TF-comparison doc page still describes the 1.x behaviour (±2 sigma, from
 *   scipy's truncnorm in sigma units); with the 2.x defaults the bounds are ±2 absolute, i.e. ±200 sigma.
 */
import { DType, TypedData } from './dtype.js';
import { LAZY, Shape, Tensor, setElem, shapeSize } from './tensor.js';
import { defaultRng, Rng } from './random.js';
import { erf } from './ops/math.js';

/** fan_in / fan_out as MindSpore (and PyTorch) compute them: dim 1 and dim 0 times the receptive field. */
export function fans(shape: Shape): [number, number] {
  if (shape.length < 2) throw new Error(`fan in/out need at least 2 dims, got shape [${shape}]`);
  const rf = shapeSize(shape.slice(2));
  return [shape[1]! * rf, shape[0]! * rf];
}

/** A lazy initializer: holds what to draw; `fill(shape, rng)` returns the generator of element i. */
export interface Initializer {
  name: string;
  fill(shape: Shape, rng: Rng): (i: number) => number;
}

export type FanMode = 'fan_in' | 'fan_out';
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu';

/** MindSpore `_calculate_gain`: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu. */
export function calculateGain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': return Math.sqrt(2 / (1 + negativeSlope ** 2));
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d':
    case 'conv_transpose3d': case 'sigmoid': return 1;
  }
  throw new Error(`calculateGain: nonlinearity must be one of sigmoid, tanh, relu, leaky_relu or a linear/conv name, got '${nonlinearity}'`);
}

function correctFan(shape: Shape, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`mode must be 'fan_in' or 'fan_out', got '${mode}'`);
  const [fi, fo] = fans(shape);
  return mode === 'fan_in' ? fi : fo;
}

export class Zero implements Initializer {
  readonly name = 'Zero';
  fill(): (i: number) => number { return () => 0; }
}

export class One implements Initializer {
  readonly name = 'One';
  fill(): (i: number) => number { return () => 1; }
}

export class Constant implements Initializer {
  readonly name = 'Constant';
  constructor(readonly value: number) {}
  fill(): (i: number) => number { const v = this.value; return () => v; }
}

/** N(mean, sigma²). */
export class Normal implements Initializer {
  readonly name = 'Normal';
  constructor(readonly sigma = 0.01, readonly mean = 0.0) {
    if (sigma < 0) throw new Error(`Normal: sigma must be >= 0, got ${sigma}`);
  }
  fill(_s: Shape, rng: Rng): (i: number) => number { const { sigma, mean } = this; return () => mean + sigma * rng.normal(); }
}

/** U(-scale, scale). */
export class Uniform implements Initializer {
  readonly name = 'Uniform';
  constructor(readonly scale = 0.07) {}
  fill(_s: Shape, rng: Rng): (i: number) => number { const s = this.scale; return () => rng.uniform(-s, s); }
}

/** N(mean, sigma²) restricted to the absolute interval [a, b], drawn by inverse CDF as MindSpore's C++ sampler does. */
export class TruncatedNormal implements Initializer {
  readonly name = 'TruncatedNormal';
  constructor(readonly sigma = 0.01, readonly mean = 0.0, readonly a = -2.0, readonly b = 2.0) {
    if (!(sigma > 0)) throw new Error(`TruncatedNormal: sigma must be > 0, got ${sigma}`);
    if (!(a < b)) throw new Error(`TruncatedNormal: a (${a}) must be below b (${b})`);
  }
  fill(_s: Shape, rng: Rng): (i: number) => number {
    const { sigma, mean, a, b } = this;
    const lo = normalCdf((a - mean) / sigma), hi = normalCdf((b - mean) / sigma);
    return () => {
      const x = mean + sigma * normalQuantile(lo + rng.next() * (hi - lo));
      return x < a ? a : x > b ? b : x;
    };
  }
}

/** Kaiming uniform: U(-bound, bound), bound = gain · √(3 / fan). */
export class HeUniform implements Initializer {
  readonly name = 'HeUniform';
  constructor(readonly negativeSlope = 0, readonly mode: FanMode = 'fan_in', readonly nonlinearity: Nonlinearity = 'leaky_relu') {}
  fill(shape: Shape, rng: Rng): (i: number) => number {
    const bound = Math.sqrt(3) * calculateGain(this.nonlinearity, this.negativeSlope) / Math.sqrt(correctFan(shape, this.mode));
    return () => rng.uniform(-bound, bound);
  }
}

/** Kaiming normal: N(0, (gain / √fan)²). */
export class HeNormal implements Initializer {
  readonly name = 'HeNormal';
  constructor(readonly negativeSlope = 0, readonly mode: FanMode = 'fan_in', readonly nonlinearity: Nonlinearity = 'leaky_relu') {}
  fill(shape: Shape, rng: Rng): (i: number) => number {
    const std = calculateGain(this.nonlinearity, this.negativeSlope) / Math.sqrt(correctFan(shape, this.mode));
    return () => std * rng.normal();
  }
}

/** Glorot uniform: U(-bound, bound), bound = gain · √(6 / (fan_in + fan_out)). */
export class XavierUniform implements Initializer {
  readonly name = 'XavierUniform';
  constructor(readonly gain = 1) {}
  fill(shape: Shape, rng: Rng): (i: number) => number {
    const [fi, fo] = fans(shape);
    const bound = this.gain * Math.sqrt(6 / (fi + fo));
    return () => rng.uniform(-bound, bound);
  }
}

/** Glorot normal: N(0, sigma²), sigma = gain · √(2 / (fan_in + fan_out)). */
export class XavierNormal implements Initializer {
  readonly name = 'XavierNormal';
  constructor(readonly gain = 1) {}
  fill(shape: Shape, rng: Rng): (i: number) => number {
    const [fi, fo] = fans(shape);
    const std = this.gain * Math.sqrt(2 / (fi + fo));
    return () => std * rng.normal();
  }
}

/** A 2-D identity matrix (np.eye for non-square shapes). */
export class Identity implements Initializer {
  readonly name = 'Identity';
  fill(shape: Shape): (i: number) => number {
    if (shape.length !== 2) throw new Error(`Identity initializer needs a 2-D shape, got [${shape}]`);
    const cols = shape[1]!;
    return i => (Math.floor(i / cols) === i % cols ? 1 : 0);
  }
}

/**
 * The string names MindSpore accepts, each with the default-constructed initializer: the canonical MindSpore alias
 * (the one its layers document) first. Lookup is case-insensitive, as in MindSpore.
 */
export const initializers = {
  zeros: new Zero(),
  ones: new One(),
  normal: new Normal(),
  uniform: new Uniform(),
  truncatedNormal: new TruncatedNormal(),
  he_uniform: new HeUniform(),
  he_normal: new HeNormal(),
  xavier_uniform: new XavierUniform(),
  xavier_normal: new XavierNormal(),
  identity: new Identity(),
} satisfies Record<string, Initializer>;

/** MindSpore's registered alias → initializer key: lower-cased class names plus the snake_case aliases. */
const aliases: Record<string, keyof typeof initializers> = {
  zeros: 'zeros', zero: 'zeros',
  ones: 'ones', one: 'ones',
  normal: 'normal',
  uniform: 'uniform',
  truncatednormal: 'truncatedNormal',
  he_uniform: 'he_uniform', heuniform: 'he_uniform',
  he_normal: 'he_normal', henormal: 'he_normal',
  xavier_uniform: 'xavier_uniform', xavieruniform: 'xavier_uniform',
  xavier_normal: 'xavier_normal', xaviernormal: 'xavier_normal',
  identity: 'identity',
};

/** A name `initializer()` accepts (matched case-insensitively at run time). */
export type InitName = keyof typeof initializers | 'zero' | 'one' | 'truncatednormal' | 'TruncatedNormal' | 'HeUniform' | 'HeNormal'
  | 'XavierUniform' | 'XavierNormal' | 'Normal' | 'Uniform' | 'Zero' | 'One' | 'heuniform' | 'henormal' | 'xavieruniform' | 'xaviernormal';

/** Uniform(±1/√fan_in) — the Conv/Dense bias default from r2.1 (zeros when fan_in is 0, as MindSpore's _Conv does). */
export function biasUniform(fanIn: number): Initializer {
  return fanIn > 0 ? new Uniform(1 / Math.sqrt(fanIn)) : new Zero();
}

/** The Conv and Dense weight default from r2.1: HeUniform(negative_slope=√5), i.e. PyTorch's kaiming_uniform_(a=√5). */
export function defaultWeightInit(): Initializer {
  return new HeUniform(Math.sqrt(5));
}

export function resolveInit(init: InitName | string | Initializer | number): Initializer {
  if (typeof init === 'number') return new Constant(init);
  if (typeof init === 'string') {
    const key = aliases[init.toLowerCase()];
    if (!key) throw new Error(`initializer: the class corresponding to '${init}' was not found; known names: ${Object.keys(aliases).join(', ')}`);
    return initializers[key];
  }
  return init;
}

function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) throw new Error(`initializer: shape must hold positive integers, got [${shape}]`);
  }
}

let deferDepth = 0;

/**
 * Run `build` with every `initTensor` left undrawn (a LazyTensor, drawn on first read): for cells whose values are
 * about to be overwritten, as an ONNX import overwrites every weight it binds, so no time or memory goes into
 * random values nobody reads (VGG's 411 MB classifier weight). A value that is never overwritten is drawn from the
 * global RNG when first read, so it differs from an eager draw made at construction.
 */
export function withDeferredInit<T>(build: () => T): T {
  deferDepth++;
  try { return build(); } finally { deferDepth--; }
}

/**
 * Materialise `init` as a Tensor of `shape` (the eager form of `initializer(...)`), drawing from `rng`; inside
 * `withDeferredInit`, a LazyTensor instead.
 */
export function initTensor(init: InitName | string | Initializer | number, shape: Shape, dtype: DType = 'float32', rng?: Rng): Tensor {
  if (deferDepth > 0 && rng === undefined) {
    checkShape(shape);
    return new LazyTensor(resolveInit(init), shape, dtype);
  }
  return drawTensor(init, shape, dtype, rng ?? defaultRng());
}

function drawTensor(init: InitName | string | Initializer | number, shape: Shape, dtype: DType, rng: Rng): Tensor {
  checkShape(shape);
  const t = Tensor.zeros(shape, dtype);
  const f = resolveInit(init).fill(shape, rng);
  for (let i = 0; i < t.size; i++) setElem(t.data, i, f(i));
  return t;
}

/**
 * mindspore.common.initializer.initializer(init, shape, dtype=float32). A Tensor `init` is returned as is after a
 * shape check; a number means Constant; a string is an alias looked up case-insensitively.
 * @example initializer('xavier_uniform', [64, 32])  ·  initializer(new TruncatedNormal(0.02), [768])
 */
export function initializer(init: InitName | string | Initializer | number | Tensor, shape: Shape | number, dtype: DType = 'float32'): Tensor {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (init instanceof Tensor) {
    if (init.shape.join() !== s.join()) throw new Error(`initializer: the 'init' tensor has shape [${init.shape}] but 'shape' is [${s}]`);
    return init;
  }
  checkShape(s);
  return new LazyTensor(resolveInit(init as InitName | Initializer | number), s, dtype);
}

/**
 * What mindspore.common.initializer.initializer returns: a Tensor holding only shape, dtype and the Initializer until
 * `initData()` (or the first read of `data`) draws the values from the global RNG.
 */
export class LazyTensor extends Tensor {
  private pending: Initializer | null;
  constructor(init: Initializer, shape: Shape, dtype: DType) {
    super(LAZY, shape, dtype);
    this.pending = init;
  }
  get isLazy(): boolean { return this.pending !== null; }
  get initializer(): Initializer | null { return this.pending; }
  override get data(): TypedData { if (this.pending) this.initData(); return this._data; }
  override set data(d: TypedData) { this.pending = null; this._data = d; }
  initData(): this {
    if (this.pending) {
      const init = this.pending;
      this.pending = null;
      this._data = drawTensor(init, this.shape, this.dtype, defaultRng()).data;
    }
    return this;
  }
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9, far below float32 resolution).
const QA = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
const QB = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
const QC = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758276161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
const QD = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];

/** Standard normal quantile Φ⁻¹(p); ±Infinity at p = 0 and 1. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const plow = 0.02425;
  const poly = (c: number[], x: number): number => c.reduce((acc, k) => acc * x + k, 0);
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(QC, q) / (poly(QD, q) * q + 1);
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(QC, q) / (poly(QD, q) * q + 1);
  }
  const q = p - 0.5, r = q * q;
  return (poly(QA, r) * q) / (poly(QB, r) * r + 1);
}
