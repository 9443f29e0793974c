/**
 * ONNX ops of opsets 14–23 that torch 2.9+'s exporter writes (opset 20 by default, 23 on request): Trilu, CumSum,
 * GroupNormalization, RMSNormalization and Attention, each with MindSpore semantics.
 */
import * as ops from '../../runtime/functional.js';
import * as nn from '../../runtime/nn/index.js';
import { Tensor } from '../../runtime/tensor.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail, op } from '../handler.js';
import { cellStep } from './bind.js';
import { shortestFloat32 } from './util.js';
import { tuple } from './py.js';
import { pyFloat } from '../../runtime/nn/pycall.js';

/** Trilu(x, k?) upper=1|0 → ops.triu / ops.tril with diagonal k. */
function trilu(ctx: BuildCtx): Built {
  const upper = attr<number>(ctx.node, 'upper', 1) === 1;
  return op(upper ? 'mindspore.ops.triu' : 'mindspore.ops.tril', ([x, k]) => {
    const d = k ? Number(k.get(0)) : 0;
    return upper ? ops.triu(x!, d) : ops.tril(x!, d);
  }, ([x, k]) => {
    if (k?.given && !k.value) throw new Error('a Trilu with a computed diagonal');
    const d = k?.value ? Number(k.value.get(0)) : 0;
    return `ops.${upper ? 'triu' : 'tril'}(${x!.expr}${d ? `, ${d}` : ''})`;
  });
}

/** CumSum(x, axis) with exclusive/reverse → ops.cumsum (MindSpore has no exclusive/reverse: a port flips or shifts). */
function cumsum(ctx: BuildCtx): Built {
  const exclusive = attr<number>(ctx.node, 'exclusive', 0) === 1, reverse = attr<number>(ctx.node, 'reverse', 0) === 1;
  return op('mindspore.ops.cumsum', ([x, axis]) => ops.cumsum(x!, Number(axis!.get(0)), exclusive, reverse), ([x, a]) => {
    if (!a!.value) throw new Error('a CumSum over a computed axis');
    const ax = Number(a!.value.get(0));
    // reverse: sum from the end (flip, sum, flip back); exclusive: shift by one, the first element 0
    let e = reverse ? `ops.flip(${x!.expr}, (${ax},))` : x!.expr;
    e = `ops.cumsum(${e}, ${ax})`;
    if (exclusive) e = `${e} - ${reverse ? `ops.flip(${x!.expr}, (${ax},))` : x!.expr}`;
    return reverse ? `ops.flip(${e}, (${ax},))` : e;
  });
}

/**
 * GroupNormalization → nn.GroupNorm(num_groups, C, eps) with the scale/bias as gamma/beta. Opset 18 gave one
 * scale/bias per group (a spec error, corrected in 21 to one per channel); a per-group one is repeated per channel.
 */
function groupNormalization(ctx: BuildCtx): Built {
  const { node } = ctx;
  // ONNX stores epsilon as float32 (1e-5 arrives as 9.999999747e-6): the Cell carries the value the user wrote
  const G = attr<number>(node, 'num_groups', 0), eps = shortestFloat32(attr<number>(node, 'epsilon', 1e-5));
  const scale = ctx.constant(1), bias = ctx.constant(2);
  const C = ctx.staticShape(0)?.[1];
  if (!scale || !bias || typeof C !== 'number') {
    return op('mindspore.ops.group_norm', ([x, s, b]) => ops.groupNorm(x!, G, perChannel(s!, x!.shape[1]!, G), perChannel(b!, x!.shape[1]!, G), eps));
  }
  const cell = new nn.GroupNorm(G, C, { eps });
  return cellStep(ctx, 'torch.nn.GroupNorm', cell, [[1, 'weight', perChannel(scale, C, G)], [2, 'bias', perChannel(bias, C, G)]]);
}

function perChannel(t: Tensor, C: number, G: number): Tensor {
  if (t.size === C) return t.size === t.shape[0] && t.ndim === 1 ? t : t.view([C]);
  if (t.size !== G) throw new Error(`GroupNormalization: scale/bias have ${t.size} values for ${C} channels in ${G} groups`);
  const per = C / G, out = Tensor.zeros([C], t.dtype);
  for (let c = 0; c < C; c++) out.data[c] = t.data[Math.floor(c / per)]!;
  return out;
}

/** RMSNormalization (opset 23): x / √(mean(x², axis…end) + eps) · scale, composed of MindSpore ops (differentiable). */
function rmsNormalization(ctx: BuildCtx): Built {
  const axis = attr<number>(ctx.node, 'axis', -1), eps = attr<number>(ctx.node, 'epsilon', 1e-5);
  return op('mindspore.ops.rms_norm', ([x, scale]) => {
    const a = axis < 0 ? axis + x!.ndim : axis;
    const axes = [...Array(x!.ndim - a).keys()].map(i => i + a);
    const ms = ops.mean(ops.mul(x!, x!), axes, true);
    return ops.mul(ops.mul(x!, ops.reciprocal(ops.sqrt(ops.add(ms, eps)))), scale!);
  }, ([x, scale]) => {
    const rank = x!.rank;
    if (axis < 0 && rank === undefined) throw new Error('an RMSNormalization of unknown rank');
    const a = axis < 0 ? axis + rank! : axis;
    const axes = tuple([...Array((rank ?? a + 1) - a).keys()].map(i => i + a));
    return `${x!.expr} * ops.rsqrt(ops.mean(${x!.expr} * ${x!.expr}, ${axes}, True) + ${pyFloat(shortestFloat32(eps))}) * ${scale!.expr}`;
  });
}

