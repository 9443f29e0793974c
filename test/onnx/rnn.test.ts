/**
 * ONNX LSTM / GRU → nn.LSTM / nn.GRU: every recurrent op fixture (PyTorch exports, fixtures/models/ops/manifest.json)
 * through `check()` against onnxruntime, the Parameter names the import gives them, and one-node models built here
 * for what PyTorch does not export (reverse direction, layout=1, sequence_lens, missing B) plus the unsupported cases.
 * Tolerances: fixtures at the task's atol 1e-4 / rtol 1e-3; one-node cases at 1e-5 (a few dozen float32 ops per step
 * on O(1) values over ≤ 5 steps; both engines agree to ~1e-6).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { modelFromBytes, modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { ModelLoadError } from '../../src/errors.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { buildModel, AttrSpec } from '../helpers/onnx-builder.js';
import { parity, randn } from '../helpers/parity.js';
import { OrtRunner, MsportRunner } from '../../src/compare/runners.js';
import { compareOutput } from '../../src/compare/comparator.js';
import * as ops from '../../src/runtime/functional.js';
import onnxProto from 'onnx-proto';

/** buildModel encodes list attributes as ints; rewrite the named ones as a STRINGS attribute. */
function withStrings(bytes: Uint8Array, attrs: Record<string, string[]>): Uint8Array {
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(bytes);
  for (const n of m.graph!.node!) {
    n.attribute = (n.attribute ?? []).filter(a => !(a.name! in attrs));
    for (const [name, v] of Object.entries(attrs)) n.attribute.push(onnx.AttributeProto.create({ name, type: 8, strings: v.map(s => Buffer.from(s)) }));
  }
  return onnx.ModelProto.encode(m).finish();
}

const DIR = 'fixtures/models/ops';
interface Fixture { name: string; file: string; inputs: { name: string; shape: number[]; dynamic: Record<string, unknown> }[]; covers: string[] }
const manifest = JSON.parse(readFileSync(`${DIR}/manifest.json`, 'utf8')) as { fixtures: Fixture[] };
const recurrent = manifest.fixtures.filter(f => f.covers.some(c => c === 'LSTM' || c === 'GRU'));

describe('recurrent fixtures pass check() (atol 1e-4, rtol 1e-3)', () => {
  it('the manifest lists the 13 LSTM/GRU fixtures', () => {
    expect(recurrent.map(f => f.name).sort()).toEqual([
      'gru_l1_bi_op13', 'gru_l1_op13', 'gru_l2_bi_op11', 'gru_l2_bi_op13', 'gru_l2_bi_op17', 'gru_l2_bi_op9', 'gru_l2_op13',
      'lstm_h0c0_op13', 'lstm_l2_bi_batchfirst_op13', 'lstm_l2_bi_op11', 'lstm_l2_bi_op13', 'lstm_l2_bi_op17', 'lstm_l2_bi_op9']);
  });

  for (const f of recurrent) {
    it(f.name, async () => {
      // every input of these fixtures is static; a dynamic one would get its manifest shape
      const shapes = new Map(f.inputs.filter(i => Object.keys(i.dynamic).length > 0).map(i => [i.name, i.shape]));
      const r = await check(`${DIR}/${f.file}`, { atol: 1e-4, rtol: 1e-3, seed: 0, ...(shapes.size ? { shapes } : {}) });
      expect(r.problems).toEqual([]);
      for (const o of r.outputs) expect(o.passed, `${o.name}: max abs diff ${o.maxAbsDiff}`).toBe(true);
      expect(Math.max(...r.outputs.map(o => o.maxAbsDiff))).toBeLessThan(1e-5);
      expect(r.passed).toBe(true);
    });
  }
});

