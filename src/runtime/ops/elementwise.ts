import { DType, isFloat, roundToFloat16 } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { apply } from '../autograd.js';
import { kernels } from '../kernels/index.js';
import { erfFast } from '../kernels/erf-js.js';
import { sigmoid16, silu16 } from './float16.js';

export { erfFast };
import { binaryMap, BinaryKernelOp, BinaryRun, broadcastShapes, expandTo, sumToShape, unaryMap, UnaryLoop } from './broadcast.js';
import { defineOp, OpDef } from './registry.js';

/** Result dtype of a binary op: MindSpore promotes int with float to float; otherwise operands must agree. */
function resultDType(a: Tensor, b: Tensor, name: string): DType {
  if (a.dtype === b.dtype) return a.dtype;
  if (isFloat(a.dtype) && !isFloat(b.dtype)) return a.dtype;
  if (isFloat(b.dtype) && !isFloat(a.dtype)) return b.dtype;
  if (a.dtype === 'float16' || b.dtype === 'float16') return 'float32';
  throw new Error(`${name}: operand dtypes ${a.dtype} and ${b.dtype} differ`);
}


// Monomorphic float32 loops for the hot ops: the same arithmetic as the scalar functions they stand beside (computed
// in double, rounded to float32 on store), without a closure call per element.
const addRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! + B[bo + i]!;
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! + yv; }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = xv + B[bo + i]!; }
  else for (let i = 0; i < len; i++) O[o + i] = A[ao + i * as]! + B[bo + i * bs]!;
};
const subRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! - B[bo + i]!;
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! - yv; }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = xv - B[bo + i]!; }
  else for (let i = 0; i < len; i++) O[o + i] = A[ao + i * as]! - B[bo + i * bs]!;
};
const mulRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! * B[bo + i]!;
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! * yv; }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = xv * B[bo + i]!; }
  else for (let i = 0; i < len; i++) O[o + i] = A[ao + i * as]! * B[bo + i * bs]!;
};
const divRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! / B[bo + i]!;
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = A[ao + i]! / yv; }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = xv / B[bo + i]!; }
  else for (let i = 0; i < len; i++) O[o + i] = A[ao + i * as]! / B[bo + i * bs]!;
};
const maxRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = Math.max(A[ao + i]!, B[bo + i]!);
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = Math.max(A[ao + i]!, yv); }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = Math.max(xv, B[bo + i]!); }
  else for (let i = 0; i < len; i++) O[o + i] = Math.max(A[ao + i * as]!, B[bo + i * bs]!);
};
// Math.pow(x, 2) is x·x exactly (fdlibm's pow special-cases y = 2), the LayerNorm square
const powRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 0) {
    const yv = B[bo]!;
    if (yv === 2) for (let i = 0; i < len; i++) { const v = A[ao + i]!; O[o + i] = v * v; }
    else for (let i = 0; i < len; i++) O[o + i] = Math.pow(A[ao + i]!, yv);
  } else for (let i = 0; i < len; i++) O[o + i] = Math.pow(A[ao + i * as]!, B[bo + i * bs]!);
};
const minRun: BinaryRun = (O, o, A, ao, as, B, bo, bs, len) => {
  if (as === 1 && bs === 1) for (let i = 0; i < len; i++) O[o + i] = Math.min(A[ao + i]!, B[bo + i]!);
  else if (as === 1 && bs === 0) { const yv = B[bo]!; for (let i = 0; i < len; i++) O[o + i] = Math.min(A[ao + i]!, yv); }
  else if (as === 0 && bs === 1) { const xv = A[ao]!; for (let i = 0; i < len; i++) O[o + i] = Math.min(xv, B[bo + i]!); }
  else for (let i = 0; i < len; i++) O[o + i] = Math.min(A[ao + i * as]!, B[bo + i * bs]!);
};

