/** ONNX ops that become MindSpore nn Cells when their weights are constants. */
import { ExternalTensor } from '../proto.js';
import * as nn from '../../runtime/nn/index.js';
import * as ops from '../../runtime/functional.js';
import { Tensor } from '../../runtime/tensor.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail, op } from '../handler.js';
import { cellStep } from './bind.js';
import { toKernelMemory } from '../../runtime/kernels/index.js';
import { shortestFloat32 } from './util.js';
import { conv3d } from './spatial.js';

/** ONNX pads are (x1_begin, x2_begin, x1_end, x2_end); MindSpore Conv2d wants (top, bottom, left, right). */
const onnxPadsToMs = (p: number[]): [number, number, number, number] => [p[0]!, p[2]!, p[1]!, p[3]!];

function conv(ctx: BuildCtx): Built {
  const { node } = ctx;
  const w = ctx.constant(1);
  const autoPad = attr<string>(node, 'auto_pad', 'NOTSET');
  const group = attr<number>(node, 'group', 1);
  const rank = w?.ndim ?? ctx.rank(1);
  const k = attr<number[]>(node, 'kernel_shape') ?? w?.shape.slice(2);
  if (k && k.length === 3 && w) return conv3d(ctx);
  if (!k || (k.length !== 1 && k.length !== 2)) fail(node, `only 1-D, 2-D and 3-D convolutions are supported (kernel ${k ? `[${k}]` : 'unknown'})`);
  const nd = k.length;
  const strides = attr<number[]>(node, 'strides', Array(nd).fill(1));
  const dil = attr<number[]>(node, 'dilations', Array(nd).fill(1));
  const pads = attr<number[]>(node, 'pads', Array(2 * nd).fill(0));
  if (autoPad === 'SAME_LOWER') fail(node, "auto_pad SAME_LOWER has no MindSpore pad_mode (MindSpore 'same' pads the end)");
  // torch 2.9+'s optimize=False export gives a bias-less Conv a bias of zeros built at run time (CastLike, Expand):
  // once folded it is no state_dict tensor, and the PyTorch module had bias=False
  const zeroBias = ctx.hasInput(2) && !ctx.isInitializer(2) && !!ctx.constant(2)?.toArray().every(v => v === 0);
  const hasBias = ctx.hasInput(2) && !zeroBias;
  const padMode = autoPad === 'SAME_UPPER' ? 'same' : autoPad === 'VALID' ? 'valid' : 'pad';
  if (!w || (hasBias && !ctx.constant(2)) || rank === undefined) {
    if (nd !== 2) fail(node, 'a 1-D convolution with non-constant weights is not supported');
    if (padMode !== 'pad') fail(node, 'auto_pad with non-constant weights is not supported');
    return op('mindspore.ops.conv2d', ([x, wt, b]) => ops.conv2d(x!, wt!, b ?? null, { stride: [strides[0]!, strides[1]!], padding: onnxPadsToMs(pads), dilation: [dil[0]!, dil[1]!], group }));
  }
  const [cout, cinG] = w.shape as [number, number];
  const weights: [number, string][] = hasBias ? [[1, 'weight'], [2, 'bias']] : [[1, 'weight']];
  const api = nd === 2 ? 'torch.nn.Conv2d' : 'torch.nn.Conv1d';
  // each argument whose MindSpore default differs is passed explicitly, unless a report asks to measure the default
  const keepPadMode = ctx.keepMsDefault(api, 'pad_mode'), keepBias = ctx.keepMsDefault(api, 'has_bias');
  const bias = hasBias && !keepBias;
  const w2 = bias ? weights : weights.filter(([, p]) => p !== 'bias');
  const msPadding = ctx.keepMsDefault(api, 'padding') ? [pads[0]!, pads[1]!, pads[2]!, pads[3]!] : onnxPadsToMs(pads);
  if (nd === 2) {
    const cell = new nn.Conv2d(cinG * group, cout, [k[0]!, k[1]!], keepPadMode
      ? { stride: strides, dilation: dil, group, hasBias: bias }
      : { stride: strides, padMode, padding: padMode === 'pad' ? compact(msPadding) : 0, dilation: dil, group, hasBias: bias });
    return cellStep(ctx, api, cell, w2);
  }
  const cell = new nn.Conv1d(cinG * group, cout, k[0]!, keepPadMode
    ? { stride: strides[0], dilation: dil[0], group, hasBias: bias }
    : { stride: strides[0], padMode, padding: padMode === 'pad' ? [pads[0]!, pads[1]!] : 0, dilation: dil[0], group, hasBias: bias });
  // the PyTorch/ONNX weight [out, in/group, k] gains MindSpore's height axis: [out, in/group, 1, k]
  const w1d: [number, string, Tensor?][] = w2.map(([i, p]) => (p === 'weight' ? [i, p, w.view([cout, cinG, 1, k[0]!])] : [i, p]));
  return cellStep(ctx, api, cell, w1d);
}