describe('Parameter names of imported recurrent layers', () => {
  const names = (file: string): string[] => importModel(modelFromFile(`${DIR}/${file}`)).network.parametersAndNames().map(([k, p]) => `${k} [${p.shape}]`);

  it('a 2-layer bidirectional LSTM is one nn.LSTM(num_layers=2) at the module path, with the state_dict names', () => {
    // MindSpore 2.10's kind-by-kind order: weight_ih (every layer and direction), weight_hh, bias_ih, bias_hh
    const shapes: Record<string, (l: number) => string> = { weight_ih: l => `[64,${l ? 32 : 8}]`, weight_hh: () => '[64,16]', bias_ih: () => '[64]', bias_hh: () => '[64]' };
    const want = Object.keys(shapes).flatMap(k => [0, 1].flatMap(l => ['', '_reverse'].map(s => `lstm.${k}_l${l}${s} ${shapes[k]!(l)}`)));
    expect(names('lstm_l2_bi_op13.onnx')).toEqual(want);
    // batch_first and given initial states (h_0, c_0 sliced per layer) fuse the same way
    for (const f of ['lstm_l2_bi_batchfirst_op13.onnx', 'lstm_h0c0_op13.onnx']) expect(names(f).filter(n => n.includes('weight_ih_l1')).map(n => n.split(' ')[0]), f).toEqual(expect.arrayContaining(['lstm.weight_ih_l1']));
  });

  it('without the scope fusion, one Cell per exported layer keeps the PyTorch layer index and _reverse', () => {
    const ps = importModel(modelFromFile(`${DIR}/lstm_l2_bi_op13.onnx`), { fuse: false }).network.parametersAndNames().map(([n]) => n);
    expect(ps.filter(n => n.includes('weight_ih'))).toEqual(['lstm.lstm.weight_ih_l0', 'lstm.lstm.weight_ih_l0_reverse', 'lstm.lstm_1.weight_ih_l1', 'lstm.lstm_1.weight_ih_l1_reverse']);
  });

  it('a 1-layer GRU is the scope Cell itself', () => {
    expect(names('gru_l1_op13.onnx')).toEqual(['gru.weight_ih_l0 [48,8]', 'gru.weight_hh_l0 [48,16]', 'gru.bias_ih_l0 [48]', 'gru.bias_hh_l0 [48]']);
  });

  it('the Cells are MindSpore nn.LSTM / nn.GRU, printed with their arguments', () => {
    const { network } = importModel(modelFromFile(`${DIR}/gru_l2_bi_op13.onnx`));
    expect(network.steps.filter(s => s.cellName).map(s => [s.cellName, s.msApi])).toEqual([['gru', 'mindspore.nn.GRU']]);
    // print(net) is MindSpore 2.10's CPU repr (internal children only); the arguments are in describe()
    expect(network.toString()).toContain('(gru): GRU(\n    (rnn): _DynamicGRUCPUGPU()\n    (dropout_op): Dropout(p=0.0)\n  )');
    const gru = network.cellsAndNames().find(([n]) => n === 'gru')![1] as unknown as { describe(): string };
    expect(gru.describe()).toBe('input_size=8, hidden_size=16, num_layers=2, has_bias=True, batch_first=False, dropout=0.0, bidirectional=True');
  });

  it('the gate blocks are reordered into PyTorch order: ONNX LSTM (i, o, f, c) → (i, f, g, o), GRU (z, r, h) → (r, z, n)', () => {
    const H = 1, block = (v: number) => [v];
    // W rows are the gate index so the reordering is visible; B: W's biases 10+gate, R's 20+gate
    const W = Tensor.from([[[0], [1], [2], [3]]], 'float32'), R = Tensor.from([[[0], [1], [2], [3]]], 'float32');
    const B = Tensor.from([[10, 11, 12, 13, 20, 21, 22, 23]], 'float32');
    const lstm = importModel(modelFromBytes(buildModel({
      nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y'], attrs: { hidden_size: H } }],
      inputs: [{ name: 'X', dims: [2, 1, 1] }], outputs: [{ name: 'Y', dims: null }], initializers: { W, R, B },
    }))).network;
    const p = new Map(lstm.parametersAndNames().map(([k, v]) => [k.split('.').pop()!, v.toArray()]));
    expect(p.get('weight_ih_l0')).toEqual([0, 2, 3, 1].flatMap(block));
    expect(p.get('bias_ih_l0')).toEqual([10, 12, 13, 11]);
    expect(p.get('bias_hh_l0')).toEqual([20, 22, 23, 21]);
    const gru = importModel(modelFromBytes(buildModel({
      nodes: [{ op: 'GRU', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y'], attrs: { hidden_size: H, linear_before_reset: 1 } }],
      inputs: [{ name: 'X', dims: [2, 1, 1] }], outputs: [{ name: 'Y', dims: null }],
      initializers: { W: Tensor.from([[[0], [1], [2]]], 'float32'), R: Tensor.from([[[0], [1], [2]]], 'float32'), B: Tensor.from([[10, 11, 12, 20, 21, 22]], 'float32') },
    }))).network;
    const q = new Map(gru.parametersAndNames().map(([k, v]) => [k.split('.').pop()!, v.toArray()]));
    expect(q.get('weight_hh_l0')).toEqual([1, 0, 2]);
    expect(q.get('bias_ih_l0')).toEqual([11, 10, 12]);
    expect(q.get('bias_hh_l0')).toEqual([21, 20, 22]);
  });
});

describe('one-node LSTM / GRU against onnxruntime', () => {
  const T = 4, N = 3, IN = 5, H = 4;
  const tol = { atol: 1e-5, rtol: 1e-5 };
  interface Case {
    name: string; op: 'LSTM' | 'GRU'; attrs?: Record<string, AttrSpec>; opset?: number; dirs?: number;
    bias?: boolean; seqLens?: number[]; h0?: boolean; c0?: boolean; layout?: 0 | 1; strings?: Record<string, string[]>;
  }
  const cases: Case[] = [
    { name: 'LSTM forward, bias, initial_h and initial_c (opset 7)', op: 'LSTM', opset: 7, h0: true, c0: true },
    { name: 'LSTM bidirectional (opset 13)', op: 'LSTM', dirs: 2 },
    { name: 'LSTM reverse', op: 'LSTM', dirs: 1, attrs: { direction: 'reverse' }, h0: true },
    { name: 'LSTM without B, only initial_c', op: 'LSTM', bias: false, c0: true },
    { name: 'LSTM bidirectional sequence_lens', op: 'LSTM', dirs: 2, seqLens: [4, 2, 1], h0: true, c0: true },
    { name: 'LSTM explicit default activations', op: 'LSTM', dirs: 2, strings: { activations: ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Tanh'] } },
    { name: 'GRU forward with initial_h (opset 7)', op: 'GRU', opset: 7, h0: true },
    { name: 'GRU bidirectional sequence_lens', op: 'GRU', dirs: 2, seqLens: [1, 4, 3], h0: true },
    { name: 'GRU reverse without B', op: 'GRU', bias: false, attrs: { direction: 'reverse' } },
    { name: 'LSTM reverse sequence_lens', op: 'LSTM', attrs: { direction: 'reverse' }, seqLens: [2, 4, 3], h0: true, c0: true },
    { name: 'GRU reverse sequence_lens', op: 'GRU', attrs: { direction: 'reverse' }, seqLens: [4, 1, 3] },
  ];

  function model(c: Case) {
    const D = c.dirs ?? 1, G = c.op === 'LSTM' ? 4 : 3, layout = c.layout ?? 0;
    const init: Record<string, Tensor> = { W: randn([D, G * H, IN], 2, 0.5), R: randn([D, G * H, H], 3, 0.5) };
    const inputs = ['X', 'W', 'R', c.bias === false ? '' : 'B', c.seqLens ? 'seq' : '', c.h0 ? 'h0' : '', c.c0 ? 'c0' : ''];
    if (c.bias !== false) init.B = randn([D, 2 * G * H], 4, 0.5);
    while (inputs.at(-1) === '') inputs.pop();
    const state = layout === 1 ? [N, D, H] : [D, N, H];
    const feeds: Record<string, Tensor> = { X: randn(layout === 1 ? [N, T, IN] : [T, N, IN], 5) };
    const graphInputs: { name: string; dtype?: Tensor['dtype']; dims: number[] }[] = [{ name: 'X', dims: [...feeds.X!.shape] }];
    if (c.seqLens) { feeds.seq = Tensor.from(c.seqLens, 'int32'); graphInputs.push({ name: 'seq', dtype: 'int32', dims: [N] }); }
    if (c.h0) { feeds.h0 = randn(state, 6); graphInputs.push({ name: 'h0', dims: state }); }
    if (c.c0) { feeds.c0 = randn(state, 7); graphInputs.push({ name: 'c0', dims: state }); }
    const outputs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
    const attrs: Record<string, AttrSpec> = { hidden_size: H, ...(D === 2 ? { direction: 'bidirectional' } : {}), ...(c.op === 'GRU' ? { linear_before_reset: 1 } : {}), ...(c.layout ? { layout: c.layout } : {}), ...c.attrs };
    let bytes = buildModel({ nodes: [{ op: c.op, inputs, outputs, attrs }], inputs: graphInputs, outputs: outputs.map(name => ({ name, dims: null })), initializers: init, opset: c.opset ?? 13 });
    if (c.strings) bytes = withStrings(bytes, c.strings);
    return { bytes, feeds };
  }

  for (const c of cases) {
    it(c.name, async () => {
      const { bytes, feeds } = model(c);
      const results = await parity(bytes, feeds, tol);
      for (const r of results) expect(r.passed, `${r.name}: max abs diff ${r.maxAbsDiff}`).toBe(true);
      expect(results.length).toBe(c.op === 'LSTM' ? 3 : 2);
    });
  }

  // onnxruntime's CPU kernels reject layout=1, so msport runs the layout=1 node and onnxruntime the same node with
  // layout=0 on transposed inputs; the outputs are compared after transposing back
  const batchwiseCases: [string, Case][] = [
    ['LSTM bidirectional', { name: '', op: 'LSTM', dirs: 2, h0: true, c0: true }],
    ['GRU bidirectional', { name: '', op: 'GRU', dirs: 2, h0: true }],
    ['GRU reverse', { name: '', op: 'GRU', attrs: { direction: 'reverse' }, h0: true }],
  ];
  for (const [what, c] of batchwiseCases) {
    const op = c.op;
    it(`${what} layout=1 with states and sequence_lens (opset 14), against onnxruntime's layout=0`, async () => {
      const base: Case = { ...c, opset: 14, seqLens: [3, 4, 1] };
      const batchwise = model({ ...base, layout: 1 }), timewise = model({ ...base, layout: 0 });
      const feeds1 = new Map(Object.entries(batchwise.feeds));
      const feeds0 = new Map([...feeds1].map(([k, t]) => [k, k === 'seq' ? t : ops.transpose(t, [1, 0, 2])]));
      const ref = await (await OrtRunner.create(timewise.bytes, { threads: 1 })).infer(feeds0);
      const got = await new MsportRunner(importModel(modelFromBytes(batchwise.bytes)).network).infer(feeds1);
      // Y: [T, D, N, H] (layout 0) vs [N, T, D, H]; states [D, N, H] vs [N, D, H]
      const back = (k: string, t: Tensor): Tensor => (k === 'Y' ? ops.transpose(t, [2, 0, 1, 3]) : ops.transpose(t, [1, 0, 2]));
      for (const k of op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']) {
        const r = compareOutput(k, back(k, ref.get(k)!), got.get(k)!, tol);
        expect(r.passed, `${k}: max abs diff ${r.maxAbsDiff}`).toBe(true);
      }
    });
  }

  it('padded steps of sequence_lens really are zeros in both engines', async () => {
    const { bytes, feeds } = model(cases.find(c => c.name === 'GRU bidirectional sequence_lens')!);
    const { network } = importModel(modelFromBytes(bytes));
    const [Y] = network.execute([feeds.X!, feeds.seq!, feeds.h0!]);
    // batch 0 has length 1: steps 1.. of both directions are zero
    const y = Y!.tolist() as number[][][][];
    expect(y[3]![0]![0]!.every(v => v === 0) && y[3]![1]![0]!.every(v => v === 0)).toBe(true);
    expect(y[0]![1]![0]!.some(v => v !== 0)).toBe(true);
  });
});

describe('unsupported recurrent nodes fail at import with the reason', () => {
  const D = 1, G = 4;
  const lstm = (attrs: Record<string, AttrSpec>, extra: { P?: boolean; op?: 'LSTM' | 'GRU' } = {}): () => unknown => () => {
    const op = extra.op ?? 'LSTM', g = op === 'LSTM' ? G : 3;
    const init: Record<string, Tensor> = { W: randn([D, g * 2, 3], 1), R: randn([D, g * 2, 2], 2) };
    const inputs = ['X', 'W', 'R'];
    if (extra.P) { init.P = randn([D, 6], 3); inputs.push('', '', '', '', 'P'); }
    return importModel(modelFromBytes(buildModel({
      nodes: [{ op, inputs, outputs: ['Y'], attrs: { hidden_size: 2, ...attrs } }],
      inputs: [{ name: 'X', dims: [2, 1, 3] }], outputs: [{ name: 'Y', dims: null }], initializers: init,
    })));
  };
  it('activations other than sigmoid/tanh/tanh', () => {
    const bytes = withStrings(buildModel({
      nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R'], outputs: ['Y'], attrs: { hidden_size: 2 } }],
      inputs: [{ name: 'X', dims: [2, 1, 3] }], outputs: [{ name: 'Y', dims: null }], initializers: { W: randn([1, 8, 3], 1), R: randn([1, 8, 2], 2) },
    }), { activations: ['Sigmoid', 'Relu', 'Tanh'] });
    expect(() => importModel(modelFromBytes(bytes))).toThrow(ModelLoadError);
    expect(() => importModel(modelFromBytes(bytes))).toThrow(/activations \[Sigmoid, Relu, Tanh\] are not supported: MindSpore nn.LSTM computes Sigmoid\/Tanh\/Tanh only/);
  });
  it('clip, input_forget, peepholes', () => {
    expect(lstm({ clip: { float: 3 } })).toThrow(/clip=3 is not supported/);
    expect(lstm({ input_forget: 1 })).toThrow(/input_forget=1 .* not supported/);
    expect(lstm({}, { P: true })).toThrow(/peephole weights \(input P\) are not supported/);
  });
  it('GRU with linear_before_reset=0 (the ONNX default)', () => {
    expect(lstm({}, { op: 'GRU' })).toThrow(/linear_before_reset=0 is not supported/);
  });
  it('weights fed at run time', () => {
    const bytes = buildModel({
      nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R'], outputs: ['Y'], attrs: { hidden_size: 2 } }],
      inputs: [{ name: 'X', dims: [2, 1, 3] }, { name: 'W', dims: [1, 8, 3] }, { name: 'R', dims: [1, 8, 2] }], outputs: [{ name: 'Y', dims: null }],
    });
    expect(() => importModel(modelFromBytes(bytes))).toThrow(/W, R and B must be constants/);
  });
});
