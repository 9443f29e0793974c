/**
 * nn.LSTM / nn.GRU: outputs against a scalar-loop implementation of PyTorch's equations (reference §7: MindSpore keeps
 * PyTorch's gate order and equations), Parameter names and shapes, initialisation, seq_length, repr, errors, and
 * gradients against central differences.
 * Tolerance: 1e-5 absolute — a few dozen float32 multiply-adds per gate on O(1) values, against a float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { Parameter } from '../../src/runtime/parameter.js';
import { Rng, setSeed } from '../../src/runtime/random.js';
import { Cell } from '../../src/runtime/cell.js';
import { noGrad } from '../../src/runtime/autograd.js';
import { grad } from '../../src/runtime/grad.js';
import * as nn from '../../src/runtime/nn/index.js';
import * as ops from '../../src/runtime/functional.js';
import { gradcheck } from '../helpers/gradcheck.js';

type Mode = 'LSTM' | 'GRU';
type Net = nn.LSTM | nn.GRU;

const rand = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
};
const sig = (v: number): number => 1 / (1 + Math.exp(-v));

interface RefOpts { L: number; D: number; H: number; inSize: number; hasBias: boolean }

/**
 * PyTorch's LSTM / GRU written out element by element (float64). x is seq-first [T][B][in]; states [L·D][B][H];
 * `lens` gives each sequence's length (steps past it keep the state and output zero; the reverse direction starts at
 * the last valid step). Parameters are read by their PyTorch names.
 */
function reference(mode: Mode, p: Map<string, Float32Array>, o: RefOpts, x: number[][][], h0?: number[][][], c0?: number[][][], lens?: number[]) {
  const T = x.length, B = x[0]!.length, { L, D, H } = o, G = mode === 'LSTM' ? 4 : 3;
  const zeros = (): number[][] => Array.from({ length: B }, () => Array<number>(H).fill(0));
  let input = x;
  const hn: number[][][] = [], cn: number[][][] = [];
  for (let l = 0; l < L; l++) {
    const inL = l === 0 ? o.inSize : H * D;
    const out: number[][][] = Array.from({ length: T }, () => Array.from({ length: B }, () => Array<number>(H * D).fill(0)));
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      const wih = p.get(`weight_ih${sfx}`)!, whh = p.get(`weight_hh${sfx}`)!;
      const bih = o.hasBias ? p.get(`bias_ih${sfx}`)! : new Float32Array(G * H), bhh = o.hasBias ? p.get(`bias_hh${sfx}`)! : new Float32Array(G * H);
      for (let b = 0; b < B; b++) {
        let h = h0 ? [...h0[l * D + d]![b]!] : zeros()[b]!;
        let c = c0 ? [...c0[l * D + d]![b]!] : zeros()[b]!;
        const n = lens ? lens[b]! : T;
        for (let s = 0; s < n; s++) {
          const t = d ? n - 1 - s : s;
          const gi = Array.from({ length: G * H }, (_, r) => bih[r]! + input[t]![b]!.reduce((a, v, k) => a + wih[r * inL + k]! * v, 0));
          const gh = Array.from({ length: G * H }, (_, r) => bhh[r]! + h.reduce((a, v, k) => a + whh[r * H + k]! * v, 0));
          if (mode === 'LSTM') {
            const nc = c.map((cv, j) => sig(gi[H + j]! + gh[H + j]!) * cv + sig(gi[j]! + gh[j]!) * Math.tanh(gi[2 * H + j]! + gh[2 * H + j]!));
            h = nc.map((cv, j) => sig(gi[3 * H + j]! + gh[3 * H + j]!) * Math.tanh(cv));
            c = nc;
          } else {
            h = h.map((hv, j) => {
              const r = sig(gi[j]! + gh[j]!), z = sig(gi[H + j]! + gh[H + j]!);
              const nn_ = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
              return (1 - z) * nn_ + z * hv;
            });
          }
          for (let j = 0; j < H; j++) out[t]![b]![d * H + j] = h[j]!;
        }
        (hn[l * D + d] ??= [])[b] = h;
        (cn[l * D + d] ??= [])[b] = c;
      }
    }
    input = out;
  }
  return { out: input, hn, cn };
}

const nested3 = (t: Tensor): number[][][] => t.tolist() as number[][][];
const paramsOf = (net: Cell): Map<string, Float32Array> => new Map(net.parametersAndNames().map(([k, v]) => [k, v.data as Float32Array]));
const maxDiff = (got: Tensor, want: number[][][]): number => {
  const w = want.flat(2);
  expect(got.size).toBe(w.length);
  return Math.max(...got.toArray().map((v, i) => Math.abs(v - w[i]!)));
};
const swap01 = (a: number[][][]): number[][][] => a[0]!.map((_, i) => a.map(row => row[i]!));