function inKernelMemory(t: Tensor): Tensor {
  return t.data instanceof Float32Array ? new Tensor(toKernelMemory(t.data), t.shape, t.dtype) : t;
}

/** Gemm with a constant [out, in] weight (transB=1, the nn.Linear export) is nn.Dense; anything else stays functional. */
function gemm(ctx: BuildCtx): Built {
  const { node } = ctx;
  const alpha = attr<number>(node, 'alpha', 1), beta = attr<number>(node, 'beta', 1);
  const transA = attr<number>(node, 'transA', 0), transB = attr<number>(node, 'transB', 0);
  const w = ctx.constant(1), c = ctx.hasInput(2) ? ctx.constant(2) : undefined;
  const biasOk = !ctx.hasInput(2) || (c !== undefined && (c.ndim === 1 || (c.ndim === 2 && c.shape[0] === 1)));
  if (w && w.ndim === 2 && transA === 0 && alpha === 1 && (beta === 1 || !ctx.hasInput(2)) && biasOk) {
    // transB=0 stores the weight as [in, out]; MindSpore Dense keeps [out, in], so transpose once at import, into
    // kernel memory beside the file's other weights (else every product would copy it in again)
    // (an external-data weight is read straight into kernel memory and transposed there: no copy through JS memory)
    const weight = transB ? w : (w instanceof ExternalTensor ? w.transposedInKernelMemory() : null) ?? inKernelMemory(ops.transpose(w, [1, 0]));
    const [outF, inF] = weight.shape as [number, number];
    const cell = new nn.Dense(inF, outF, { hasBias: !!c });
    const weights: [number, string, Tensor?][] = [[1, 'weight', weight]];
    if (c) weights.push([2, 'bias', c.view([outF])]);
    return cellStep(ctx, 'torch.nn.Linear', cell, weights);
  }
  return op('mindspore.ops.matmul', ([a, b, bias]) => {
    let y = ops.matmul(transA ? ops.transpose(a!, [1, 0]) : a!, transB ? ops.transpose(b!, [1, 0]) : b!);
    if (alpha !== 1) y = ops.mul(y, alpha);
    if (bias) y = ops.add(y, beta !== 1 ? ops.mul(bias, beta) : bias);
    return y;
  }, ([a, b, bias]) => {
    const t = (v: string, tr: number) => (tr ? `ops.transpose(${v}, (1, 0))` : v);
    let y = `ops.matmul(${t(a!.expr, transA)}, ${t(b!.expr, transB)})`;
    if (alpha !== 1) y = `${y} * ${alpha}`;
    return bias?.given ? `${y} + ${beta !== 1 ? `${bias.expr} * ${beta}` : bias.expr}` : y;
  });
}

