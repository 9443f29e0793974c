/** ONNX shape and data-movement ops → mindspore.ops functions; attribute-vs-input changes across opsets are versions. */
import * as ops from '../../runtime/functional.js';
import { Tensor } from '../../runtime/tensor.js';
import { shapeTensor } from '../../runtime/ops/movement.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail, op } from '../handler.js';
import { intsOf, normAxis } from './util.js';
import { cellStep } from './bind.js';
import { scopeOf } from '../scope.js';
import * as nn from '../../runtime/nn/index.js';
import { isFloat } from '../../runtime/dtype.js';
import { call, index, intsKnown, intsPy, msDtype, num, operand, tuple } from './py.js';
import type { PyArg } from '../handler.js';

/** A reshape target with ONNX's 0 (copy the input dim) written as that dim of the input. */
const reshapePy = (x: PyArg, target: number[] | undefined, allowZero: boolean, s?: PyArg): string =>
  target ? `ops.reshape(${x.expr}, ${tuple(target.map((d, i) => (d === 0 && !allowZero ? `${x.expr}.shape[${i}]` : d)))})` : `ops.reshape(${x.expr}, ${intsPy(s!)})`;

/** ONNX Reshape: 0 copies the input dim (unless allowzero), -1 is inferred. */
function reshape(ctx: BuildCtx): Built {
  const allowZero = attr<number>(ctx.node, 'allowzero', 0) === 1;
  return op('mindspore.ops.reshape', ([x, s]) => {
    const target = intsOf(s, 'Reshape shape').map((d, i) => (d === 0 && !allowZero ? x!.shape[i]! : d));
    return ops.reshape(x!, target);
  }, ([x, s]) => reshapePy(x!, intsKnown(s), allowZero, s));
}

function reshapeV1(ctx: BuildCtx): Built {
  const shape = attr<number[]>(ctx.node, 'shape', []);
  return op('mindspore.ops.reshape', ([x]) => ops.reshape(x!, shape.map((d, i) => (d === 0 ? x!.shape[i]! : d))), ([x]) => reshapePy(x!, shape, false));
}

function transpose(ctx: BuildCtx): Built {
  const perm = attr<number[]>(ctx.node, 'perm');
  return op('mindspore.ops.transpose', ([x]) => ops.transpose(x!, perm ?? [...x!.shape.keys()].reverse()),
    ([x]) => (perm ? `ops.transpose(${x!.expr}, ${tuple(perm)})` : `ops.transpose(${x!.expr}, tuple(range(${x!.expr}.ndim - 1, -1, -1)))`));
}

function concat(ctx: BuildCtx): Built {
  const axis = attr<number>(ctx.node, 'axis', 0);
  // empty inputs are legal in ONNX Concat and appear in exported shape arithmetic
  return op('mindspore.ops.concat', xs => ops.concat(xs.filter((x): x is Tensor => !!x && (x.size > 0 || xs.length === 1)), axis),
    xs => { const kept = xs.filter(x => x.given && !(x.value && x.value.size === 0 && xs.length > 1)); return kept.length === 1 ? kept[0]!.expr : `ops.cat(${tuple(kept.map(x => x.expr))}, ${axis})`; });
}

function splitSizes(total: number, n: number): number[] {
  const chunk = Math.ceil(total / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, total - i * chunk)));
}

function split(fromInput: boolean) {
  return (ctx: BuildCtx): Built => {
    const axis = attr<number>(ctx.node, 'axis', 0);
    const attrSplit = attr<number[]>(ctx.node, 'split');
    const numOutputs = attr<number>(ctx.node, 'num_outputs') ?? ctx.node.outputs.length;
    return op('mindspore.ops.split', ([x, s]) => {
      const a = normAxis(axis, x!.ndim);
      const sizes = fromInput && s ? intsOf(s, 'Split split') : attrSplit ?? splitSizes(x!.shape[a]!, numOutputs);
      return ops.split(x!, sizes, a);
    }, ([x, s]) => {
      const sizes = fromInput && s?.given ? intsKnown(s) : attrSplit;
      // without sizes: equal chunks, the last smaller (torch.chunk's rule, as ONNX's)
      const arg = sizes ? tuple(sizes) : `-(-${x!.expr}.shape[${axis}] // ${numOutputs})`;
      return sizes || !fromInput || !s?.given ? `ops.split(${x!.expr}, ${arg}, ${axis})` : `ops.split(${x!.expr}, ${intsPy(s)}, ${axis})`;
    });
  };
}