const make = (mode: Mode, inSize: number, H: number, opts: nn.RNNOptions): Net => (mode === 'LSTM' ? new nn.LSTM(inSize, H, opts) : new nn.GRU(inSize, H, opts));
const run = (net: Net, x: Tensor, h0?: Tensor | null, c0?: Tensor | null, seq?: Tensor): Tensor[] =>
  net instanceof nn.LSTM ? net.construct(x, h0, c0, seq) : net.construct(x, h0, seq);

describe('nn.LSTM / nn.GRU forward against the PyTorch equations', () => {
  const T = 4, B = 3, IN = 5, H = 3, L = 2;
  for (const mode of ['LSTM', 'GRU'] as const) {
    for (const batchFirst of [false, true]) {
      for (const withState of [false, true]) {
        it(`${mode} 2 layers bidirectional batch_first=${batchFirst}${withState ? ' with initial state' : ''}`, () => {
          setSeed(7);
          const net = make(mode, IN, H, { numLayers: L, bidirectional: true, batchFirst });
          const xs = rand([T, B, IN], 11, -2, 2);
          const x = batchFirst ? ops.transpose(xs, [1, 0, 2]) : xs;
          const h0 = withState ? rand([L * 2, B, H], 12) : null, c0 = withState ? rand([L * 2, B, H], 13) : null;
          const [out, hn, cn] = noGrad(() => run(net, x, h0, c0));
          const ref = reference(mode, paramsOf(net), { L, D: 2, H, inSize: IN, hasBias: true }, nested3(xs), h0 ? nested3(h0) : undefined, c0 ? nested3(c0) : undefined);
          expect(out!.shape).toEqual(batchFirst ? [B, T, 2 * H] : [T, B, 2 * H]);
          expect(hn!.shape).toEqual([L * 2, B, H]);
          expect(maxDiff(out!, batchFirst ? swap01(ref.out) : ref.out)).toBeLessThan(1e-5);
          expect(maxDiff(hn!, ref.hn)).toBeLessThan(1e-5);
          if (mode === 'LSTM') {
            expect(cn!.shape).toEqual([L * 2, B, H]);
            expect(maxDiff(cn!, ref.cn)).toBeLessThan(1e-5);
          } else expect(cn).toBeUndefined();
        });
      }
    }

    it(`${mode} unidirectional, 3 layers, has_bias=False`, () => {
      setSeed(3);
      const net = make(mode, IN, H, { numLayers: 3, hasBias: false });
      const x = rand([T, B, IN], 21, -2, 2);
      const [out, hn] = noGrad(() => run(net, x));
      const ref = reference(mode, paramsOf(net), { L: 3, D: 1, H, inSize: IN, hasBias: false }, nested3(x));
      expect(maxDiff(out!, ref.out)).toBeLessThan(1e-5);
      expect(maxDiff(hn!, ref.hn)).toBeLessThan(1e-5);
    });

    it(`${mode} seq_length: padded steps output zeros, states stop at each sequence's end`, () => {
      setSeed(5);
      const net = make(mode, IN, H, { numLayers: L, bidirectional: true });
      const x = rand([T, B, IN], 31, -2, 2), h0 = rand([L * 2, B, H], 32), c0 = rand([L * 2, B, H], 33);
      const lens = [4, 2, 1];
      const [out, hn, cn] = noGrad(() => run(net, x, h0, c0, Tensor.from(lens, 'int32')));
      const ref = reference(mode, paramsOf(net), { L, D: 2, H, inSize: IN, hasBias: true }, nested3(x), nested3(h0), nested3(c0), lens);
      expect(maxDiff(out!, ref.out)).toBeLessThan(1e-5);
      expect(maxDiff(hn!, ref.hn)).toBeLessThan(1e-5);
      if (mode === 'LSTM') expect(maxDiff(cn!, ref.cn)).toBeLessThan(1e-5);
      // full lengths are the same as no seq_length
      const [full] = noGrad(() => run(net, x, h0, c0, Tensor.from([T, T, T], 'int64')));
      const [none] = noGrad(() => run(net, x, h0, c0));
      expect(full!.toArray()).toEqual(none!.toArray());
    });
  }

  it('Cell.call returns the flat output list; a one-step, one-sample sequence works', () => {
    const lstm = new nn.LSTM(2, 3);
    const outs = lstm.call(rand([1, 1, 2], 1)) as Tensor[];
    expect(outs.map(t => t.shape)).toEqual([[1, 1, 3], [1, 1, 3], [1, 1, 3]]);
    // with one step the output is h_n
    expect(outs[0]!.toArray()).toEqual(outs[1]!.toArray());
    const gru = new nn.GRU(2, 3, { batchFirst: true });
    expect((gru.call(rand([2, 1, 2], 1)) as Tensor[]).map(t => t.shape)).toEqual([[2, 1, 3], [1, 2, 3]]);
  });

  it('dropout acts between layers in train phase only', () => {
    setSeed(1);
    const net = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
    const x = rand([3, 2, 3], 2);
    const [a] = net.predict(x) as Tensor[];
    const [b] = net.predict(x) as Tensor[];
    expect(a!.toArray()).toEqual(b!.toArray());
    net.setTrain(true);
    const [c] = net.predict(x) as Tensor[];
    expect(c!.toArray()).not.toEqual(a!.toArray());
    // one layer: nothing to drop between layers
    const one = new nn.GRU(3, 4, { dropout: 0.5 }).setTrain(true);
    const [d] = one.predict(x) as Tensor[];
    const [e] = one.setTrain(false).predict(x) as Tensor[];
    expect(d!.toArray()).toEqual(e!.toArray());
  });
});

