/** ONNX ops for spatial layers beyond plain Conv2d: 3-D and transposed convolution, Resize/Upsample, norms, PRelu. */
import * as nn from '../../runtime/nn/index.js';
import * as ops from '../../runtime/functional.js';
import type { CoordMode, NearestMode } from '../../runtime/ops/resize.js';
import { intsKnown, tuple } from './py.js';
import { pyFloat } from '../../runtime/nn/pycall.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail, op } from '../handler.js';
import { cellStep } from './bind.js';
import { intsOf, shortestFloat32 } from './util.js';

/** A state_dict-like initializer name (not one the exporter made up): the tensor is a real module parameter. */
const isModuleParam = (name: string | undefined): boolean => !!name && !name.startsWith('onnx::') && /^[A-Za-z_][\w.]*$/.test(name);

/** ONNX ConvTranspose → nn.Conv2dTranspose. PyTorch's output_padding rows are computed, MindSpore's are appended
 * zeros; taking them off the bottom/right padding instead makes MindSpore compute them too. */
function convTranspose(ctx: BuildCtx): Built {
  const { node } = ctx;
  const w = ctx.constant(1);
  if (!w || w.ndim !== 4) fail(node, 'only 2-D ConvTranspose with constant weights is supported');
  if (node.attrs.has('output_shape')) fail(node, 'ConvTranspose with output_shape is not supported');
  const autoPad = attr<string>(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET') fail(node, `ConvTranspose auto_pad ${autoPad} is not supported`);
  const group = attr<number>(node, 'group', 1);
  const [cin, coutG, kh, kw] = w.shape as [number, number, number, number];
  const strides = attr<number[]>(node, 'strides', [1, 1]), dil = attr<number[]>(node, 'dilations', [1, 1]);
  const [t, l, b, r] = attr<number[]>(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const [oph, opw] = attr<number[]>(node, 'output_padding', [0, 0]) as [number, number];
  const computed = b >= oph && r >= opw;
  const api = 'torch.nn.ConvTranspose2d';
  // each argument whose MindSpore default differs is passed, unless a report measures leaving it at the default
  const hasBias = ctx.hasInput(2) && !ctx.keepMsDefault(api, 'has_bias');
  const explicitPad = !ctx.keepMsDefault(api, 'pad_mode');
  const cell = new nn.Conv2dTranspose(cin, coutG * group, [kh, kw], {
    stride: strides, dilation: dil, group, hasBias, outputPadding: computed || !explicitPad ? 0 : [oph, opw],
    ...(explicitPad ? { padMode: 'pad' as const, padding: computed ? [t, b - oph, l, r - opw] : [t, b, l, r] } : {}),
  });
  return cellStep(ctx, api, cell, hasBias ? [[1, 'weight'], [2, 'bias']] : [[1, 'weight']]);
}

/** 3-D Conv → nn.Conv3d with MindSpore's (head, tail, top, bottom, left, right) padding. */
export function conv3d(ctx: BuildCtx): Built {
  const { node } = ctx;
  const w = ctx.constant(1)!;
  const group = attr<number>(node, 'group', 1);
  const p = attr<number[]>(node, 'pads', [0, 0, 0, 0, 0, 0]);
  const api = 'torch.nn.Conv3d';
  const hasBias = ctx.hasInput(2) && !ctx.keepMsDefault(api, 'has_bias');
  const cell = new nn.Conv3d(w.shape[1]! * group, w.shape[0]!, [w.shape[2]!, w.shape[3]!, w.shape[4]!], {
    stride: attr<number[]>(node, 'strides', [1, 1, 1]) as [number, number, number], dilation: attr<number[]>(node, 'dilations', [1, 1, 1]) as [number, number, number],
    group, hasBias,
    ...(ctx.keepMsDefault(api, 'pad_mode') ? {} : { padMode: 'pad' as const, padding: [p[0]!, p[3]!, p[1]!, p[4]!, p[2]!, p[5]!] as [number, number, number, number, number, number] }),
  });
  return cellStep(ctx, api, cell, hasBias ? [[1, 'weight'], [2, 'bias']] : [[1, 'weight']]);
}

/** LayerNormalization (opset 17) → nn.LayerNorm with begin_norm_axis = begin_params_axis = axis and PyTorch's epsilon. */
function layerNormalization(ctx: BuildCtx): Built {
  const { node } = ctx;
  if (node.outputs.slice(1).some(o => o)) fail(node, 'LayerNormalization Mean/InvStdDev outputs are not supported');
  const axis = attr<number>(node, 'axis', -1), eps = shortestFloat32(attr<number>(node, 'epsilon', 1e-5));
  const scale = ctx.constant(1);
  const bias = ctx.hasInput(2) ? ctx.constant(2) : undefined;
  if (!scale || (ctx.hasInput(2) && !bias)) {
    return op('mindspore.ops.layer_norm', ([x, g, b]) => ops.layerNormByAxis(x!, g!, b ?? ops.zerosLike(g!), axis, axis, eps));
  }
  const api = 'torch.nn.LayerNorm';
  // MindSpore 2.10 takes begin axes in [-1, rank): -1 when one dim is normalised (any rank), else rank − dims
  const rank = ctx.rank(0);
  if (scale.ndim > 1 && rank === undefined) fail(node, 'LayerNormalization over several dims needs the input rank (MindSpore 2.10 refuses begin_norm_axis < -1)');
  const begin = scale.ndim === 1 ? -1 : rank! - scale.ndim;
  const cell = new nn.LayerNorm([...scale.shape], {
    epsilon: ctx.keepMsDefault(api, 'epsilon') ? undefined : eps,
    ...(ctx.keepMsDefault(api, 'begin_norm_axis') ? {} : { beginNormAxis: begin }),
    ...(ctx.keepMsDefault(api, 'begin_params_axis') ? {} : { beginParamsAxis: begin }),
  });
  const weights: [number, string, import('../../runtime/tensor.js').Tensor?][] = [[1, 'weight']];
  weights.push(bias ? [2, 'bias'] : [2, 'bias', ops.zerosLike(scale)]);
  return cellStep(ctx, api, cell, weights);
}

/**
 * InstanceNormalization: with module parameters (nn.InstanceNorm2d(affine=True) in PyTorch) it is MindSpore's
 * nn.InstanceNorm2d; with exporter-made ones/zeros (affine=False, or GroupNorm's decomposition over a reshaped
 * tensor) it is the functional form, since the scale and bias are not module parameters.
 */
function instanceNormalization(ctx: BuildCtx): Built {
  const eps = shortestFloat32(attr<number>(ctx.node, 'epsilon', 1e-5));
  const scale = ctx.constant(1), bias = ctx.constant(2);
  if (scale && bias && isModuleParam(ctx.node.inputs[1]) && ctx.rank(0) !== 3) {
    const cell = new nn.InstanceNorm2d(scale.shape[0]!, { eps, affine: true });
    return cellStep(ctx, 'torch.nn.InstanceNorm2d', cell, [[1, 'weight'], [2, 'bias']]);
  }
  return op('mindspore.ops.instance_norm', ([x, g, b]) => ops.instanceNorm(x!, g!, b!, eps), ([x, g, b]) => {
    // MindSpore 2.10 has no functional instance norm (and its nn.InstanceNorm2d no CPU kernel): written out over the
    // spatial axes, the biased variance as ONNX defines it
    const rank = ctx.rank(0) ?? x!.rank;
    if (rank === undefined) throw new Error('an InstanceNormalization of unknown rank');
    const axes = tuple([...Array(rank - 2).keys()].map(i => i + 2));
    const per = (t: string) => `ops.reshape(${t}, (1, -1${', 1'.repeat(rank - 2)}))`;
    return `(${x!.expr} - ops.mean(${x!.expr}, ${axes}, True)) / ops.sqrt(ops.var(${x!.expr}, ${axes}, keepdims=True) + ${pyFloat(eps)}) * ${per(g!.expr)} + ${per(b!.expr)}`;
  });
}

/** PRelu → nn.PReLU(channel, w): ONNX's slope broadcasts from [C, 1, 1]; MindSpore keeps w as [C]. */
function prelu(ctx: BuildCtx): Built {
  const slope = ctx.constant(1);
  if (!slope) return op('mindspore.ops.prelu', ([x, s]) => ops.add(ops.relu(x!), ops.mul(s!, ops.minimum(x!, ops.zerosLike(x!)))));
  const cell = new nn.PReLU(slope.size);
  return cellStep(ctx, 'torch.nn.PReLU', cell, [[1, 'weight', slope.view([slope.size])]]);
}

const COORD: readonly CoordMode[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Resize/Upsample → ops.interpolate: sizes from `sizes` or floor(input · scales), per ONNX. */
function resize(version: 'upsample7' | 'upsample9' | 'resize10' | 'resize11') {
  return (ctx: BuildCtx): Built => {
    const { node } = ctx;
    const rawMode = attr<string>(node, 'mode', 'nearest');
    const mode = rawMode === 'bilinear' ? 'linear' : rawMode;
    if (mode !== 'nearest' && mode !== 'linear') fail(node, `${node.opType} mode '${rawMode}' is not supported`);
    const legacy = version !== 'resize11';
    const coord = (legacy ? 'asymmetric' : attr<string>(node, 'coordinate_transformation_mode', 'half_pixel')) as CoordMode;
    const nearest = (legacy ? 'floor' : attr<string>(node, 'nearest_mode', 'round_prefer_floor')) as NearestMode;
    if (!COORD.includes(coord)) fail(node, `coordinate_transformation_mode '${coord}' is not supported`);
    if (!NEAREST.includes(nearest)) fail(node, `nearest_mode '${nearest}' is not supported`);
    if (attr<number>(node, 'antialias', 0)) fail(node, 'Resize with antialias is not supported');
    if (node.attrs.has('axes')) fail(node, 'Resize with axes is not supported');
    const attrScales = attr<number[]>(node, 'scales');
    return op('mindspore.ops.interpolate', inputs => {
      const x = inputs[0]!;
      let scales: number[] | undefined, sizes: number[] | undefined;
      if (version === 'upsample7') scales = attrScales;
      else if (version === 'upsample9' || version === 'resize10') scales = inputs[1]?.toArray();
      else {
        const s = inputs[2], z = inputs[3];
        if (z && z.size) sizes = intsOf(z, 'Resize sizes');
        else if (s && s.size) scales = s.toArray();
      }
      if (!sizes && !scales) throw new Error('Resize needs scales or sizes');
      // sizes from scales in float32 arithmetic, as onnxruntime computes them (5 · 1.8f is 9, not 8.99999)
      const outSizes = sizes ?? x.shape.map((d, i) => Math.floor(Math.fround(Math.fround(scales![i]!) * d)));
      const outScales = scales ?? outSizes.map((d, i) => d / x.shape[i]!);
      return ops.resize(x, { mode: mode as 'nearest' | 'linear', coord, nearest, sizes: outSizes, scales: outScales });
    }, inputs => {
      // the torch.nn.functional.interpolate forms a PyTorch export writes, as ops.interpolate takes them
      const rank = ctx.rank(0) ?? 4;
      const how = mode === 'nearest' && coord === 'asymmetric' && nearest === 'floor' ? "mode='nearest'"
        : mode === 'linear' && (coord === 'pytorch_half_pixel' || coord === 'half_pixel') ? `mode='${rank === 3 ? 'linear' : 'bilinear'}', align_corners=False`
        : mode === 'linear' && coord === 'align_corners' ? `mode='${rank === 3 ? 'linear' : 'bilinear'}', align_corners=True` : undefined;
      // bilinear with asymmetric coordinates (the opset ≤ 9 Upsample) is TensorFlow's legacy resize, which MindSpore
      // keeps as the ResizeBilinearV2 primitive
      const legacyBilinear = mode === 'linear' && coord === 'asymmetric' && rank === 4;
      if (!how && !legacyBilinear) throw new Error(`${mode} with ${coord}/${nearest} has no ops.interpolate form`);
      const resized = (x: string, size: string): string => (legacyBilinear
        ? `ops.ResizeBilinearV2(align_corners=False, half_pixel_centers=False)(${x}, ${size})` : `ops.interpolate(${x}, size=${size}, ${how})`);
      // MindSpore 2.10's interpolate refuses scale_factor for 4-D nearest/bilinear: the output size is written,
      // floor(dim · scale) as ONNX computes it
      const x = inputs[0]!.expr;
      const sizesArg = version === 'resize11' ? inputs[3] : undefined;
      const scalesArg = version === 'upsample7' ? undefined : version === 'resize11' ? inputs[2] : inputs[1];
      if (sizesArg?.given && !(sizesArg.value && sizesArg.value.size === 0)) {
        const sizes = intsKnown(sizesArg);
        return resized(x, sizes ? tuple(sizes.slice(2)) : `tuple(${sizesArg.expr}.tolist()[2:])`);
      }
      const scales = version === 'upsample7' ? attrScales : scalesArg?.value?.size ? scalesArg.value.toArray() : undefined;
      if (scales && scales[0] === 1 && scales[1] === 1) {
        // a scale like 2.0 multiplies exactly; 1.8 must multiply in float32 as onnxruntime does (5 · 1.8f is 9)
        const times = (i: number, v: number): string => (Number.isInteger(v * 1024) ? `int(${x}.shape[${i}] * ${pyFloat(v)})` : `int(np.float32(${x}.shape[${i}]) * np.float32(${pyFloat(Math.fround(v))}))`);
        return resized(x, tuple(scales.slice(2).map((v, i) => times(i + 2, v))));
      }
      if (scalesArg?.given && !scalesArg.value) return resized(x, `tuple(int(np.float32(d) * np.float32(s)) for d, s in zip(${x}.shape[2:], ${scalesArg.expr}.tolist()[2:]))`);
      throw new Error('sizes or scales computed at run time');
    });
  };
}

export const spatialHandlers: OnnxOpHandler[] = [
  { opType: 'ConvTranspose', versions: { 1: convTranspose } },
  { opType: 'LayerNormalization', versions: { 17: layerNormalization } },
  { opType: 'InstanceNormalization', versions: { 1: instanceNormalization } },
  { opType: 'PRelu', versions: { 1: prelu } },
  { opType: 'Upsample', versions: { 7: resize('upsample7'), 9: resize('upsample9') } },
  { opType: 'Resize', versions: { 10: resize('resize10'), 11: resize('resize11') } },
];