/** Clamp ONNX Slice starts/ends (which may be ±INT64 extremes) into real positions, per axis. */
function sliceBounds(x: Tensor, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined) {
  const begin = x.shape.map(() => 0), end = [...x.shape], strides = x.shape.map(() => 1);
  const ax = axes ?? starts.map((_, i) => i);
  ax.forEach((a0, i) => {
    const a = normAxis(a0, x.ndim), D = x.shape[a]!, st = steps?.[i] ?? 1;
    if (st === 0) throw new Error('Slice: step 0');
    let s = starts[i]!, e = ends[i]!;
    s = s < 0 ? s + D : s; e = e < 0 ? e + D : e;
    if (st > 0) { s = Math.min(Math.max(s, 0), D); e = Math.min(Math.max(e, 0), D); }
    else { s = Math.min(Math.max(s, -1), D - 1); e = Math.min(Math.max(e, -1), D - 1); }
    begin[a] = s; end[a] = e; strides[a] = st;
  });
  return { begin, end, strides };
}

const INT_MAX = 2 ** 62;
/** Slicing as Python writes it, `x[:, 1:3]`, from constant starts/ends/axes/steps (undefined if any is computed). */
function slicePy(x: PyArg, starts?: number[], ends?: number[], axes?: number[], steps?: number[]): string | undefined {
  if (!starts || !ends) return undefined;
  const ax = axes ?? starts.map((_, i) => i);
  if (ax.some(a => a < 0)) return undefined;
  const parts: string[] = Array(Math.max(...ax) + 1).fill(':');
  ax.forEach((a, i) => {
    const st = steps?.[i] ?? 1, s = starts[i]!, e = ends[i]!;
    const big = (v: number) => Math.abs(v) >= INT_MAX;
    const lo = st > 0 ? (s === 0 ? '' : String(s)) : (big(s) ? '' : String(s));
    const hi = big(e) ? '' : String(e);
    parts[a] = `${lo}:${hi}${st === 1 ? '' : `:${st}`}`;
  });
  return `${x.expr}[${parts.join(', ')}]`;
}

function sliceV1(ctx: BuildCtx): Built {
  const starts = attr<number[]>(ctx.node, 'starts', []), ends = attr<number[]>(ctx.node, 'ends', []), axes = attr<number[]>(ctx.node, 'axes');
  const py = (xs: PyArg[]) => slicePy(xs[0]!, starts, ends, axes)!;
  return op('mindspore.ops.strided_slice', ([x]) => { const b = sliceBounds(x!, starts, ends, axes, undefined); return ops.stridedSlice(x!, b.begin, b.end, b.strides); }, axes?.some(a => a < 0) ? undefined : py);
}

function sliceV10(ctx: BuildCtx): Built {
  return op('mindspore.ops.strided_slice', ([x, s, e, a, st]) => {
    const b = sliceBounds(x!, intsOf(s, 'Slice starts'), intsOf(e, 'Slice ends'), a ? intsOf(a, 'Slice axes') : undefined, st ? intsOf(st, 'Slice steps') : undefined);
    return ops.stridedSlice(x!, b.begin, b.end, b.strides);
  }, sliceV10Py(ctx.rank(0)));
}

/**
 * Slicing as Python writes it; bounds computed at run time (a chunk's size read off a shape) are read with int().
 * Axes and steps must be constants; negative axes need the input's rank.
 */