describe('Parameters', () => {
  it('PyTorch names and shapes, in state_dict order, prefixed by the attribute path (auto_prefix)', () => {
    class Net extends Cell {
      lstm = new nn.LSTM(8, 16, { numLayers: 2, bidirectional: true });
      construct(x: Tensor): Tensor { return (this.lstm.call(x) as Tensor[])[0]!; }
    }
    const net = new Net();
    const got = net.parametersAndNames().map(([k, p]) => `${k} [${p.shape}]`);
    // MindSpore 2.10 registers kind by kind: every weight_ih, then weight_hh, bias_ih, bias_hh (conformance names)
    const want: string[] = [];
    for (const [kind, shape] of [['weight_ih', ''], ['weight_hh', '64,16'], ['bias_ih', '64'], ['bias_hh', '64']] as const) {
      for (let l = 0; l < 2; l++) {
        for (const sfx of ['', '_reverse']) want.push(`lstm.${kind}_l${l}${sfx} [${shape || `64,${l === 0 ? 8 : 32}`}]`);
      }
    }
    expect(got).toEqual(want);
    expect((net.lstm as unknown as Record<string, unknown>)['weight_ih_l1_reverse']).toBeInstanceOf(Parameter);
  });

  it('GRU: 3·H gate rows; has_bias=False drops the biases; firstLayer renumbers the layers', () => {
    const gru = new nn.GRU(4, 5, { hasBias: false });
    expect(gru.parametersAndNames().map(([k, p]) => [k, [...p.shape]])).toEqual([['weight_ih_l0', [15, 4]], ['weight_hh_l0', [15, 5]]]);
    const lstm = new nn.LSTM(32, 16, { bidirectional: true, firstLayer: 1 });
    expect(lstm.parametersAndNames().map(([k]) => k)).toEqual([
      'weight_ih_l1', 'weight_ih_l1_reverse', 'weight_hh_l1', 'weight_hh_l1_reverse', 'bias_ih_l1', 'bias_ih_l1_reverse', 'bias_hh_l1', 'bias_hh_l1_reverse']);
  });

  it('start Uniform(±1/√hidden_size) from the global seed (§7)', () => {
    setSeed(42);
    const a = new nn.LSTM(6, 25, { numLayers: 2 });
    setSeed(42);
    const b = new nn.LSTM(6, 25, { numLayers: 2 });
    const all = a.parametersAndNames().flatMap(([, p]) => p.toArray());
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.19);
    expect(Math.abs(all.reduce((s, v) => s + v, 0) / all.length)).toBeLessThan(0.01);
    expect(b.parametersAndNames().flatMap(([, p]) => p.toArray())).toEqual(all);
  });

  it('MindSpore defaults and repr', () => {
    const l = new nn.LSTM(8, 16);
    expect([l.numLayers, l.hasBias, l.batchFirst, l.dropout, l.bidirectional, l.training]).toEqual([1, true, false, 0, false, false]);
    expect(l.toString()).toBe('LSTM(\n  (rnn): _DynamicLSTMCPUGPU()\n  (dropout_op): Dropout(p=0.0)\n)'); // MindSpore 2.10 on CPU
    expect(l.describe()).toBe('input_size=8, hidden_size=16, num_layers=1, has_bias=True, batch_first=False, dropout=0.0, bidirectional=False');
    expect(new nn.GRU(4, 2, { numLayers: 2, hasBias: false, batchFirst: true, dropout: 0.25, bidirectional: true }).describe())
      .toBe('input_size=4, hidden_size=2, num_layers=2, has_bias=False, batch_first=True, dropout=0.25, bidirectional=True');
  });
});

