import { DType } from './dtype.js';
import { Shape, Tensor, shapeSize } from './tensor.js';
import { defaultRng, Rng } from './random.js';

/** fan_in / fan_out as MindSpore (and PyTorch) compute them: dim 1 and dim 0 times the receptive field. */
export function fans(shape: Shape): [number, number] {
  if (shape.length < 2) throw new Error(`fan in/out need at least 2 dims, got shape [${shape}]`);
  const rf = shapeSize(shape.slice(2));
  return [shape[1]! * rf, shape[0]! * rf];
}

/** A lazy initializer: holds what to draw; `init(shape, dtype)` materialises it. */
export interface Initializer {
  name: string;
  fill(shape: Shape, rng: Rng): (i: number) => number;
}

const constant = (name: string, v: number): Initializer => ({ name, fill: () => () => v });

/** MindSpore's initializers keyed by the names its layers accept (`weight_init='normal'`, ...). */
export const initializers = {
  zeros: constant('Zero', 0),
  ones: constant('One', 1),
  /** Normal(sigma=0.01), MindSpore's 'normal' */
  normal: { name: 'Normal', fill: (_s: Shape, rng: Rng) => () => 0.01 * rng.normal() },
  /** Uniform(scale=0.07), MindSpore's 'uniform' */
  uniform: { name: 'Uniform', fill: (_s: Shape, rng: Rng) => () => rng.uniform(-0.07, 0.07) },
  /** HeUniform(negative_slope=sqrt(5)): PyTorch's kaiming_uniform(a=√5), Conv/Dense default weight from r2.1 */
  he_uniform: { name: 'HeUniform', fill: (s: Shape, rng: Rng) => { const b = Math.sqrt(6 / ((1 + 5) * fans(s)[0])); return () => rng.uniform(-b, b); } },
  xavier_uniform: { name: 'XavierUniform', fill: (s: Shape, rng: Rng) => { const [fi, fo] = fans(s); const b = Math.sqrt(6 / (fi + fo)); return () => rng.uniform(-b, b); } },
} satisfies Record<string, Initializer>;

export type InitName = keyof typeof initializers;

/** Uniform(±1/sqrt(fan_in)) — the Conv/Dense bias default from r2.1, which depends on the weight's fan_in. */
export function biasUniform(fanIn: number): Initializer {
  const b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return { name: 'Uniform', fill: (_s, rng) => () => rng.uniform(-b, b) };
}

export function resolveInit(init: InitName | Initializer | number): Initializer {
  if (typeof init === 'number') return constant('Constant', init);
  if (typeof init === 'string') {
    const i = initializers[init];
    if (!i) throw new Error(`unknown initializer '${init}'; known: ${Object.keys(initializers).join(', ')}`);
    return i;
  }
  return init;
}

/** mindspore.common.initializer.initializer(init, shape, dtype) made eager. */
export function initTensor(init: InitName | Initializer | number, shape: Shape, dtype: DType = 'float32', rng: Rng = defaultRng()): Tensor {
  const t = Tensor.zeros(shape, dtype);
  const f = resolveInit(init).fill(shape, rng);
  for (let i = 0; i < t.size; i++) t.data[i] = f(i);
  return t;
}