function sliceV10Py(graphRank: number | undefined) {
  return ([x, s, e, a, st]: PyArg[]): string => {
    const rank = graphRank ?? x!.rank;
    if ((a?.given && !a.value) || (st?.given && !st.value)) throw new Error('a Slice with computed axes or steps');
    const known = (p: PyArg, i: number): number | string => (p.value ? Math.trunc(p.value.toArray()[i]!) : `int(${p.expr}[${i}])`);
    const n = s!.value ? s!.value.size : e!.value ? e!.value.size : a?.value ? a.value.size : undefined;
    if (n === undefined) throw new Error('a Slice whose starts, ends and axes are all computed');
    let axes = a?.given ? intsKnown(a)! : [...Array(n).keys()];
    // negative axes: normalised with the rank where known, else counted from the end after an Ellipsis (x[..., a:b])
    const fromEnd = axes.some(v => v < 0) && rank === undefined;
    if (fromEnd && !axes.every(v => v < 0)) throw new Error('a Slice mixing negative and positive axes on an input of unknown rank');
    if (!fromEnd) axes = axes.map(v => normAxis(v, rank ?? 0));
    const steps = st?.given ? intsKnown(st)! : undefined;
    const width = fromEnd ? -Math.min(...axes) : Math.max(...axes) + 1;
    const parts: string[] = Array(width).fill(':');
    const big = (v: number | string) => typeof v === 'number' && Math.abs(v) >= INT_MAX;
    axes.forEach((ax, i) => {
      const step = steps?.[i] ?? 1, lo = known(s!, i), hi = known(e!, i);
      parts[fromEnd ? width + ax : ax] = `${lo === 0 && step > 0 ? '' : big(lo) ? '' : lo}:${big(hi) ? '' : hi}${step === 1 ? '' : `:${step}`}`;
    });
    if (fromEnd) parts.unshift('...');
    return `${x!.expr}[${parts.join(', ')}]`;
  };
}

function gather(ctx: BuildCtx): Built {
  const axis = attr<number>(ctx.node, 'axis', 0);
  // a torch 2.9+ export says which module a node ran in: a lookup in an nn.Embedding's table is nn.Embedding; a
  // TorchScript export says it by the scope: a lookup in the `weight` of the module the node ran in (`/embed/Gather`
  // reading `embed.weight`)
  const table = ctx.constant(0);
  const scope = scopeOf(ctx.node.name).path.join('.');
  const ownTable = !ctx.node.metadata && scope !== '' && ctx.node.inputs[0] === `${scope}.weight` && ctx.isInitializer(0);
  if ((ctx.moduleApi() === 'torch.nn.Embedding' || ownTable) && table && table.ndim === 2 && isFloat(table.dtype) && normAxis(axis, 2) === 0) {
    return cellStep(ctx, 'torch.nn.Embedding', new nn.Embedding(table.shape[0]!, table.shape[1]!), [[0, 'weight']], [1]);
  }
  return op('mindspore.ops.gather', ([x, i]) => ops.gather(x!, i!, normAxis(axis, x!.ndim)), ([x, i]) => {
    // a constant scalar index is Python indexing (negative ones included); others ops.gather
    const k = i!.value && i!.value.ndim === 0 ? i!.value.item() : undefined;
    return k !== undefined ? index(x!.expr, axis, String(k)) : `ops.gather(${x!.expr}, ${i!.expr}, ${axis})`;
  });
}

function shape(ctx: BuildCtx): Built {
  const start = attr<number>(ctx.node, 'start', 0), end = attr<number>(ctx.node, 'end');
  return op('mindspore.ops.shape', ([x]) => {
    const r = x!.ndim;
    const s = Math.min(Math.max(normAxis(start, r), 0), r), e = end === undefined ? r : Math.min(Math.max(normAxis(end, r), 0), r);
    return shapeTensor(x!.shape.slice(s, e));
  }, ([x]) => `ms.Tensor(${x!.expr}.shape${start || end !== undefined ? `[${start || ''}:${end ?? ''}]` : ''}, ms.int64)`);
}