const leakyReluLoop: UnaryLoop = (X, O, alpha) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = v >= 0 ? v : alpha * v; } };
const hardSigmoidLoop: UnaryLoop = (X, O, alpha, beta) => { for (let i = 0; i < X.length; i++) O[i] = Math.max(0, Math.min(1, alpha * X[i]! + beta)); };
// −inf gives 0, not −inf·0 = NaN: MindSpore's HSwish branches below −3 (conformance: ops.hardswish(edge))
const hardSwishLoop: UnaryLoop = (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = v === -Infinity ? 0 : v * Math.max(0, Math.min(1, v / 6 + 0.5)); } };
const copyLoop: UnaryLoop = (X, O) => { O.set(X); };

const mul = (a: Tensor, b: Tensor): Tensor => apply('Mul', [a, b]);
/** float32 data (float16 tensors are stored widened to float32): the kernels' domain */
const isF32 = (t: Tensor): boolean => t.data instanceof Float32Array && (t.dtype === 'float32' || t.dtype === 'float16');
const scalarLike = (v: number, t: Tensor): Tensor => Tensor.scalar(v, t.dtype);

const binary = (name: string, fn: (x: number, y: number) => number, backward: OpDef['backward'], run?: BinaryRun, kernelOp?: BinaryKernelOp): OpDef =>
  defineOp({ name, forward: ([a, b]) => binaryMap(a!, b!, fn, name, resultDType(a!, b!, name), run, kernelOp), backward });

const intDiv = (x: number, y: number): number => Math.trunc(x / y);

export const Add = binary('Add', (x, y) => x + y, (dy, [a, b]) => [sumToShape(dy, a!.shape), sumToShape(dy, b!.shape)], addRun, 'add');
export const Sub = binary('Sub', (x, y) => x - y, (dy, [a, b]) => [sumToShape(dy, a!.shape), sumToShape(apply('Neg', [dy]), b!.shape)], subRun, 'sub');
export const Mul = binary('Mul', (x, y) => x * y, (dy, [a, b]) => [sumToShape(mul(dy, b!), a!.shape), sumToShape(mul(dy, a!), b!.shape)], mulRun, 'mul');
export const Div = defineOp({
  name: 'Div',
  forward: ([a, b]) => {
    const dt = resultDType(a!, b!, 'Div');
    return isFloat(dt) ? binaryMap(a!, b!, (x, y) => x / y, 'Div', dt, divRun, 'div') : binaryMap(a!, b!, intDiv, 'Div', dt);
  },
  backward: (dy, [a, b], out) => [
    sumToShape(apply('Div', [dy, b!]), a!.shape),
    sumToShape(apply('Neg', [mul(dy, apply('Div', [out, b!]))]), b!.shape),
  ],
});
export const Pow = binary('Pow', (x, y) => Math.pow(x, y), (dy, [a, b], out) => [
  sumToShape(mul(dy, mul(b!, apply('Pow', [a!, apply('Sub', [b!, scalarLike(1, b!)])]))), a!.shape),
  sumToShape(mul(dy, mul(out, apply('Log', [a!]))), b!.shape),
], powRun);
export const Maximum = binary('Maximum', Math.max, (dy, [a, b]) => [
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x >= y ? 1 : 0), 'Maximum')), a!.shape),
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x >= y ? 0 : 1), 'Maximum')), b!.shape),
], maxRun);
export const Minimum = binary('Minimum', Math.min, (dy, [a, b]) => [
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x <= y ? 1 : 0), 'Minimum')), a!.shape),
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x <= y ? 0 : 1), 'Minimum')), b!.shape),
], minRun);

const compare = (name: string, fn: (x: number, y: number) => boolean): OpDef =>
  defineOp({ name, forward: ([a, b]) => binaryMap(a!, b!, (x, y) => (fn(x, y) ? 1 : 0), name, 'bool'), noGrad: 'comparison: piecewise constant' });
export const Equal = compare('Equal', (x, y) => x === y);
export const Less = compare('Less', (x, y) => x < y);
export const Greater = compare('Greater', (x, y) => x > y);