function batchNorm(ctx: BuildCtx): Built {
  const { node } = ctx;
  const training = attr<number>(node, 'training_mode', 0) === 1 || (ctx.opset < 9 && node.outputs.slice(1).some(o => o));
  const eps = shortestFloat32(attr<number>(node, 'epsilon', 1e-5));
  // ONNX momentum already has MindSpore's meaning (moving = moving·m + batch·(1 − m)); the exporter writes 1 − torch momentum
  const momentum = shortestFloat32(attr<number>(node, 'momentum', 0.9));
  const scale = ctx.constant(1);
  if (!scale || [2, 3, 4].some(i => !ctx.constant(i))) {
    return op('mindspore.ops.batch_norm', ([x, g, b, m, v]) => ops.batchNormInference(x!, g!, b!, m!, v!, eps));
  }
  const rank = ctx.rank(0);
  const Ctor = rank !== undefined && rank < 4 ? nn.BatchNorm1d : nn.BatchNorm2d;
  const api = rank !== undefined && rank < 4 ? 'torch.nn.BatchNorm1d' : 'torch.nn.BatchNorm2d';
  const cell = new Ctor(scale.shape[0]!, ctx.keepMsDefault(api, 'momentum') ? { eps } : { eps, momentum });
  const built = cellStep(ctx, api, cell, [[1, 'weight'], [2, 'bias'], [3, 'running_mean'], [4, 'running_var']]);
  if (!training || built.kind !== 'cell') return built;
  // training mode: batch statistics, and the updated running statistics as extra outputs. The step stays pure (the
  // graph computes new statistics from the initializers each run), so the Cell's moving statistics are restored.
  cell.setTrain(true);
  return {
    ...built,
    wrap: call => xs => {
      const mean = cell.moving_mean.data, variance = cell.moving_variance.data;
      try {
        const [y] = call(xs);
        return [y!, new Tensor(cell.moving_mean.data, cell.moving_mean.shape, cell.moving_mean.dtype), new Tensor(cell.moving_variance.data, cell.moving_variance.shape, cell.moving_variance.dtype)];
      } finally {
        cell.moving_mean.data = mean;
        cell.moving_variance.data = variance;
      }
    },
  };
}

/** An int when every entry is the same (MindSpore's repr prints arguments as given, and msport's calls write them so). */
const compact = (a: readonly number[]): number | number[] => (a.every(v => v === a[0]) ? a[0]! : [...a]);

function poolAttrs(ctx: BuildCtx) {
  const { node } = ctx;
  const k = attr<number[]>(node, 'kernel_shape');
  if (!k || k.length !== 2) fail(node, `only 2-D pooling is supported (kernel ${k ? `[${k}]` : 'missing'})`);
  if (attr<string>(node, 'auto_pad', 'NOTSET') !== 'NOTSET') fail(node, 'auto_pad on pooling is not supported');
  if (node.outputs.length > 1 && node.outputs[1]) fail(node, 'MaxPool with an Indices output is not supported');
  const strides = attr<number[]>(node, 'strides', [1, 1]);
  const pads = attr<number[]>(node, 'pads', [0, 0, 0, 0]);
  const dil = attr<number[]>(node, 'dilations', [1, 1]);
  const ceil = attr<number>(node, 'ceil_mode', 0) === 1;
  return { k: k as [number, number], strides: strides as [number, number], pads, dil: dil as [number, number], ceil };
}

