import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor } from '../tensor.js';
import { isFloat, isInt } from '../dtype.js';
import { Uniform, initTensor } from '../initializer.js';
import * as ops from '../functional.js';
import { pyFloat, args, raw, type CellCall, type Named } from './pycall.js';

/** Keyword arguments of nn.LSTM / nn.GRU after (input_size, hidden_size), with MindSpore's defaults. */
export interface RNNOptions {
  /** stacked layers (default 1) */
  numLayers?: number;
  /** bias_ih / bias_hh Parameters (default true; PyTorch calls it `bias`) */
  hasBias?: boolean;
  /** input and output are [batch, seq, feature] (default false: [seq, batch, feature]); states stay [L·D, batch, H] */
  batchFirst?: boolean;
  /** drop probability on the outputs of every layer but the last, in train phase only (default 0) */
  dropout?: number;
  /** a reverse direction per layer, Parameters suffixed `_reverse` (default false) */
  bidirectional?: boolean;
  /**
   * msport extension, not a MindSpore argument: the index of the first layer in Parameter names (default 0). The ONNX
   * importer builds one single-layer Cell per exported layer; with it, layer k of a PyTorch stack keeps the name
   * `weight_ih_l{k}`.
   */
  firstLayer?: number;
}

type Mode = 'LSTM' | 'GRU';
type ParamKind = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh';