function unsqueezeTo(x: Tensor, axes: number[]): Tensor {
  const r = x.ndim + axes.length;
  const ax = axes.map(a => normAxis(a, r)).sort((a, b) => a - b);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]!);
  return ops.reshape(x, out);
}

function unsqueeze(fromInput: boolean) {
  return (ctx: BuildCtx): Built => {
    const axes = attr<number[]>(ctx.node, 'axes', []);
    return op('mindspore.ops.expand_dims', ([x, a]) => unsqueezeTo(x!, fromInput ? intsOf(a, 'Unsqueeze axes') : axes), ([x, a]) => {
      let ax = fromInput ? intsKnown(a) : axes;
      if (!ax) throw new Error('an Unsqueeze with computed axes');
      // negative axes count from the end of the output
      const rank = ctx.rank(0) ?? x!.rank;
      if (ax.some(v => v < 0)) {
        if (rank === undefined) throw new Error('an Unsqueeze with negative axes on an input of unknown rank');
        ax = ax.map(v => normAxis(v, rank + ax!.length));
      }
      // ONNX axes index the output: inserting them in ascending order gives each its place
      return [...ax].sort((p, q) => p - q).reduce((e, v) => `ops.expand_dims(${e}, ${v})`, x!.expr);
    });
  };
}

function squeeze(fromInput: boolean) {
  return (ctx: BuildCtx): Built => {
    const axes = attr<number[]>(ctx.node, 'axes');
    return op('mindspore.ops.squeeze', ([x, a]) => {
      const ax = fromInput ? (a ? intsOf(a, 'Squeeze axes') : undefined) : axes;
      return ops.squeeze(x!, ax?.map(v => normAxis(v, x!.ndim)));
    }, ([x, a]) => {
      const ax = fromInput ? (a?.given ? intsKnown(a) : undefined) : axes;
      if (fromInput && a?.given && !ax) throw new Error('a Squeeze with computed axes');
      return ax ? `ops.squeeze(${x!.expr}, ${tuple(ax)})` : `ops.squeeze(${x!.expr})`;
    });
  };
}

type PadModeOnnx = 'constant' | 'reflect' | 'edge';
const padModes: Record<PadModeOnnx, 'constant' | 'reflect' | 'replicate'> = { constant: 'constant', reflect: 'reflect', edge: 'replicate' };

/** ONNX pads list all begins then all ends (first dim first); ops.pad wants torch order (last dim first, pairs). */
function onnxPadsToTorch(p: number[]): number[] {
  const n = p.length / 2, out: number[] = [];
  for (let d = n - 1; d >= 0; d--) out.push(p[d]!, p[d + n]!);
  return out;
}

function pad(fromInput: boolean) {
  return (ctx: BuildCtx): Built => {
    const mode = attr<string>(ctx.node, 'mode', 'constant') as PadModeOnnx;
    if (!(mode in padModes)) fail(ctx.node, `pad mode '${mode}' is not supported (MindSpore ops.pad has no '${mode}')`);
    const attrPads = attr<number[]>(ctx.node, 'pads', []), attrValue = attr<number>(ctx.node, 'value', 0);
    return op('mindspore.ops.pad', ([x, p, v, axesT]) => {
      let pads = fromInput ? intsOf(p, 'Pad pads') : attrPads;
      if (axesT) {
        const axes = intsOf(axesT, 'Pad axes').map(a => normAxis(a, x!.ndim));
        const full = Array(2 * x!.ndim).fill(0);
        axes.forEach((a, i) => { full[a] = pads[i]!; full[a + x!.ndim] = pads[i + axes.length]!; });
        pads = full;
      }
      if (pads.some(q => q < 0)) throw new Error('negative pads (cropping) are not supported');
      return ops.pad(x!, onnxPadsToTorch(pads), padModes[mode], fromInput ? (v && v.size ? v.item() : 0) : attrValue);
    }, ([x, p, v, axesT]) => {
      const pads = fromInput ? intsKnown(p) : attrPads;
      if (!pads || axesT?.given || pads.some(q => q < 0)) throw new Error('a Pad with computed pads or axes');
      const value = fromInput ? (v?.value && v.value.size ? v.value.item() : 0) : attrValue;
      // ops.pad's padding runs from the last dim backwards; trailing zero pairs are left out, as a port writes it
      const t = onnxPadsToTorch(pads);
      // MindSpore 2.10's reflect/replicate pad of a 4-D input refuses a 2-entry padding (it checks dim 2): those
      // modes keep a pair for every dim after (N, C); constant padding drops trailing zero pairs as a port writes it
      const keep = mode === 'constant' ? 2 : Math.max(2, 2 * ((x!.rank ?? pads.length / 2) - 2));
      while (t.length > keep && t.at(-1) === 0 && t.at(-2) === 0) t.splice(-2);
      return call('ops.pad', x!.expr, tuple(t), mode === 'constant' ? undefined : `mode='${padModes[mode]}'`, mode === 'constant' && value !== 0 ? `value=${value}` : undefined);
    });
  };
}

