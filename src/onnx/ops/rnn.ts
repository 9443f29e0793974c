/**
 * ONNX LSTM and GRU → MindSpore nn.LSTM / nn.GRU (gate order and weight layout converted as the mapping rules record).
 *
 * Each node becomes one single-layer Cell: PyTorch exports a stacked nn.LSTM as one ONNX node per layer, with the
 * layers' weights packed per node. Layout conversion, done once at import on the constant weights:
 * - W [dirs, G·H, in], R [dirs, G·H, H] → per direction `weight_ih` [G·H, in], `weight_hh` [G·H, H];
 *   B [dirs, 2·G·H] (W's biases, then R's) → `bias_ih`, `bias_hh` [G·H]; direction 1 gets the `_reverse` names.
 * - Gate blocks are reordered from ONNX's order into PyTorch's, which MindSpore keeps (the rules' `layout`):
 *   LSTM ONNX (i, o, f, c) → (i, f, g, o);  GRU ONNX (z, r, h) → (r, z, n).
 * At run time (`wrap`): ONNX's states are [dirs, batch, H] (layout 0) or [batch, dirs, H] (layout 1); the Cell's are
 * [dirs, batch, H]. Its output [seq, batch, dirs·H] (batch-first for layout 1) becomes Y [seq, dirs, batch, H]
 * (layout 1: [batch, seq, dirs, H]).
 */
import * as nn from '../../runtime/nn/index.js';
import * as ops from '../../runtime/functional.js';
import { Tensor } from '../../runtime/tensor.js';
import type { TorchApi } from '../../mappings/index.js';
import { OnnxOpHandler, BuildCtx, Built, attr, fail } from '../handler.js';
import { cellStep } from './bind.js';

interface Kind {
  op: 'LSTM' | 'GRU';
  api: TorchApi;
  gates: number;
  /** PyTorch gate block k is ONNX gate block perm[k] */
  perm: number[];
  /** the activations MindSpore's cell computes, in ONNX's per-direction spelling */
  activations: string[];
  /** inputs holding the initial states (LSTM: initial_h, initial_c; GRU: initial_h) */
  stateInputs: number[];
}

const LSTM_KIND: Kind = { op: 'LSTM', api: 'torch.nn.LSTM', gates: 4, perm: [0, 2, 3, 1], activations: ['Sigmoid', 'Tanh', 'Tanh'], stateInputs: [5, 6] };
const GRU_KIND: Kind = { op: 'GRU', api: 'torch.nn.GRU', gates: 3, perm: [1, 0, 2], activations: ['Sigmoid', 'Tanh'], stateInputs: [5] };

/** Rows [d] of a [dirs, …] tensor, copied. */
function direction(t: Tensor, d: number): Tensor {
  const inner = t.size / t.shape[0]!;
  return new Tensor(t.data.slice(d * inner, (d + 1) * inner), t.shape.slice(1), t.dtype);
}

/** Elements [from, to) of a 1-D tensor, copied. */
const range1d = (t: Tensor, from: number, to: number): Tensor => new Tensor(t.data.slice(from, to), [to - from], t.dtype);

/** Gate blocks (equal row blocks of dim 0) of an ONNX weight or bias, put in PyTorch order. */
function toTorchGateOrder(t: Tensor, perm: number[]): Tensor {
  const block = t.size / perm.length;
  const out = Tensor.zeros(t.shape, 'float32'), src = t.data as Float32Array;
  perm.forEach((from, k) => (out.data as Float32Array).set(src.subarray(from * block, (from + 1) * block), k * block));
  return out;
}

/**
 * The PyTorch layer index the node's weights belong to, so a Parameter keeps its state_dict name: from initializers
 * named for a layer (`lstm.weight_ih_l1`), else from the node name PyTorch's exporter gives the k-th recurrent node of
 * a module scope (`/lstm/LSTM_1` is layer 1; only scoped names, where the counter is per module), else 0.
 */
function layerIndex(ctx: BuildCtx, op: string): number {
  for (const i of [1, 2, 3]) {
    const m = /(?:^|[./:])(?:weight|bias)_(?:ih|hh)_l(\d+)(?:_reverse)?$/.exec(ctx.node.inputs[i] ?? '');
    if (m) return Number(m[1]);
  }
  const m = new RegExp(`^/(?:.*/)?${op}(?:_(\\d+))?$`).exec(ctx.node.name);
  return m ? Number(m[1] ?? 0) : 0;
}

