/** ONNX elementwise ops → mindspore.ops functions. */
import * as ops from '../../runtime/functional.js';
import { Tensor } from '../../runtime/tensor.js';
import { onnxDType } from '../proto.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail, op } from '../handler.js';
import * as nn from '../../runtime/nn/index.js';
import { cellStep } from './bind.js';
import { call, msDtype, operand } from './py.js';
import type { PyWriter } from '../handler.js';
import { isInt } from '../../runtime/dtype.js';

/** `ops.name(args…)`, the name read off the MindSpore API the step runs */
const fnCall = (ms: string): PyWriter => xs => call(ms.replace(/^mindspore\./, ''), ...xs.filter(x => x.given).map(x => x.expr));
const infix = (sym: string): PyWriter => ([a, b]) => `${operand(a!)} ${sym} ${operand(b!)}`;
const unary = (opType: string, ms: string, f: (x: Tensor) => Tensor, py: PyWriter = fnCall(ms)): OnnxOpHandler =>
  ({ opType, versions: { 1: () => op(ms, ([x]) => f(x!), py) } });
const binary = (opType: string, ms: string, f: (a: Tensor, b: Tensor) => Tensor, py: PyWriter = fnCall(ms)): OnnxOpHandler =>
  ({ opType, versions: { 1: () => op(ms, ([a, b]) => f(a!, b!), py) } });
const variadic = (opType: string, ms: string, f: (a: Tensor, b: Tensor) => Tensor): OnnxOpHandler =>
  ({ opType, versions: { 1: () => op(ms, xs => xs.filter((x): x is Tensor => !!x).reduce((a, b) => f(a, b)),
    xs => xs.filter(x => x.given).map(x => x.expr).reduce((a, b) => call(ms.replace(/^mindspore\./, ''), a, b))) } });

/** ONNX Div truncates integers; Python's `/` on MindSpore integer Tensors would not */
function div(ctx: BuildCtx): Built {
  const known = ctx.dtype(0) ?? ctx.dtype(1);
  return op('mindspore.ops.div', ([a, b]) => ops.div(a!, b!), ([a, b]) => {
    const d = known ?? a!.dtype ?? a!.value?.dtype ?? b!.dtype ?? b!.value?.dtype;
    if (!d) throw new Error("a Div whose operands' dtype is unknown");
    return isInt(d) ? `ops.div(${a!.expr}, ${b!.expr}, rounding_mode='trunc')` : infix('/')([a!, b!]);
  });
}

function cast(ctx: BuildCtx): Built {
  const to = onnxDType(attr<number>(ctx.node, 'to', 1), `node ${ctx.node.name} Cast`);
  return op('mindspore.ops.cast', ([x]) => ops.cast(x!, to), ([x]) => `ops.cast(${x!.expr}, ${msDtype(to)})`);
}