/** Unary op whose derivative is expressed through its input x and output y. */
const unary = (name: string, fn: (v: number) => number, dfn?: (x: number, y: number) => number, noGrad?: string, loop?: UnaryLoop): OpDef =>
  defineOp({
    name,
    forward: ([x]) => unaryMap(x!, fn, x!.dtype, loop),
    backward: dfn ? (dy, [x], y) => [mul(dy, binaryMap(x!, y, dfn, name))] : undefined,
    noGrad,
  });

export const Neg = unary('Neg', v => -v, () => -1, undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = -v; } });
export const Abs = unary('Abs', Math.abs, x => Math.sign(x));
export const Relu = defineOp({
  name: 'Relu',
  forward: ([x]) => (isF32(x!) ? new Tensor(kernels.relu(x!.data as Float32Array), x!.shape, x!.dtype) : unaryMap(x!, v => (v > 0 ? v : 0))),
  backward: (dy, [x], y) => [mul(dy, binaryMap(x!, y, xv => (xv > 0 ? 1 : 0), 'Relu'))],
});
export const Sigmoid = defineOp({
  name: 'Sigmoid',
  // float16: MindSpore's float16 kernel, in float16 steps (float16.ts)
  forward: ([x]) => (x!.dtype === 'float16' ? unaryMap(x!, sigmoid16) : isF32(x!)
    ? new Tensor(kernels.sigmoid(x!.data as Float32Array), x!.shape, x!.dtype)
    : unaryMap(x!, v => 1 / (1 + Math.exp(-v)))),
  backward: (dy, [x], y) => [mul(dy, binaryMap(x!, y, (_x, v) => v * (1 - v), 'Sigmoid'))],
});
export const Tanh = unary('Tanh', Math.tanh, (_x, y) => 1 - y * y, undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = Math.tanh(v); } });
export const Exp = unary('Exp', Math.exp, (_x, y) => y, undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = Math.exp(v); } });
export const Log = unary('Log', Math.log, x => 1 / x, undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = Math.log(v); } });
export const Sqrt = unary('Sqrt', Math.sqrt, (_x, y) => 0.5 / y, undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = Math.sqrt(v); } });
export const Reciprocal = unary('Reciprocal', v => 1 / v, x => -1 / (x * x), undefined, (X, O) => { for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = 1 / v; } });
export const Erf = defineOp({
  name: 'Erf',
  forward: ([x]) => (isF32(x!) ? new Tensor(kernels.erf(x!.data as Float32Array), x!.shape, x!.dtype) : unaryMap(x!, erfFast)),
  backward: (dy, [x], y) => [mul(dy, binaryMap(x!, y, xv => 1.1283791670955126 * Math.exp(-xv * xv), 'Erf'))],
});
/**
 * MindSpore's GeLU primitive (ops.gelu, approximate='none'): 0.5·x·(1 + erf(x/√2)) in one pass;
 * d/dx = ½(1 + erf(x/√2)) + x·φ(x), φ the standard normal density.
 */