function checkAttrs(ctx: BuildCtx, kind: Kind, dirs: number): void {
  const { node } = ctx;
  const acts = attr<string[]>(node, 'activations');
  if (acts !== undefined) {
    if (!Array.isArray(acts)) fail(node, `activations must be a list of strings, got ${JSON.stringify(acts)}`);
    const want = Array.from({ length: dirs }, () => kind.activations).flat();
    if (acts.length !== want.length || acts.some((a, i) => String(a).toLowerCase() !== want[i]!.toLowerCase())) {
      fail(node, `activations [${acts.join(', ')}] are not supported: MindSpore nn.${kind.op} computes ${kind.activations.join('/')} only`);
    }
  }
  if (node.attrs.has('clip')) fail(node, `clip=${attr<number>(node, 'clip')} is not supported: MindSpore nn.${kind.op} does not clip its gate inputs`);
  if (kind.op === 'LSTM') {
    if (attr<number>(node, 'input_forget', 0) !== 0) fail(node, 'input_forget=1 (coupled input and forget gates) is not supported: MindSpore nn.LSTM has independent gates');
    if (ctx.hasInput(7)) {
      const p = ctx.constant(7);
      if (!p || p.toArray().some(v => v !== 0)) fail(node, 'peephole weights (input P) are not supported: MindSpore nn.LSTM has no peephole connections');
    }
  } else if (attr<number>(node, 'linear_before_reset', 0) !== 1) {
    fail(node, 'linear_before_reset=0 is not supported: it computes n = tanh(W_n x + b_Wn + R_n (r ⊙ h) + b_Rn), while MindSpore nn.GRU ' +
      '(like PyTorch, which exports linear_before_reset=1) computes n = tanh(W_n x + b_Wn + r ⊙ (R_n h + b_Rn))');
  }
}

/**
 * ReverseSequence along time: each sequence's first `lens[b]` steps in reverse order (all T without lens), padding
 * steps left in place. x is [T, N, …] (time axis 0) or [N, T, …] (time axis 1), with T·N rows of the trailing size.
 */
function reverseSequence(x: Tensor, lens: number[] | null, timeAxis: number, T: number, N: number): Tensor {
  const row = (t: number, b: number): number => (timeAxis === 0 ? t * N + b : b * T + t);
  const idx = new Array<number>(T * N);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < N; b++) {
      const n = lens ? lens[b]! : T;
      idx[row(t, b)] = row(t < n ? n - 1 - t : t, b);
    }
  }
  return ops.reshape(ops.gather(ops.reshape(x, [T * N, x.size / (T * N)]), Tensor.from(idx, 'int64'), 0), x.shape);
}

/**
 * A stacked module the scope fusion put back together (fusions.ts, fuseRnnStack): inputs X, h_0, c_0 (either may be
 * empty: zeros), then W, R, B per layer; outputs the module's own (output, h_n[, c_n]) in PyTorch's layout, which are
 * the Cell's inputs and outputs as they are.
 */