function constant(ctx: BuildCtx): Built {
  const { node } = ctx;
  const v = node.attrs.get('value') ?? node.attrs.get('value_float') ?? node.attrs.get('value_int')
    ?? node.attrs.get('value_floats') ?? node.attrs.get('value_ints');
  if (v === undefined) fail(node, 'Constant without a supported value attribute');
  let t: Tensor;
  if (v instanceof Tensor) t = v;
  else if (node.attrs.has('value_float')) t = Tensor.scalar(v as number, 'float32');
  else if (node.attrs.has('value_int')) t = Tensor.scalar(v as number, 'int64');
  else if (node.attrs.has('value_floats')) t = Tensor.from(v as number[], 'float32');
  else t = Tensor.from(v as number[], 'int64');
  return op('mindspore.Tensor', () => t, () => { throw new Error('a Constant is folded at import'); });
}

function constantOfShape(ctx: BuildCtx): Built {
  const value = ctx.node.attrs.get('value') as Tensor | undefined;
  const dt = value?.dtype ?? 'float32', v = value ? value.get(0) : 0;
  return op('mindspore.ops.fill', ([s]) => Tensor.full(intsOf(s, 'ConstantOfShape shape'), v, dt), ([s]) => `ops.full(${intsPy(s!)}, ${num(v, dt)}, dtype=${msDtype(dt)})`);
}

function expand(): Built {
  return op('mindspore.ops.broadcast_to', ([x, s]) => {
    const target = intsOf(s, 'Expand shape');
    // ONNX Expand broadcasts both ways (a 1 in the target keeps the input dim)
    const n = Math.max(target.length, x!.ndim);
    const full = Array.from({ length: n }, (_, i) => {
      const t = target[target.length - n + i] ?? 1, d = x!.shape[x!.ndim - n + i] ?? 1;
      return t === 1 ? d : t;
    });
    return ops.expand(x!, full);
  }, ([x, s]) => `ops.broadcast_to(${x!.expr}, np.broadcast_shapes(${x!.expr}.shape, ${intsPy(s!)}))`);
}

function range(ctx: BuildCtx): Built {
  const dt = ctx.dtype(0);
  return op('mindspore.ops.range', ([s, l, d]) => {
    const start = s!.item(), limit = l!.item(), delta = d!.item();
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    const out = Tensor.zeros([n], s!.dtype);
    for (let i = 0; i < n; i++) out.data[i] = (out.data instanceof BigInt64Array ? BigInt(start + i * delta) : start + i * delta) as never;
    return out;
  }, xs => `ops.arange(${xs.map(operand).join(', ')}${dt ? `, dtype=${msDtype(dt)}` : ''})`);
}