export const GeLU = defineOp({
  name: 'GeLU',
  forward: ([x]) => (isF32(x!) ? new Tensor(kernels.gelu(x!.data as Float32Array), x!.shape, x!.dtype)
    : unaryMap(x!, v => v * (1 + erfFast(v * Math.SQRT1_2)) * 0.5)),
  backward: (dy, [x]) => [mul(dy, unaryMap(x!, v => 0.5 * (1 + erfFast(v * Math.SQRT1_2)) + v * 0.3989422804014327 * Math.exp(-0.5 * v * v)))],
});
/** MindSpore's SiLU primitive: x·sigmoid(x) in one pass; d/dx = s·(1 + x·(1 − s)), s = sigmoid(x). */
export const SiLU = defineOp({
  name: 'SiLU',
  forward: ([x]) => (x!.dtype === 'float16' ? unaryMap(x!, silu16) : isF32(x!) ? new Tensor(kernels.silu(x!.data as Float32Array), x!.shape, x!.dtype)
    : unaryMap(x!, v => v / (1 + Math.exp(-v)))),
  backward: (dy, [x]) => [mul(dy, unaryMap(x!, v => { const sg = 1 / (1 + Math.exp(-v)); return sg * (1 + v * (1 - sg)); }))],
});
/** MindSpore's Mish primitive: x·tanh(softplus(x)), in float64 and rounded once; d/dx = t + x·(1 − t²)·sigmoid(x), t = tanh(softplus(x)). */
const softplus64 = (v: number): number => (v > 20 ? v : Math.log1p(Math.exp(v)));
export const Mish = unary('Mish', v => v * Math.tanh(softplus64(v)), x => { const t = Math.tanh(softplus64(x)); return t + x * (1 - t * t) / (1 + Math.exp(-x)); });
export const Floor = unary('Floor', Math.floor, undefined, 'piecewise constant');
export const Ceil = unary('Ceil', Math.ceil, undefined, 'piecewise constant');
export const Softplus = unary('Softplus', v => (v > 20 ? v : Math.log1p(Math.exp(v))), x => 1 / (1 + Math.exp(-x)));
export const Not = unary('Not', v => (v ? 0 : 1), undefined, 'boolean');
/** ops.isnan: a bool Tensor, true where the input is NaN. */
export const IsNan = defineOp({ name: 'IsNan', forward: ([x]) => unaryMap(x!, v => (v !== v ? 1 : 0), 'bool'), noGrad: 'boolean' });

/** alpha is a float32 attribute in MindSpore: x·float32(alpha), rounded once (conformance: nn.LeakyReLU, ops.leaky_relu). */
export const LeakyRelu = defineOp<{ alpha: number }>({
  name: 'LeakyRelu',
  forward: ([x], { alpha }) => { const a = Math.fround(alpha); return unaryMap(x!, v => (v >= 0 ? v : a * v), x!.dtype, leakyReluLoop, a); },
  backward: (dy, [x], _y, { alpha }) => { const a = Math.fround(alpha); return [mul(dy, unaryMap(x!, v => (v >= 0 ? 1 : a)))]; },
});
export const Elu = defineOp<{ alpha: number }>({
  name: 'Elu',
  forward: ([x], { alpha }) => unaryMap(x!, v => (v > 0 ? v : alpha * Math.expm1(v))),
  backward: (dy, [x], _y, { alpha }) => [mul(dy, unaryMap(x!, v => (v > 0 ? 1 : alpha * Math.exp(v))))],
});
/** ONNX HardSigmoid: max(0, min(1, alpha*x + beta)); MindSpore HSigmoid is alpha=1/6, beta=0.5. */
export const HardSigmoid = defineOp<{ alpha: number; beta: number }>({
  name: 'HardSigmoid',
  forward: ([x], { alpha, beta }) => unaryMap(x!, v => Math.max(0, Math.min(1, alpha * v + beta)), x!.dtype,
    hardSigmoidLoop, alpha, beta),
  backward: (dy, [x], _y, { alpha, beta }) => [mul(dy, unaryMap(x!, v => { const t = alpha * v + beta; return t > 0 && t < 1 ? alpha : 0; }))],
});
/** x * relu6(x + 3) / 6 (MindSpore HSwish, ONNX HardSwish). */
export const HardSwish = defineOp({
  name: 'HardSwish',
  forward: ([x]) => unaryMap(x!, v => (v === -Infinity ? 0 : v * Math.max(0, Math.min(1, v / 6 + 0.5))), x!.dtype,
    hardSwishLoop),
  backward: (dy, [x]) => [mul(dy, unaryMap(x!, v => (v < -3 ? 0 : v > 3 ? 1 : v / 3 + 0.5)))],
});
/**
 * Clip to [min, max] as MindSpore 2.10 clamps: t = min < x ? x : min, then max < t ? max : t — so NaN becomes min and
 * clamp(−0, 0, 6) is +0 (conformance: relu6 and clamp on special values). `nanTo` overrides what NaN becomes (ops.clamp
 * with only a max gives the max).
 */