const checkPositive = (cls: string, what: string, v: number): void => {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${cls}: ${what} must be a positive int, got ${v}`);
};
const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/**
 * Shared body of nn.LSTM and nn.GRU (MindSpore `_RNNBase`, reference §7): Parameters `weight_ih_l{k}` [G·H, in_k],
 * `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}` / `bias_hh_l{k}` [G·H] (suffix `_reverse` for the backward direction),
 * G = 4 (LSTM) or 3 (GRU), gate blocks in PyTorch's order. Every Parameter starts Uniform(±1/√hidden_size) from the
 * global seeded RNG. They sit directly on the Cell under their PyTorch names (MindSpore keeps them in ParameterTuples
 * `w_ih_list`, … created with these names) and are registered in PyTorch's state_dict order: per layer and direction
 * weight_ih, weight_hh, bias_ih, bias_hh. The recurrence is composed of functional ops (dense, split, sigmoid, tanh,
 * mul, add, stack, concat), so gradients reach the inputs, the initial states and every Parameter.
 */
abstract class RNNBase extends Cell {
  /** LSTM / GRU: the same arguments on both sides but has_bias for bias. */
  override emitCall(): CellCall {
    const rest = (bias: string): Named[] => [['num_layers', this.numLayers, 1], [bias, this.hasBias, true], ['batch_first', this.batchFirst, false],
      ['dropout', raw(pyFloat(this.dropout)), raw('0.0')], ['bidirectional', this.bidirectional, false]];
    return {
      ms: `nn.${this.clsName}(${args([this.inputSize, this.hiddenSize], rest('has_bias'))})`,
      torch: `nn.${this.clsName}(${args([this.inputSize, this.hiddenSize], rest('bias'))})`,
      values: { has_bias: this.hasBias },
      // MindSpore returns (output, (h_n, c_n)) for LSTM and (output, h_n) for GRU
      results: n => { const [y = '_', h = '_', c = '_'] = n; return this.clsName === 'LSTM' ? `${y}, (${h}, ${c})` : `${y}, ${h}`; },
    };
  }

  readonly inputSize: number; readonly hiddenSize: number; readonly numLayers: number; readonly hasBias: boolean;
  readonly batchFirst: boolean; readonly dropout: number; readonly bidirectional: boolean; readonly firstLayer: number;
  private readonly gateCount: number;

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super();
    const cls = mode;
    checkPositive(cls, 'input_size', inputSize);
    checkPositive(cls, 'hidden_size', hiddenSize);
    this.inputSize = inputSize; this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    checkPositive(cls, 'num_layers', this.numLayers);
    this.hasBias = opts.hasBias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${cls}: dropout must be in [0.0, 1.0), got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    this.firstLayer = opts.firstLayer ?? 0;
    if (!Number.isInteger(this.firstLayer) || this.firstLayer < 0) throw new Error(`${cls}: firstLayer must be a non-negative int, got ${this.firstLayer}`);
    this.gateCount = mode === 'LSTM' ? 4 : 3;
    const gh = this.gateCount * hiddenSize, init = new Uniform(1 / Math.sqrt(hiddenSize));
    const self = this as unknown as Record<string, unknown>;
    // drawn per layer and direction (PyTorch's state_dict order), registered kind by kind as MindSpore 2.10 does
    // (all weight_ih, then weight_hh, bias_ih, bias_hh; conformance: LSTM(2 layers,bidirectional) names)
    const drawn = new Map<string, Parameter>();
    const kinds: ParamKind[] = this.hasBias ? ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] : ['weight_ih', 'weight_hh'];
    for (let l = 0; l < this.numLayers; l++) {
      const inL = l === 0 ? inputSize : hiddenSize * this.numDirections;
      for (let d = 0; d < this.numDirections; d++) {
        const shapes: Record<ParamKind, number[]> = { weight_ih: [gh, inL], weight_hh: [gh, hiddenSize], bias_ih: [gh], bias_hh: [gh] };
        for (const kind of kinds) {
          const name = this.paramName(kind, l, d);
          drawn.set(name, new Parameter(initTensor(init, shapes[kind]), name));
        }
      }
    }
    for (const kind of kinds) {
      for (let l = 0; l < this.numLayers; l++) {
        for (let d = 0; d < this.numDirections; d++) {
          const name = this.paramName(kind, l, d);
          self[name] = drawn.get(name); // assignment through the Cell proxy registers it under its attribute name
        }
      }
    }
  }

  get numDirections(): number { return this.bidirectional ? 2 : 1; }

  /** `weight_ih_l{k}` / `…_reverse`: the PyTorch (and MindSpore) name of a Parameter of layer `l`, direction `d`. */
  paramName(kind: ParamKind, l: number, d: number): string {
    return `${kind}_l${l + this.firstLayer}${d === 1 ? '_reverse' : ''}`;
  }

  private param(kind: ParamKind, l: number, d: number): Parameter | null {
    if (!this.hasBias && kind.startsWith('bias')) return null;
    const p = this._params.get(this.paramName(kind, l, d));
    if (!p) throw new Error(`${this.clsName}: Parameter ${this.paramName(kind, l, d)} is missing`);
    return p;
  }

  /**
   * One time step of the cell: `gi` = W_ih x_t + b_ih [batch, G·H] (computed for all steps at once), the previous state
   * (h, and c for LSTM) → the new state.
   */
  protected abstract cellStep(gi: Tensor, h: Tensor, c: Tensor | null, wHh: Tensor, bHh: Tensor | null): [Tensor, Tensor | null];

  /** One direction of one layer over the whole sequence: x [T, B, in] → outputs [T, B, H] and the final state. */
  private runDirection(x: Tensor, l: number, d: number, h0: Tensor, c0: Tensor | null, masks: Tensor[] | null): { out: Tensor; h: Tensor; c: Tensor | null } {
    const T = x.shape[0]!, B = x.shape[1]!, gh = this.gateCount * this.hiddenSize;
    const gi = ops.dense(x, this.param('weight_ih', l, d)!, this.param('bias_ih', l, d));
    const giSteps = T === 1 ? [gi] : ops.split(gi, Array(T).fill(1), 0);
    const wHh = this.param('weight_hh', l, d)!, bHh = this.param('bias_hh', l, d);
    const outs: Tensor[] = new Array(T);
    let h = h0, c = c0;
    for (let s = 0; s < T; s++) {
      const t = d === 1 ? T - 1 - s : s;
      const [hn, cn] = this.cellStep(ops.reshape(giSteps[t]!, [B, gh]), h, c, wHh, bHh);
      const m = masks?.[t];
      if (!m) {
        h = hn; c = cn;
        outs[t] = hn;
      } else {
        // seq_length: past a sequence's end the state is held and the output is zero. The reverse direction thus
        // starts at that sequence's last valid step, which is MindSpore's ReverseSequence behaviour.
        h = ops.add(h, ops.mul(ops.sub(hn, h), m));
        if (c && cn) c = ops.add(c, ops.mul(ops.sub(cn, c), m));
        outs[t] = ops.mul(hn, m);
      }
    }
    return { out: T === 1 ? ops.reshape(outs[0]!, [1, B, this.hiddenSize]) : ops.stack(outs, 0), h, c };
  }

  /** Per-step masks [B, 1] (1 while t < seq_length[b]) for a seq_length input, or null without one. */
  private masks(seqLength: Tensor | null | undefined, T: number, B: number, like: Tensor): Tensor[] | null {
    if (!seqLength) return null;
    if (!isInt(seqLength.dtype)) throw new Error(`${this.clsName}: seq_length must be an int32 or int64 Tensor, got ${seqLength.dtype}`);
    if (seqLength.ndim !== 1 || seqLength.shape[0] !== B) throw new Error(`${this.clsName}: seq_length must have shape [${B}] (batch_size), got [${seqLength.shape}]`);
    const lens = seqLength.toArray();
    for (const n of lens) if (!(n >= 0 && n <= T)) throw new Error(`${this.clsName}: seq_length values must be in [0, ${T}], got ${n}`);
    if (lens.every(n => n === T)) return null;
    return Array.from({ length: T }, (_, t) => {
      const m = Tensor.zeros([B, 1], like.dtype);
      lens.forEach((n, b) => { m.data[b] = t < n ? 1 : 0; });
      return m;
    });
  }

  private checkState(what: string, s: Tensor, want: number[]): void {
    if (s.shape.join() !== want.join()) throw new Error(`${this.clsName}: ${what} must have shape [${want}] (num_layers * num_directions, batch_size, hidden_size), got [${s.shape}]`);
    if (!isFloat(s.dtype)) throw new Error(`${this.clsName}: ${what} must be a float Tensor, got ${s.dtype}`);
  }

  /** The stacked recurrence: x and the initial states (null: zeros) → [output, h_n, c_n (LSTM) | null]. */
  protected run(x: Tensor, hx: Tensor | null | undefined, cx: Tensor | null | undefined, seqLength: Tensor | null | undefined): [Tensor, Tensor, Tensor | null] {
    const cls = this.clsName;
    if (!(x instanceof Tensor) || x.ndim !== 3) throw new Error(`${cls}: x must be a 3-D Tensor (${this.batchFirst ? 'batch_size, seq_len' : 'seq_len, batch_size'}, input_size), got ${x instanceof Tensor ? `[${x.shape}]` : typeof x}`);
    if (!isFloat(x.dtype)) throw new Error(`${cls}: x must be a float Tensor, got ${x.dtype}`);
    const xs = this.batchFirst ? ops.transpose(x, [1, 0, 2]) : x;
    const [T, B, F] = xs.shape as [number, number, number];
    if (F !== this.inputSize) throw new Error(`${cls}: x has ${F} features but input_size is ${this.inputSize}`);
    if (T === 0) throw new Error(`${cls}: x has an empty sequence`);
    const H = this.hiddenSize, D = this.numDirections, L = this.numLayers;
    const isLstm = this.gateCount === 4;
    const stateShape = [L * D, B, H];
    if (hx) this.checkState(isLstm ? 'hx[0] (h_0)' : 'hx', hx, stateShape);
    if (cx) this.checkState('hx[1] (c_0)', cx, stateShape);
    const states = (s: Tensor | null | undefined): Tensor[] | null => {
      if (!s) return null;
      const parts = L * D === 1 ? [s] : ops.split(s, Array(L * D).fill(1), 0);
      return parts.map(p => ops.reshape(p, [B, H]));
    };
    const h0s = states(hx), c0s = isLstm ? states(cx) : null;
    const masks = this.masks(seqLength, T, B, xs);
    let layerIn = xs;
    const hn: Tensor[] = [], cn: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const dirOuts: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const h0 = h0s?.[k] ?? Tensor.zeros([B, H], xs.dtype);
        const c0 = isLstm ? c0s?.[k] ?? Tensor.zeros([B, H], xs.dtype) : null;
        const r = this.runDirection(layerIn, l, d, h0, c0, masks);
        dirOuts.push(r.out); hn.push(r.h);
        if (r.c) cn.push(r.c);
      }
      const out = D === 1 ? dirOuts[0]! : ops.concat(dirOuts, 2);
      layerIn = this.dropout > 0 && this.training && l < L - 1 ? ops.dropout(out, this.dropout, true) : out;
    }
    const output = this.batchFirst ? ops.transpose(layerIn, [1, 0, 2]) : layerIn;
    const stackStates = (s: Tensor[]): Tensor => (s.length === 1 ? ops.reshape(s[0]!, stateShape) : ops.stack(s, 0));
    return [output, stackStates(hn), isLstm ? stackStates(cn) : null];
  }

  /**
   * MindSpore 2.10 on CPU prints only its internal children, `rnn` (_DynamicLSTMCPUGPU / _DynamicGRUCPUGPU) and
   * `dropout_op`; print(net) shows exactly that. The arguments stay available from `describe()`.
   */
  override toString(): string {
    const kind = this.gateCount === 4 ? 'LSTM' : 'GRU';
    return `${this.clsName}(\n  (rnn): _Dynamic${kind}CPUGPU()\n  (dropout_op): Dropout(p=${pyFloat(this.dropout)})\n)`;
  }

  /** The constructor arguments, as msport's inspect shows them. */
  describe(): string {
    return `input_size=${this.inputSize}, hidden_size=${this.hiddenSize}, num_layers=${this.numLayers}, has_bias=${pyBool(this.hasBias)}, ` +
      `batch_first=${pyBool(this.batchFirst)}, dropout=${pyFloat(this.dropout)}, bidirectional=${pyBool(this.bidirectional)}`;
  }
}

/**
 * nn.LSTM(input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0., bidirectional=False),
 * PyTorch's equations with gate blocks (i, f, g, o):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(…f…), g = tanh(…g…), o = σ(…o…), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
 * MindSpore's forward is `(x, hx=(h_0, c_0), seq_length=None)` returning `(output, (h_n, c_n))`; msport Cells take and
 * return flat Tensor lists, so here it is `call(x, h_0?, c_0?, seq_length?)` → `[output, h_n, c_n]`. Omitted (or null)
 * states are zeros; h_0 and c_0 are [num_layers · num_directions, batch, hidden_size]; seq_length [batch] (int) makes
 * steps past each sequence's end output zeros and keep the state, so h_n / c_n are the states at the last valid step.
 * @example const [out, hn, cn] = new LSTM(8, 16, { numLayers: 2, bidirectional: true }).call(x) as Tensor[]
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) { super('LSTM', inputSize, hiddenSize, opts); }

  construct(x: Tensor, h0?: Tensor | null, c0?: Tensor | null, seqLength?: Tensor | null): Tensor[] {
    const [out, hn, cn] = this.run(x, h0, c0, seqLength);
    return [out, hn, cn!];
  }

  protected cellStep(gi: Tensor, h: Tensor, c: Tensor | null, wHh: Tensor, bHh: Tensor | null): [Tensor, Tensor] {
    const H = this.hiddenSize;
    const [i, f, g, o] = ops.split(ops.add(gi, ops.dense(h, wHh, bHh)), [H, H, H, H], 1) as [Tensor, Tensor, Tensor, Tensor];
    const c2 = ops.add(ops.mul(ops.sigmoid(f), c!), ops.mul(ops.sigmoid(i), ops.tanh(g)));
    return [ops.mul(ops.sigmoid(o), ops.tanh(c2)), c2];
  }
}

/**
 * nn.GRU(input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0., bidirectional=False),
 * PyTorch's equations with gate blocks (r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…z…), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Forward `call(x, hx?, seq_length?)` → `[output, h_n]` (MindSpore: `(x, hx=None, seq_length=None)` → `(output, h_n)`).
 * @example const [out, hn] = new GRU(8, 16).call(x) as Tensor[]
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) { super('GRU', inputSize, hiddenSize, opts); }

  construct(x: Tensor, hx?: Tensor | null, seqLength?: Tensor | null): Tensor[] {
    const [out, hn] = this.run(x, hx, null, seqLength);
    return [out, hn];
  }

  protected cellStep(gi: Tensor, h: Tensor, _c: Tensor | null, wHh: Tensor, bHh: Tensor | null): [Tensor, null] {
    const H = this.hiddenSize;
    const [ir, iz, inn] = ops.split(gi, [H, H, H], 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = ops.split(ops.dense(h, wHh, bHh), [H, H, H], 1) as [Tensor, Tensor, Tensor];
    const r = ops.sigmoid(ops.add(ir, hr)), z = ops.sigmoid(ops.add(iz, hz));
    const n = ops.tanh(ops.add(inn, ops.mul(r, hn)));
    // (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n)
    return [ops.add(n, ops.mul(z, ops.sub(h, n))), null];
  }
}
