import { DType, isFloat, roundToFloat16 } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { apply } from '../autograd.js';
import { binaryMap, broadcastShapes, expandTo, sumToShape, unaryMap } from './broadcast.js';
import { defineOp, OpDef } from './registry.js';
import { erf } from './math.js';

/** Result dtype of a binary op: MindSpore promotes int with float to float; otherwise operands must agree. */
function resultDType(a: Tensor, b: Tensor, name: string): DType {
  if (a.dtype === b.dtype) return a.dtype;
  if (isFloat(a.dtype) && !isFloat(b.dtype)) return a.dtype;
  if (isFloat(b.dtype) && !isFloat(a.dtype)) return b.dtype;
  if (a.dtype === 'float16' || b.dtype === 'float16') return 'float32';
  throw new Error(`${name}: operand dtypes ${a.dtype} and ${b.dtype} differ`);
}

const mul = (a: Tensor, b: Tensor): Tensor => apply('Mul', [a, b]);
const scalarLike = (v: number, t: Tensor): Tensor => Tensor.scalar(v, t.dtype);

const binary = (name: string, fn: (x: number, y: number) => number, backward: OpDef['backward']): OpDef =>
  defineOp({ name, forward: ([a, b]) => binaryMap(a!, b!, fn, name, resultDType(a!, b!, name)), backward });

const intDiv = (x: number, y: number): number => Math.trunc(x / y);

export const Add = binary('Add', (x, y) => x + y, (dy, [a, b]) => [sumToShape(dy, a!.shape), sumToShape(dy, b!.shape)]);
export const Sub = binary('Sub', (x, y) => x - y, (dy, [a, b]) => [sumToShape(dy, a!.shape), sumToShape(apply('Neg', [dy]), b!.shape)]);
export const Mul = binary('Mul', (x, y) => x * y, (dy, [a, b]) => [sumToShape(mul(dy, b!), a!.shape), sumToShape(mul(dy, a!), b!.shape)]);
export const Div = defineOp({
  name: 'Div',
  forward: ([a, b]) => {
    const dt = resultDType(a!, b!, 'Div');
    return binaryMap(a!, b!, isFloat(dt) ? (x, y) => x / y : intDiv, 'Div', dt);
  },
  backward: (dy, [a, b], out) => [
    sumToShape(apply('Div', [dy, b!]), a!.shape),
    sumToShape(apply('Neg', [mul(dy, apply('Div', [out, b!]))]), b!.shape),
  ],
});
export const Pow = binary('Pow', (x, y) => Math.pow(x, y), (dy, [a, b], out) => [
  sumToShape(mul(dy, mul(b!, apply('Pow', [a!, apply('Sub', [b!, scalarLike(1, b!)])]))), a!.shape),
  sumToShape(mul(dy, mul(out, apply('Log', [a!]))), b!.shape),
]);
export const Maximum = binary('Maximum', Math.max, (dy, [a, b]) => [
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x >= y ? 1 : 0), 'Maximum')), a!.shape),
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x >= y ? 0 : 1), 'Maximum')), b!.shape),
]);
export const Minimum = binary('Minimum', Math.min, (dy, [a, b]) => [
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x <= y ? 1 : 0), 'Minimum')), a!.shape),
  sumToShape(mul(dy, binaryMap(a!, b!, (x, y) => (x <= y ? 0 : 1), 'Minimum')), b!.shape),
]);

const compare = (name: string, fn: (x: number, y: number) => boolean): OpDef =>
  defineOp({ name, forward: ([a, b]) => binaryMap(a!, b!, (x, y) => (fn(x, y) ? 1 : 0), name, 'bool'), noGrad: 'comparison: piecewise constant' });
export const Equal = compare('Equal', (x, y) => x === y);
export const Less = compare('Less', (x, y) => x < y);
export const Greater = compare('Greater', (x, y) => x > y);

/** Unary op whose derivative is expressed through its input x and output y. */
const unary = (name: string, fn: (v: number) => number, dfn?: (x: number, y: number) => number, noGrad?: string): OpDef =>
  defineOp({
    name,
    forward: ([x]) => unaryMap(x!, fn),
    backward: dfn ? (dy, [x], y) => [mul(dy, binaryMap(x!, y, dfn, name))] : undefined,
    noGrad,
  });