function pool(kind: 'max' | 'avg') {
  return (ctx: BuildCtx): Built => {
    const { k, strides, pads, dil, ceil } = poolAttrs(ctx);
    const countIncludePad = attr<number>(ctx.node, 'count_include_pad', 0) === 1;
    const symmetric = pads[0] === pads[2] && pads[1] === pads[3];
    if (!symmetric) {
      // MindSpore's pooling Cells take symmetric (H, W) padding only
      const a = { kernel: k, stride: strides, padding: onnxPadsToMs(pads), dilation: dil, ceilMode: ceil, countIncludePad };
      return op(kind === 'max' ? 'mindspore.ops.max_pool2d' : 'mindspore.ops.avg_pool2d', ([x]) => (kind === 'max' ? ops.maxPool2d(x!, a) : ops.avgPool2d(x!, a)));
    }
    // torch.nn.AdaptiveMaxPool2d on an input its output size divides is exported as this MaxPool: the module's Cell
    // takes the output size, which the static input shape gives
    const padded = pads.some(p => p !== 0) || ceil;
    const inShape = ctx.staticShape(0);
    if (kind === 'max' && ctx.moduleApi() === 'torch.nn.AdaptiveMaxPool2d' && inShape?.length === 4 && !padded && dil.every(d => d === 1)) {
      const [h, w] = [inShape[2], inShape[3]];
      if (typeof h === 'number' && typeof w === 'number' && h % strides[0] === 0 && w % strides[1] === 0 && k[0] === strides[0] && k[1] === strides[1]) {
        return cellStep(ctx, 'torch.nn.AdaptiveMaxPool2d', new nn.AdaptiveMaxPool2d(compact([h / k[0], w / k[1]]) as number | [number, number]), []);
      }
    }
    const api = kind === 'max' ? 'torch.nn.MaxPool2d' : 'torch.nn.AvgPool2d';
    const opts = ctx.keepMsDefault(api, 'pad_mode') ? { dilation: dil }
      : { padMode: padded ? 'pad' as const : 'valid' as const, padding: [pads[0]!, pads[1]!] as [number, number], dilation: dil, ceilMode: ceil };
    const stride = ctx.keepMsDefault(api, 'stride') ? undefined : strides;
    // compact (an int when both dims agree): the Cell holds its arguments as the printed call writes them
    const kc = compact(k) as number | [number, number], sc = stride && (compact(stride) as number | [number, number]);
    if (kind === 'max') return cellStep(ctx, api, new nn.MaxPool2d(kc, sc, opts), []);
    if (dil.some(d => d !== 1)) fail(ctx.node, 'AveragePool with dilations is not supported');
    return cellStep(ctx, api, new nn.AvgPool2d(kc, sc, { ...opts, countIncludePad }), []);
  };
}

function globalPool(kind: 'max' | 'avg') {
  return (ctx: BuildCtx): Built => {
    const rank = ctx.rank(0);
    if (rank === undefined || rank === 4) {
      return kind === 'avg'
        ? cellStep(ctx, 'torch.nn.AdaptiveAvgPool2d', new nn.AdaptiveAvgPool2d(1), [])
        : cellStep(ctx, 'torch.nn.AdaptiveMaxPool2d', new nn.AdaptiveMaxPool2d(1), []);
    }
    return op(kind === 'avg' ? 'mindspore.ops.mean' : 'mindspore.ops.amax', ([x]) => {
      const axes = [...Array(x!.ndim - 2).keys()].map(i => i + 2);
      return kind === 'avg' ? ops.mean(x!, axes, true) : ops.amax(x!, axes, true);
    });
  };
}

const simple = (api: 'torch.nn.ReLU' | 'torch.nn.Sigmoid' | 'torch.nn.Tanh' | 'torch.nn.Hardswish' | 'torch.nn.Identity' | 'torch.nn.Mish', Ctor: new () => nn.Cell) =>
  (ctx: BuildCtx): Built => cellStep(ctx, api, new Ctor(), []);

function hardSigmoid(ctx: BuildCtx): Built {
  const alpha = attr<number>(ctx.node, 'alpha', 0.2), beta = attr<number>(ctx.node, 'beta', 0.5);
  // PyTorch's Hardsigmoid exports alpha=1/6 (as float32), which is MindSpore's HSigmoid
  if (Math.abs(alpha - 1 / 6) < 1e-7 && beta === 0.5) return cellStep(ctx, 'torch.nn.Hardsigmoid', new nn.HSigmoid(), []);
  return op('mindspore.ops.hardsigmoid', ([x]) => ops.clamp(ops.add(ops.mul(x!, alpha), beta), 0, 1), ([x]) => `ops.clamp(${x!.expr} * ${alpha} + ${beta}, 0.0, 1.0)`);
}