describe('errors', () => {
  it('constructor arguments', () => {
    expect(() => new nn.LSTM(0, 4)).toThrow(/input_size must be a positive int/);
    expect(() => new nn.GRU(3, 4, { numLayers: 0 })).toThrow(/num_layers/);
    expect(() => new nn.GRU(3, 4, { dropout: 1 })).toThrow(/dropout must be in \[0\.0, 1\.0\)/);
  });
  it('inputs', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    expect(() => lstm.call(rand([2, 3], 1))).toThrow(/x must be a 3-D Tensor/);
    expect(() => lstm.call(rand([2, 1, 5], 1))).toThrow(/5 features but input_size is 3/);
    expect(() => lstm.call(rand([2, 1, 3], 1), rand([1, 1, 4], 2), rand([2, 1, 4], 3))).toThrow(/hx\[0\] \(h_0\) must have shape \[2,1,4\]/);
    expect(() => lstm.call(rand([2, 1, 3], 1), rand([2, 1, 4], 2), rand([2, 1, 4], 3), Tensor.from([3], 'int32'))).toThrow(/seq_length values must be in \[0, 2\]/);
    expect(() => lstm.call(rand([2, 1, 3], 1), rand([2, 1, 4], 2), rand([2, 1, 4], 3), Tensor.from([2], 'float32'))).toThrow(/seq_length must be an int32 or int64/);
  });
});

describe('gradients (central differences)', () => {
  /** d sum(out·r) / dp for every element of every Parameter, autograd against central differences. */
  function paramGradcheck(net: Net, f: () => Tensor, h = 1e-2, atol = 1e-3, rtol = 1e-2): string[] {
    const rng = new Rng(99);
    const probe = noGrad(f);
    const r = Tensor.zeros(probe.shape);
    for (let i = 0; i < r.size; i++) r.data[i] = rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1);
    const loss = (): Tensor => ops.sum(ops.mul(f(), r));
    const params = net.trainableParams();
    const grads = grad(loss, null, params)() as Tensor[];
    const bad: string[] = [];
    params.forEach((p, i) => {
      const g = grads[i]!;
      expect(g.shape).toEqual(p.shape);
      const data = p.data as Float32Array;
      for (let k = 0; k < p.size; k++) {
        const v = data[k]!;
        data[k] = v + h; const lp = noGrad(loss).item();
        data[k] = v - h; const lm = noGrad(loss).item();
        data[k] = v;
        const numeric = (lp - lm) / (2 * h), analytic = g.get(k);
        if (!(Math.abs(analytic - numeric) <= atol + rtol * Math.abs(numeric))) bad.push(`${p.name}[${k}]: ${analytic} vs ${numeric}`);
      }
    });
    return bad;
  }

  for (const mode of ['LSTM', 'GRU'] as const) {
    it(`${mode}: inputs and initial states`, () => {
      setSeed(9);
      const net = make(mode, 2, 3, { numLayers: 2, bidirectional: true, batchFirst: true });
      const x = rand([2, 3, 2], 41, -1.5, 1.5), h0 = rand([4, 2, 3], 42), c0 = rand([4, 2, 3], 43);
      const bad = mode === 'LSTM'
        ? gradcheck((a, b, c) => ops.concat([(net as nn.LSTM).construct(a!, b, c).map(t => ops.reshape(t, [t.size]))].flat(), 0), [x, h0, c0])
        : gradcheck((a, b) => ops.concat((net as nn.GRU).construct(a!, b).map(t => ops.reshape(t, [t.size])), 0), [x, h0]);
      expect(bad.slice(0, 5)).toEqual([]);
    });

    it(`${mode}: every Parameter (with seq_length)`, () => {
      setSeed(10);
      const net = make(mode, 2, 2, { numLayers: 2, bidirectional: true });
      const x = rand([3, 2, 2], 51, -1.5, 1.5);
      const seq = Tensor.from([3, 2], 'int64');
      const f = (): Tensor => ops.concat(run(net, x, null, null, seq).map(t => ops.reshape(t, [t.size])), 0);
      expect(paramGradcheck(net, f).slice(0, 5)).toEqual([]);
    });
  }
});