function recurrentStack(kind: Kind, ctx: BuildCtx): Built {
  const { node } = ctx;
  const L = attr<number>(node, 'msport_num_layers', 1), batchFirst = attr<number>(node, 'msport_batch_first', 0) === 1;
  const D = attr<string>(node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const H = attr<number>(node, 'hidden_size')!, G = kind.gates;
  const at = (l: number, j: number): number => 3 + 3 * l + j;
  const layers = Array.from({ length: L }, (_, l) => ({ W: ctx.constant(at(l, 0)), R: ctx.constant(at(l, 1)), B: ctx.hasInput(at(l, 2)) ? ctx.constant(at(l, 2)) : undefined }));
  const hasBias = !!layers[0]!.B;
  layers.forEach(({ W, R, B }, l) => {
    if (!W || !R || (hasBias && !B) || (!hasBias && ctx.hasInput(at(l, 2)))) fail(node, `layer ${l}: W, R and B must be constants (initializers) to build nn.${kind.op}`);
    const inL = l === 0 ? W.shape[2]! : D * H;
    if (W.shape.join() !== [D, G * H, inL].join() || R.shape.join() !== [D, G * H, H].join()) fail(node, `layer ${l}: W [${W.shape}], R [${R.shape}] do not fit hidden_size ${H}`);
  });
  const cell = kind.op === 'LSTM'
    ? new nn.LSTM(layers[0]!.W!.shape[2]!, H, { numLayers: L, hasBias, bidirectional: D === 2, batchFirst })
    : new nn.GRU(layers[0]!.W!.shape[2]!, H, { numLayers: L, hasBias, bidirectional: D === 2, batchFirst });
  const weights: [number, string, Tensor][] = [];
  layers.forEach(({ W, R, B }, l) => {
    for (let d = 0; d < D; d++) {
      weights.push([at(l, 0), cell.paramName('weight_ih', l, d), toTorchGateOrder(direction(W!, d), kind.perm)]);
      weights.push([at(l, 1), cell.paramName('weight_hh', l, d), toTorchGateOrder(direction(R!, d), kind.perm)]);
      if (B) {
        const b = direction(B, d);
        weights.push([at(l, 2), cell.paramName('bias_ih', l, d), toTorchGateOrder(range1d(b, 0, G * H), kind.perm)]);
        weights.push([at(l, 2), cell.paramName('bias_hh', l, d), toTorchGateOrder(range1d(b, G * H, 2 * G * H), kind.perm)]);
      }
    }
  });
  // states are passed together (MindSpore's LSTM takes (h_0, c_0)); a missing one is zeros, as PyTorch's default
  const states = kind.op === 'LSTM' ? [1, 2] : [1];
  if (!states.some(i => ctx.hasInput(i))) return cellStep(ctx, kind.api, cell, weights, [0]);
  const built = cellStep(ctx, kind.api, cell, weights, [0, ...states]);
  if (built.kind !== 'cell') return built;
  return {
    ...built,
    wrap: call => ([x, ...ss]) => call([x, ...ss.map(s => s ?? Tensor.zeros([L * D, x!.shape[batchFirst ? 0 : 1]!, H], x!.dtype))]),
    wrapPy: ([x, ...ss], cell, outs) => {
      const st = ss.map(s => (s?.given ? s.expr : `ops.zeros((${L * D}, ${x!.expr}.shape[${batchFirst ? 0 : 1}], ${H}), ${x!.expr}.dtype)`));
      const [y = '_', h = '_', c = '_'] = outs;
      return [kind.op === 'LSTM' ? `${y}, (${h}, ${c}) = ${cell}(${x!.expr}, (${st[0]}, ${st[1]}))` : `${y}, ${h} = ${cell}(${x!.expr}, ${st[0]})`];
    },
  };
}

function recurrent(kind: Kind) {
  return (ctx: BuildCtx): Built => {
    const { node } = ctx;
    if (node.attrs.has('msport_num_layers')) return recurrentStack(kind, ctx);
    const dir = attr<string>(node, 'direction', 'forward');
    if (dir !== 'forward' && dir !== 'reverse' && dir !== 'bidirectional') fail(node, `unknown direction '${dir}'`);
    const D = dir === 'bidirectional' ? 2 : 1;
    const layout = ctx.opset >= 14 ? attr<number>(node, 'layout', 0) : 0;
    if (layout !== 0 && layout !== 1) fail(node, `unknown layout ${layout}`);
    checkAttrs(ctx, kind, D);

    const W = ctx.constant(1), R = ctx.constant(2), B = ctx.hasInput(3) ? ctx.constant(3) : undefined;
    if (!W || !R || (ctx.hasInput(3) && !B)) fail(node, `W, R and B must be constants (initializers) to build nn.${kind.op}`);
    for (const [what, t] of [['W', W], ['R', R], ['B', B]] as const) if (t && t.dtype !== 'float32') fail(node, `${what} must be float32, got ${t.dtype}`);
    const H = attr<number>(node, 'hidden_size') ?? R.shape[2]!;
    if (!Number.isInteger(H) || H < 1) fail(node, `hidden_size must be a positive int, got ${JSON.stringify(H)}`);
    const G = kind.gates;
    if (W.ndim !== 3 || W.shape[0] !== D || W.shape[1] !== G * H) fail(node, `W has shape [${W.shape}], expected [${D}, ${G * H}, input_size]`);
    if (R.shape.join() !== [D, G * H, H].join()) fail(node, `R has shape [${R.shape}], expected [${D}, ${G * H}, ${H}]`);
    if (B && B.shape.join() !== [D, 2 * G * H].join()) fail(node, `B has shape [${B.shape}], expected [${D}, ${2 * G * H}]`);
    const inputSize = W.shape[2]!;
    if (inputSize < 1) fail(node, `W has shape [${W.shape}]: input_size must be positive`);
    const layer = layerIndex(ctx, kind.op);
    const opts: nn.RNNOptions = { hasBias: !!B, bidirectional: D === 2, batchFirst: layout === 1, firstLayer: layer };
    const cell = kind.op === 'LSTM' ? new nn.LSTM(inputSize, H, opts) : new nn.GRU(inputSize, H, opts);

    // a 'reverse' node becomes a forward Cell run on reversed sequences (see wrap): its weights take the forward names
    const weights: [number, string, Tensor][] = [];
    for (let d = 0; d < D; d++) {
      const name = (k: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh'): string => cell.paramName(k, 0, d);
      weights.push([1, name('weight_ih'), toTorchGateOrder(direction(W, d), kind.perm)]);
      weights.push([2, name('weight_hh'), toTorchGateOrder(direction(R, d), kind.perm)]);
      if (B) {
        const b = direction(B, d);
        weights.push([3, name('bias_ih'), toTorchGateOrder(range1d(b, 0, G * H), kind.perm)]);
        weights.push([3, name('bias_hh'), toTorchGateOrder(range1d(b, G * H, 2 * G * H), kind.perm)]);
      }
    }
    const runtimeInputs = [0, 4, ...kind.stateInputs].filter(i => i === 0 || ctx.hasInput(i));
    const built = cellStep(ctx, kind.api, cell, weights, runtimeInputs);
    if (built.kind !== 'cell') return built;

    const timeAxis = layout === 1 ? 1 : 0, batchAxis = 1 - timeAxis;
    // ONNX layout 1 keeps states batch-major [batch, dirs, H]; MindSpore's are [dirs, batch, H] in both layouts
    const swapStateLayout = (s: Tensor): Tensor => (layout === 1 ? ops.transpose(s, [1, 0, 2]) : s);
    return {
      ...built,
      wrap: call => xs => {
        const input = (i: number): Tensor | undefined => { const k = runtimeInputs.indexOf(i); return k < 0 ? undefined : xs[k]; };
        let x = input(0)!;
        const T = x.shape[timeAxis]!, N = x.shape[batchAxis]!;
        const seq = input(4);
        // a 'reverse' node: MindSpore's forward cell over each sequence reversed (within its length), reversed back
        const lens = seq && dir === 'reverse' ? seq.toArray() : null;
        if (dir === 'reverse') x = reverseSequence(x, lens, timeAxis, T, N);
        const args = [x];
        const states = kind.stateInputs.map(input);
        if (seq || states.some(s => s)) {
          for (const s of states) args.push(s ? swapStateLayout(s) : Tensor.zeros([D, N, H], x.dtype));
          if (seq) args.push(seq);
        }
        const [y, ...finals] = call(args);
        // the Cell's output is [T, N, D·H] (layout 1: [N, T, D·H]), directions side by side on the last axis
        let Y = layout === 1 ? ops.reshape(y!, [N, T, D, H]) : ops.transpose(ops.reshape(y!, [T, N, D, H]), [0, 2, 1, 3]);
        if (dir === 'reverse') Y = reverseSequence(Y, lens, timeAxis, T, N);
        return [Y, ...finals.map(swapStateLayout)];
      },
      // the same in Python: MindSpore's (output, (h, c)) / (output, h) rearranged into ONNX's Y, Y_h, Y_c
      wrapPy: (args, cell, outs) => {
        if (dir === 'reverse') throw new Error("a 'reverse' recurrent node (MindSpore's Cell runs forward)");
        const arg = (i: number) => { const k = runtimeInputs.indexOf(i); return k < 0 ? undefined : args[k]; };
        if (arg(4)?.given) throw new Error('a recurrent node with sequence lengths');
        const x = arg(0)!.expr;
        const swap = (e: string): string => (layout === 1 ? `ops.transpose(${e}, (1, 0, 2))` : e);
        const states = kind.stateInputs.map(i => arg(i)).map(s => (s?.given ? swap(s.expr) : `ops.zeros((${D}, ${x}.shape[${batchAxis}], ${H}), ${x}.dtype)`));
        const given = kind.stateInputs.some(i => arg(i)?.given);
        const [Y = '_', Yh = '_', Yc = '_'] = outs;
        const lines = [kind.op === 'LSTM'
          ? `rnn_y, (rnn_h, rnn_c) = ${cell}(${x}${given ? `, (${states.join(', ')})` : ''})`
          : `rnn_y, rnn_h = ${cell}(${x}${given ? `, ${states[0]}` : ''})`];
        const split = `ops.reshape(rnn_y, (rnn_y.shape[0], rnn_y.shape[1], ${D}, ${H}))`;
        if (Y !== '_') lines.push(`${Y} = ${layout === 1 ? split : `ops.transpose(${split}, (0, 2, 1, 3))`}`);
        if (Yh !== '_') lines.push(`${Yh} = ${swap('rnn_h')}`);
        if (Yc !== '_' && kind.op === 'LSTM') lines.push(`${Yc} = ${swap('rnn_c')}`);
        return lines;
      },
    };
  };
}

export const rnnHandlers: OnnxOpHandler[] = [
  { opType: 'LSTM', versions: { 7: recurrent(LSTM_KIND), 14: recurrent(LSTM_KIND) } },
  { opType: 'GRU', versions: { 7: recurrent(GRU_KIND), 14: recurrent(GRU_KIND) } },
];