function clipValue(ctx: BuildCtx, i: number, attrName: string, fallback: number): number | undefined {
  if (ctx.opset < 11) return attr<number>(ctx.node, attrName, fallback);
  if (!ctx.hasInput(i)) return fallback;
  const t = ctx.constant(i);
  return t ? t.item() : undefined;
}

function clip(ctx: BuildCtx): Built {
  const lo = clipValue(ctx, 1, 'min', -Infinity), hi = clipValue(ctx, 2, 'max', Infinity);
  if (lo === 0 && hi === 6) return cellStep(ctx, 'torch.nn.ReLU6', new nn.ReLU6(), []);
  const bound = (v: number) => (Number.isFinite(v) ? String(v) : 'None');
  if (lo !== undefined && hi !== undefined) return op('mindspore.ops.clamp', ([x]) => ops.clamp(x!, lo, hi), ([x]) => `ops.clamp(${x!.expr}, ${bound(lo)}, ${bound(hi)})`);
  return op('mindspore.ops.clamp', ([x, a, b]) => ops.clamp(x!, a ? a.item() : -Infinity, b ? b.item() : Infinity));
}

function softmax(log: boolean, opset13: boolean) {
  return (ctx: BuildCtx): Built => {
    const axis = attr<number>(ctx.node, 'axis', opset13 ? -1 : 1);
    const fn = log ? ops.logSoftmax : ops.softmax;
    if (opset13 || axis === -1 || ctx.rank(0) === axis + 1) {
      return log ? cellStep(ctx, 'torch.nn.LogSoftmax', ctx.keepMsDefault('torch.nn.LogSoftmax', 'axis') ? new nn.LogSoftmax() : new nn.LogSoftmax(axis), [])
        : cellStep(ctx, 'torch.nn.Softmax', ctx.keepMsDefault('torch.nn.Softmax', 'axis') ? new nn.Softmax() : new nn.Softmax(axis), []);
    }
    // before opset 13 the input is coerced to 2-D at `axis` and normalised over the flattened tail
    return op(log ? 'mindspore.ops.log_softmax' : 'mindspore.ops.softmax', ([x]) => {
      const a = axis < 0 ? axis + x!.ndim : axis;
      const outer = x!.shape.slice(0, a).reduce((p, d) => p * d, 1);
      return ops.reshape(fn(ops.reshape(x!, [outer, x!.size / outer]), -1), x!.shape);
    });
  };
}

function flatten(ctx: BuildCtx): Built {
  const axis = attr<number>(ctx.node, 'axis', 1);
  if (axis === 1) return cellStep(ctx, 'torch.nn.Flatten', new nn.Flatten(), []);
  return op('mindspore.ops.reshape', ([x]) => {
    const a = axis < 0 ? axis + x!.ndim : axis;
    const outer = x!.shape.slice(0, a).reduce((p, d) => p * d, 1);
    return ops.reshape(x!, [outer, x!.size / outer]);
  });
}

function dropout(ctx: BuildCtx): Built {
  const ratio = ctx.opset >= 12 ? (ctx.hasInput(1) ? ctx.constant(1)?.item() ?? 0.5 : 0.5) : attr<number>(ctx.node, 'ratio', 0.5);
  // a train-mode export's Dropout (training_mode=true) is random: the Cell stays in predict phase and the reference
  // runs with it off too (compare/reference-model.ts); a port's Dropout is judged by its drop rate (port/dropout.ts)
  const cell = cellStep(ctx, 'torch.nn.Dropout', new nn.Dropout({ p: shortestFloat32(ratio) }), []);
  if (!(ctx.node.outputs.length > 1 && ctx.node.outputs[1])) return cell;
  // inference Dropout keeps everything: the optional mask output is all true
  if (cell.kind !== 'cell') return cell;
  return {
    ...cell,
    wrap: call => xs => [call(xs)[0]!, Tensor.full(xs[0]!.shape, 1, 'bool')],
    wrapPy: ([x], c, [y = '_', mask = '_']) => [`${y} = ${c}(${x!.expr})`, ...(mask !== '_' ? [`${mask} = ops.ones_like(${x!.expr}, dtype=ms.bool_)`] : [])],
  };
}