type ReduceKind = 'mean' | 'sum' | 'max';
const reducers = { mean: ops.mean, sum: ops.sum, max: ops.amax };
function reduce(kind: ReduceKind, fromInput: boolean) {
  return (ctx: BuildCtx): Built => {
    const keep = attr<number>(ctx.node, 'keepdims', 1) === 1;
    const noopEmpty = attr<number>(ctx.node, 'noop_with_empty_axes', 0) === 1;
    const attrAxes = attr<number[]>(ctx.node, 'axes');
    // torch.nn.AdaptiveAvgPool2d(1) in a torch 2.9+ export is a ReduceMean over the spatial axes of an NCHW input, told
    // apart from any other mean only by the module the node ran in (its axes may be folded constants: optimize=False)
    if (kind === 'mean' && keep && ctx.rank(0) === 4 && ctx.moduleApi() === 'torch.nn.AdaptiveAvgPool2d') {
      const a = fromInput ? ctx.constant(1) : undefined;
      const axes = fromInput ? (a ? intsOf(a, 'axes') : undefined) : attrAxes;
      if (axes && [...new Set(axes.map(ax => (ax + 4) % 4))].sort().join() === '2,3') {
        return cellStep(ctx, 'torch.nn.AdaptiveAvgPool2d', new nn.AdaptiveAvgPool2d(1), []);
      }
    }
    return op(`mindspore.ops.${kind === 'max' ? 'amax' : kind}`, ([x, a]) => {
      const axes = fromInput ? (a ? intsOf(a, 'axes') : undefined) : attrAxes;
      if ((!axes || axes.length === 0) && noopEmpty) return x!;
      return reducers[kind](x!, axes && axes.length ? axes : undefined, keep);
    }, ([x, a]) => {
      const axes = fromInput ? (a?.given ? intsKnown(a) : undefined) : attrAxes;
      if (fromInput && a?.given && !axes) throw new Error('a reduction over computed axes');
      if ((!axes || axes.length === 0) && noopEmpty) return x!.expr;
      // positional: ops.sum(input, dim, keepdim), ops.mean(input, axis, keep_dims), ops.amax(input, axis, keepdims)
      return `ops.${kind === 'max' ? 'amax' : kind}(${x!.expr}, ${axes && axes.length ? tuple(axes) : 'None'}, ${keep ? 'True' : 'False'})`;
    });
  };
}

function tile(): Built {
  return op('mindspore.ops.tile', ([x, r]) => ops.tile(x!, intsOf(r, 'Tile repeats')), ([x, r]) => `ops.tile(${x!.expr}, ${intsPy(r!)})`);
}

export const shapeHandlers: OnnxOpHandler[] = [
  { opType: 'Reshape', versions: { 1: reshapeV1, 5: reshape } },
  { opType: 'Transpose', versions: { 1: transpose } },
  { opType: 'Concat', versions: { 1: concat } },
  { opType: 'Split', versions: { 1: split(false), 13: split(true) } },
  { opType: 'Slice', versions: { 1: sliceV1, 10: sliceV10 } },
  { opType: 'Gather', versions: { 1: gather } },
  { opType: 'Shape', versions: { 1: shape } },
  { opType: 'Unsqueeze', versions: { 1: unsqueeze(false), 13: unsqueeze(true) } },
  { opType: 'Squeeze', versions: { 1: squeeze(false), 13: squeeze(true) } },
  { opType: 'Pad', versions: { 2: pad(false), 11: pad(true) } },
  { opType: 'Constant', versions: { 1: constant } },
  { opType: 'ConstantOfShape', versions: { 9: constantOfShape } },
  { opType: 'Expand', versions: { 8: expand } },
  { opType: 'Range', versions: { 11: range } },
  { opType: 'ReduceMean', versions: { 1: reduce('mean', false), 18: reduce('mean', true) } },
  { opType: 'ReduceSum', versions: { 1: reduce('sum', false), 13: reduce('sum', true) } },
  { opType: 'ReduceMax', versions: { 1: reduce('max', false), 18: reduce('max', true) } },
  { opType: 'MatMul', versions: { 1: () => op('mindspore.ops.matmul', ([a, b]) => ops.matmul(a!, b!), ([a, b]) => `ops.matmul(${a!.expr}, ${b!.expr})`) } },
  { opType: 'Tile', versions: { 6: tile } },
];