export const elementwiseHandlers: OnnxOpHandler[] = [
  binary('Add', 'mindspore.ops.add', ops.add, infix('+')),
  binary('Sub', 'mindspore.ops.sub', ops.sub, infix('-')),
  binary('Mul', 'mindspore.ops.mul', ops.mul, infix('*')),
  { opType: 'Div', versions: { 1: div } },
  binary('Pow', 'mindspore.ops.pow', ops.pow),
  binary('Equal', 'mindspore.ops.equal', ops.equal),
  binary('Less', 'mindspore.ops.less', ops.less),
  binary('Greater', 'mindspore.ops.greater', ops.greater),
  variadic('Max', 'mindspore.ops.maximum', ops.maximum),
  variadic('Min', 'mindspore.ops.minimum', ops.minimum),
  variadic('Sum', 'mindspore.ops.add', ops.add),
  unary('Sqrt', 'mindspore.ops.sqrt', ops.sqrt),
  unary('Erf', 'mindspore.ops.erf', ops.erf),
  unary('Exp', 'mindspore.ops.exp', ops.exp),
  unary('Log', 'mindspore.ops.log', ops.log),
  unary('Neg', 'mindspore.ops.neg', ops.neg, ([x]) => `-${x!.expr}`),
  unary('Abs', 'mindspore.ops.abs', ops.abs),
  unary('Reciprocal', 'mindspore.ops.reciprocal', ops.reciprocal),
  unary('Floor', 'mindspore.ops.floor', ops.floor),
  unary('Ceil', 'mindspore.ops.ceil', ops.ceil),
  unary('Softplus', 'mindspore.ops.softplus', ops.softplus),
  unary('Not', 'mindspore.ops.logical_not', ops.logicalNot),
  unary('IsNaN', 'mindspore.ops.isnan', ops.isnan),
  // torch.gather → ops.gather_elements(input, dim, index)
  { opType: 'GatherElements', versions: { 11: ctx => { const axis = attr<number>(ctx.node, 'axis', 0); return op('mindspore.ops.gather_elements', ([x, idx]) => ops.gatherElements(x!, axis, idx!), ([x, i]) => `ops.gather_elements(${x!.expr}, ${axis}, ${i!.expr})`); } } },
  unary('Identity', 'mindspore.ops.identity', x => x, ([x]) => x!.expr),
  { opType: 'Where', versions: { 9: () => op('mindspore.ops.where', ([c, a, b]) => ops.where(c!, a!, b!), fnCall('ops.where')) } },
  // nn.ELU at alpha 1; MindSpore 2.10 refuses any other alpha, so that ELU is composed with ops.where
  { opType: 'Elu', versions: { 1: ctx => { const alpha = attr<number>(ctx.node, 'alpha', 1); return alpha === 1 ? cellStep(ctx, 'torch.nn.ELU', new nn.ELU(), []) : op('mindspore.ops.where', ([x]) => ops.eluAnyAlpha(x!, alpha), ([x]) => `ops.where(${x!.expr} > 0, ${x!.expr}, ${alpha} * (ops.exp(${x!.expr}) - 1))`); } } },
  { opType: 'Cast', versions: { 1: cast } },
  // CastLike (opset 15): cast to the dtype of the second input; torch 2.9+ exports write it (MindSpore: ops.cast)
  // The second input lends only its dtype: when the graph states it, the cast does not wait for the value (torch 2.9+'s
  // optimize=False export builds a bias-less Conv's zero bias as CastLike(0, x), which then folds at import).
  { opType: 'CastLike', versions: { 15: ctx => {
    const to = ctx.dtype(1);
    return to ? { ...op('mindspore.ops.cast', ([x]) => ops.cast(x!, to), ([x]) => `ops.cast(${x!.expr}, ${msDtype(to)})`), reads: [0] }
      : op('mindspore.ops.cast', ([x, like]) => ops.cast(x!, like!.dtype), ([x, like]) => `ops.cast(${x!.expr}, ${like!.expr}.dtype)`);
  } } },
  { opType: 'Mod', versions: { 10: ctx => attr<number>(ctx.node, 'fmod', 0) ? op('mindspore.ops.fmod', ([a, b]) => ops.fmod(a!, b!), fnCall('ops.fmod')) : op('mindspore.ops.remainder', ([a, b]) => ops.remainder(a!, b!), fnCall('ops.remainder')) } },
  { opType: 'Einsum', versions: { 12: ctx => { const eq = attr<string>(ctx.node, 'equation', ''); return op('mindspore.ops.einsum', xs => ops.einsum(eq, ...xs.filter((x): x is Tensor => !!x)), xs => `ops.einsum('${eq}', ${xs.filter(x => x.given).map(x => x.expr).join(', ')})`); } } },
  { opType: 'ScatterND', versions: { 11: ctx => {
    if (attr<string>(ctx.node, 'reduction', 'none') !== 'none') fail(ctx.node, `ScatterND reduction '${attr<string>(ctx.node, 'reduction', '')}' is not supported`);
    return op('mindspore.ops.tensor_scatter_update', ([x, i, u]) => ops.tensorScatterUpdate(x!, i!, u!), fnCall('ops.tensor_scatter_update'));
  } } },
];