export const Neg = unary('Neg', v => -v, () => -1);
export const Abs = unary('Abs', Math.abs, x => Math.sign(x));
export const Relu = unary('Relu', v => (v > 0 ? v : 0), x => (x > 0 ? 1 : 0));
export const Sigmoid = unary('Sigmoid', v => 1 / (1 + Math.exp(-v)), (_x, y) => y * (1 - y));
export const Tanh = unary('Tanh', Math.tanh, (_x, y) => 1 - y * y);
export const Exp = unary('Exp', Math.exp, (_x, y) => y);
export const Log = unary('Log', Math.log, x => 1 / x);
export const Sqrt = unary('Sqrt', Math.sqrt, (_x, y) => 0.5 / y);
export const Reciprocal = unary('Reciprocal', v => 1 / v, x => -1 / (x * x));
export const Erf = unary('Erf', erf, x => 1.1283791670955126 * Math.exp(-x * x));
export const Floor = unary('Floor', Math.floor, undefined, 'piecewise constant');
export const Ceil = unary('Ceil', Math.ceil, undefined, 'piecewise constant');
export const Softplus = unary('Softplus', v => (v > 20 ? v : Math.log1p(Math.exp(v))), x => 1 / (1 + Math.exp(-x)));
export const Not = unary('Not', v => (v ? 0 : 1), undefined, 'boolean');

export const LeakyRelu = defineOp<{ alpha: number }>({
  name: 'LeakyRelu',
  forward: ([x], { alpha }) => unaryMap(x!, v => (v >= 0 ? v : alpha * v)),
  backward: (dy, [x], _y, { alpha }) => [mul(dy, unaryMap(x!, v => (v >= 0 ? 1 : alpha)))],
});
export const Elu = defineOp<{ alpha: number }>({
  name: 'Elu',
  forward: ([x], { alpha }) => unaryMap(x!, v => (v > 0 ? v : alpha * Math.expm1(v))),
  backward: (dy, [x], _y, { alpha }) => [mul(dy, unaryMap(x!, v => (v > 0 ? 1 : alpha * Math.exp(v))))],
});
/** ONNX HardSigmoid: max(0, min(1, alpha*x + beta)); MindSpore HSigmoid is alpha=1/6, beta=0.5. */
export const HardSigmoid = defineOp<{ alpha: number; beta: number }>({
  name: 'HardSigmoid',
  forward: ([x], { alpha, beta }) => unaryMap(x!, v => Math.max(0, Math.min(1, alpha * v + beta))),
  backward: (dy, [x], _y, { alpha, beta }) => [mul(dy, unaryMap(x!, v => { const t = alpha * v + beta; return t > 0 && t < 1 ? alpha : 0; }))],
});
/** x * relu6(x + 3) / 6 (MindSpore HSwish, ONNX HardSwish). */
export const HardSwish = defineOp({
  name: 'HardSwish',
  forward: ([x]) => unaryMap(x!, v => v * Math.max(0, Math.min(1, v / 6 + 0.5))),
  backward: (dy, [x]) => [mul(dy, unaryMap(x!, v => (v < -3 ? 0 : v > 3 ? 1 : v / 3 + 0.5)))],
});
export const Clip = defineOp<{ min: number; max: number }>({
  name: 'Clip',
  forward: ([x], { min, max }) => unaryMap(x!, v => (v < min ? min : v > max ? max : v)),
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
    return unaryMap(x!, v => v, to);
  },
  backward: (dy, [x]) => [isFloat(x!.dtype) ? apply('Cast', [dy], { to: x!.dtype }) : null],
});

/** Integer/float remainder: fmod=0 takes the divisor's sign (Python %, torch.remainder), fmod=1 the dividend's (C fmod). */
export const Mod = defineOp<{ fmod: boolean }>({
  name: 'Mod',
  forward: ([a, b], { fmod }) => binaryMap(a!, b!, fmod ? (x, y) => x % y : (x, y) => { const r = x % y; return r !== 0 && (r < 0) !== (y < 0) ? r + y : r; }, 'Mod', resultDType(a!, b!, 'Mod')),
  noGrad: 'piecewise; its gradient is not needed by any training path yet',
});

export const elementwiseOps = [Mod, 
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, Equal, Less, Greater,
  Neg, Abs, Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Erf, Floor, Ceil, Softplus, Not,
  LeakyRelu, Elu, HardSigmoid, HardSwish, Clip, Where, Cast,
];