function leakyRelu(ctx: BuildCtx): Built {
  // ONNX and PyTorch default to 0.01, MindSpore to 0.2: always pass alpha
  const alpha = attr<number>(ctx.node, 'alpha', 0.01);
  return cellStep(ctx, 'torch.nn.LeakyReLU', ctx.keepMsDefault('torch.nn.LeakyReLU', 'alpha') ? new nn.LeakyReLU() : new nn.LeakyReLU(shortestFloat32(alpha)), []);
}

/** ONNX Gelu (opset 20): approximate 'none' | 'tanh'; MindSpore's default is the tanh form, so always pass it. */
function gelu(ctx: BuildCtx): Built {
  const approximate = attr<string>(ctx.node, 'approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') fail(ctx.node, `unknown Gelu approximate '${approximate}'`);
  return cellStep(ctx, 'torch.nn.GELU', ctx.keepMsDefault('torch.nn.GELU', 'approximate') ? new nn.GELU() : new nn.GELU(approximate === 'tanh'), []);
}

/** ONNX Swish (opset 24; also what the SiLU scope fusion emits): x·sigmoid(alpha·x), nn.SiLU at alpha 1. */
function swish(ctx: BuildCtx): Built {
  const alpha = attr<number>(ctx.node, 'alpha', 1);
  if (alpha === 1) return cellStep(ctx, 'torch.nn.SiLU', new nn.SiLU(), []);
  return op('mindspore.ops.mul', ([x]) => ops.mul(x!, ops.sigmoid(ops.mul(x!, alpha))), ([x]) => `${x!.expr} * ops.sigmoid(${x!.expr} * ${alpha})`);
}

export const nnHandlers: OnnxOpHandler[] = [
  { opType: 'Swish', versions: { 24: swish } },
  { opType: 'Gelu', versions: { 20: gelu } },
  { opType: 'Conv', versions: { 1: conv } },
  { opType: 'Gemm', versions: { 1: gemm } },
  { opType: 'BatchNormalization', versions: { 1: batchNorm } },
  { opType: 'MaxPool', versions: { 1: pool('max') } },
  { opType: 'AveragePool', versions: { 1: pool('avg') } },
  { opType: 'GlobalAveragePool', versions: { 1: globalPool('avg') } },
  { opType: 'GlobalMaxPool', versions: { 1: globalPool('max') } },
  { opType: 'Relu', versions: { 1: simple('torch.nn.ReLU', nn.ReLU) } },
  { opType: 'Sigmoid', versions: { 1: simple('torch.nn.Sigmoid', nn.Sigmoid) } },
  { opType: 'Tanh', versions: { 1: simple('torch.nn.Tanh', nn.Tanh) } },
  { opType: 'Mish', versions: { 18: simple('torch.nn.Mish', nn.Mish) } },
  { opType: 'HardSwish', versions: { 14: simple('torch.nn.Hardswish', nn.HSwish) } },
  { opType: 'HardSigmoid', versions: { 1: hardSigmoid } },
  { opType: 'Clip', versions: { 1: clip } },
  { opType: 'Softmax', versions: { 1: softmax(false, false), 13: softmax(false, true) } },
  { opType: 'LogSoftmax', versions: { 1: softmax(true, false), 13: softmax(true, true) } },
  { opType: 'Flatten', versions: { 1: flatten } },
  { opType: 'Dropout', versions: { 1: dropout } },
  { opType: 'LeakyRelu', versions: { 1: leakyRelu } },
];