/**
 * Attention (opset 23): softmax(Q·Kᵀ·scale + mask)·V over [batch, heads, seq, head_dim] (3-D inputs are split into
 * q_num_heads / kv_num_heads), a boolean mask keeping where true, is_causal masking the future, and grouped-query
 * attention (fewer K/V heads) repeating each K/V head for its group of Q heads. Composed of MindSpore ops.
 */
function attention(ctx: BuildCtx): Built {
  const { node } = ctx;
  if (node.inputs.length > 4 && node.inputs.slice(4).some(i => i)) fail(node, 'Attention with past_key/past_value or nonpad_kv_seqlen is not supported');
  if (node.outputs.slice(1).some(o => o)) fail(node, 'Attention outputs other than Y (present_key/value, qk_matmul_output) are not supported');
  if (attr<number>(node, 'softcap', 0) !== 0) fail(node, 'Attention with softcap is not supported');
  const causal = attr<number>(node, 'is_causal', 0) === 1;
  const qHeads = attr<number>(node, 'q_num_heads', 0), kvHeads = attr<number>(node, 'kv_num_heads', 0);
  const scaleAttr = attr<number>(node, 'scale');
  return op('mindspore.ops.matmul', ([q0, k0, v0, mask]) => {
    const heads = (t: Tensor, h: number): Tensor => {
      if (t.ndim === 4) return t;
      if (!h) throw new Error('Attention: 3-D inputs need q_num_heads and kv_num_heads');
      const [B, S, HD] = t.shape as [number, number, number];
      return ops.transpose(ops.reshape(t, [B, S, h, HD / h]), [0, 2, 1, 3]);
    };
    const q = heads(q0!, qHeads), threeD = q0!.ndim === 3;
    let k = heads(k0!, kvHeads), v = heads(v0!, kvHeads);
    const Hq = q.shape[1]!, Hk = k.shape[1]!;
    if (Hk !== Hq) {
      // grouped-query attention: K/V head j serves Q heads j·(Hq/Hk) … (j+1)·(Hq/Hk) − 1
      const rep = Hq / Hk;
      const repeat = (t: Tensor): Tensor => { const [B, H, S, D] = t.shape as [number, number, number, number]; return ops.reshape(ops.expand(ops.reshape(t, [B, H, 1, S, D]), [B, H, rep, S, D]), [B, H * rep, S, D]); };
      k = repeat(k); v = repeat(v);
    }
    const D = q.shape[3]!, Sq = q.shape[2]!, Sk = k.shape[2]!;
    let scores = ops.mul(ops.matmul(q, ops.transpose(k, [0, 1, 3, 2])), scaleAttr ?? 1 / Math.sqrt(D));
    if (mask) scores = mask.dtype === 'bool' ? ops.where(mask, scores, ops.fill('float32', scores.shape, -Infinity)) : ops.add(scores, mask);
    if (causal) {
      const keep = Tensor.zeros([Sq, Sk], 'bool');
      for (let i = 0; i < Sq; i++) for (let j = 0; j < Sk; j++) keep.data[i * Sk + j] = j <= i + (Sk - Sq) ? 1 : 0;
      scores = ops.where(keep, scores, ops.fill('float32', scores.shape, -Infinity));
    }
    const y = ops.matmul(ops.softmax(scores, -1), v);
    if (!threeD) return y;
    const [B, H, S, Dv] = y.shape as [number, number, number, number];
    return ops.reshape(ops.transpose(y, [0, 2, 1, 3]), [B, S, H * Dv]);
  }, ([q, k, v, mask]) => {
    // scaled dot-product attention over [batch, heads, seq, head_dim], as a port writes it with mindspore.ops
    if (q!.rank !== 4 || k!.rank !== 4) throw new Error('an Attention on 3-D inputs');
    const scale = scaleAttr !== undefined ? pyFloat(scaleAttr) : `${q!.expr}.shape[-1] ** -0.5`;
    // grouped-query attention: each K/V head serves a group of Q heads
    const hq = q!.shape?.[1], hk = k!.shape?.[1];
    if (hq === undefined || hk === undefined) throw new Error('an Attention whose head counts are unknown');
    const group = (t: string): string => (hq === hk ? t : `ops.repeat_interleave(${t}, ${hq / hk}, 1)`);
    const kk = group(k!.expr);
    let scores = `ops.matmul(${q!.expr}, ops.transpose(${kk}, (0, 1, 3, 2))) * ${scale}`;
    if (mask?.given) scores = (mask.dtype ?? mask.value?.dtype) === 'bool' ? `ops.masked_fill(${scores}, ops.logical_not(${mask.expr}), float('-inf'))` : `${scores} + ${mask.expr}`;
    if (causal) scores = `ops.masked_fill(${scores}, ops.triu(ops.ones((${q!.expr}.shape[2], ${kk}.shape[2]), ms.bool_), ${kk}.shape[2] - ${q!.expr}.shape[2] + 1), float('-inf'))`;
    return `ops.matmul(ops.softmax(${scores}, -1), ${group(v!.expr)})`;
  });
}

export const recentHandlers: OnnxOpHandler[] = [
  { opType: 'Trilu', versions: { 14: trilu } },
  { opType: 'CumSum', versions: { 11: cumsum } },
  { opType: 'GroupNormalization', versions: { 18: groupNormalization } },
  { opType: 'RMSNormalization', versions: { 23: rmsNormalization } },
  { opType: 'Attention', versions: { 23: attention } },
];