export const Clip = defineOp<{ min: number; max: number; nanTo?: number }>({
  name: 'Clip',
  forward: ([x], { min, max, nanTo }) => {
    const y = isF32(x!)
      ? new Tensor(kernels.clip(x!.data as Float32Array, min, max), x!.shape, x!.dtype)
      : unaryMap(x!, v => { const t = min < v ? v : min; return max < t ? max : t; });
    if (nanTo !== undefined) { const xs = x!.data as Float32Array, d = y.data as Float32Array; for (let i = 0; i < d.length; i++) if (xs[i] !== xs[i]) d[i] = nanTo; }
    return y;
  },
  backward: (dy, [x], _y, { min, max }) => [mul(dy, unaryMap(x!, v => (v >= min && v <= max ? 1 : 0)))],
});
export const Where = defineOp({
  name: 'Where',
  forward: ([c, a, b]) => {
    const shape = broadcastShapes(broadcastShapes(c!.shape, a!.shape, 'Where'), b!.shape, 'Where');
    const dt = resultDType(a!, b!, 'Where');
    const [C, A, B] = [expandTo(c!, shape), expandTo(a!, shape), expandTo(b!, shape)];
    const out = Tensor.zeros(shape, dt);
    for (let i = 0; i < out.size; i++) out.data[i] = C.data[i] ? A.data[i]! : B.data[i]!;
    return out;
  },
  backward: (dy, [c, a, b]) => {
    const take = (keep: boolean, like: Tensor): Tensor => sumToShape(binaryMap(dy, expandTo(c!, dy.shape), (g, m) => ((m ? 1 : 0) === (keep ? 1 : 0) ? g : 0), 'Where', dy.dtype), like.shape);
    return [null, take(true, a!), take(false, b!)];
  },
});

/** Cast, with float16 emulated by rounding each value to binary16 (MindSpore's to_float(float16) cast points). */
export const Cast = defineOp<{ to: DType }>({
  name: 'Cast',
  forward: ([x], { to }) => {
    if (to === 'float16') return unaryMap(x!, roundToFloat16, 'float16');
    if (to === 'bool') return unaryMap(x!, v => (v ? 1 : 0), 'bool');
    if (!isFloat(to)) return unaryMap(x!, Math.trunc, to);
    return unaryMap(x!, v => v, to, copyLoop);
  },
  backward: (dy, [x]) => [isFloat(x!.dtype) ? apply('Cast', [dy], { to: x!.dtype }) : null],
});

/** Integer/float remainder: fmod=0 takes the divisor's sign (Python %, torch.remainder), fmod=1 the dividend's (C fmod). */
export const Mod = defineOp<{ fmod: boolean }>({
  name: 'Mod',
  forward: ([a, b], { fmod }) => binaryMap(a!, b!, fmod ? (x, y) => x % y : (x, y) => { const r = x % y; return r !== 0 && (r < 0) !== (y < 0) ? r + y : r; }, 'Mod', resultDType(a!, b!, 'Mod')),
  // a − q·b with q = trunc(a/b) (fmod) or floor(a/b) (remainder) piecewise constant: ∂/∂a = 1, ∂/∂b = −q
  backward: (dy, [a, b], _y, { fmod }) => [
    sumToShape(dy, a!.shape),
    sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => -(fmod ? Math.trunc(x / y) : Math.floor(x / y)), 'Mod')), b!.shape),
  ],
});

export const elementwiseOps = [Mod, 
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, Equal, Less, Greater,
  Neg, Abs, Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Erf, GeLU, SiLU, Mish, Floor, Ceil, Softplus, Not,
  LeakyRelu, Elu, HardSigmoid, HardSwish, Clip, Where, Cast, IsNan,
];
