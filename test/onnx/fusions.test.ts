/** Decomposed modules (LayerNorm before opset 17, exact GELU, Linear as MatMul + Add) come back as MindSpore Cells. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { inspect } from '../../src/inspect.js';
import { check } from '../../src/check.js';
import { modelFromBytes, modelFromFile } from '../../src/onnx/proto.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { importModel } from '../../src/onnx/import.js';
import { compareLayers } from '../../src/compare/layers.js';
import { writeRepro } from '../../src/compare/repro.js';
import { loadInputs } from '../../src/compare/inputs.js';
import * as nn from '../../src/runtime/nn/index.js';

const ops = (f: string) => `fixtures/models/ops/${f}.onnx`;

describe('scope fusions', () => {
  it('opset-13 LayerNorm is nn.LayerNorm with gamma/beta; opset 17 gives the same tree', () => {
    for (const f of ['layernorm_op13', 'layernorm_op17']) {
      const t = inspect(ops(f));
      expect(t.cells.map(c => [c.name, c.msApi])).toEqual([['norm', 'mindspore.nn.LayerNorm']]);
      expect(t.parameters.map(p => [p.name, p.onnx])).toEqual([['norm.gamma', 'norm.weight'], ['norm.beta', 'norm.bias']]);
    }
  });

  it('tanh-approximated GELU (six Mul, two Add around a Tanh) is nn.GELU(approximate=True), not the Tanh inside it', () => {
    const { network } = importModel(modelFromFile(ops('gelu_tanh_op13')));
    const act = network.cellsAndNames().find(([n]) => n === 'act')![1] as nn.GELU;
    expect([act.clsName, act.approximate]).toEqual(['GELU', true]);
  });

  it('Hardswish exported as HardSigmoid · x is nn.HSwish, not the HSigmoid inside it', () => {
    expect(inspect(ops('hardswish_op13')).cells.map(c => [c.name, c.msApi])).toEqual([['act', 'mindspore.nn.HSwish']]);
  });

  it('Mish exported as Softplus, Tanh, Mul (before opset 18) is nn.Mish', async () => {
    expect(inspect(ops('mish_op13')).cells.map(c => [c.name, c.msApi])).toEqual([['act', 'mindspore.nn.Mish']]);
    expect((await check(ops('mish_op13'), { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 })).passed).toBe(true);
  });

  it('a scope that computes more than its one Cell is not that Cell: the Cell is a child, the rest functional', () => {
    // x · tanh(x) in module `act` (no rule knows it): a Tanh Cell inside, a functional Mul beside it
    const bytes = buildModel({
      nodes: [
        { op: 'Tanh', name: '/act/Tanh', inputs: ['x'], outputs: ['t'] },
        { op: 'Mul', name: '/act/Mul', inputs: ['x', 't'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [2, 3] }], outputs: [{ name: 'y' }],
    });
    const { network } = importModel(modelFromBytes(bytes));
    expect(network.cellsAndNames().filter(([n]) => n).map(([n, c]) => [n, c.clsName])).toEqual([['act', 'Cell'], ['act.tanh', 'Tanh']]);
  });

  it('AvgPool2d(padding=1, count_include_pad=True), exported as a zero Pad and an unpadded AveragePool, is one nn.AvgPool2d with the padding counted', () => {
    const { network } = importModel(modelFromFile(ops('avgpool_cip_true_op13')));
    const cells = network.cellsAndNames().filter(([n]) => n);
    expect(cells.map(([n, c]) => [n, c.clsName])).toEqual([['pool', 'AvgPool2d']]);
    const pool = cells[0]![1] as nn.AvgPool2d;
    expect([pool.padMode, pool.padding, pool.countIncludePad]).toEqual(['pad', [1, 1], true]);
    expect(network.steps.map(s => s.node.opType)).toEqual(['AveragePool']);
  });

  it('exact GELU is nn.GELU(approximate=False); a transformer layer gets Dense and LayerNorm Cells', () => {
    expect(inspect(ops('gelu_exact_op13')).cells.map(c => c.msApi)).toEqual(['mindspore.nn.Dense', 'mindspore.nn.GELU']);
    const enc = inspect(ops('encoder_seqfirst_gelu_op13'));
    const names = enc.parameters.map(p => p.name);
    expect(names).toEqual(expect.arrayContaining(['encoder.layers.0.linear1.weight', 'encoder.layers.0.norm1.gamma', 'encoder.layers.0.norm2.beta']));
  });

  it('fused models still pass, and a fused layer is reproduced with all its original nodes', async () => {
    const r = await check(ops('encoder_seqfirst_gelu_op13'), { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 });
    expect(r.passed).toBe(true);
    const model = modelFromFile(ops('layernorm_op13'));
    const { network } = importModel(model);
    const ln = new Map(network.cellsAndNames()).get('norm') as nn.LayerNorm;
    ln.gamma.data = Float32Array.from(ln.gamma.data as Float32Array, v => v * 1.01);
    const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
    const feeds = new Map([[model.graph.inputs[0]!.name, inputs[0]!]]);
    expect((await compareLayers(model, network, feeds, { atol: 1e-4, rtol: 1e-3 })).firstDivergence).toBe('norm');
    const dir = mkdtempSync(join(tmpdir(), 'msport-fused-'));
    await writeRepro(dir, 'norm', model, network, feeds, { atol: 1e-4, rtol: 1e-3 });
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
    expect(session.inputNames).toEqual(['input']);
    const rj = JSON.parse(readFileSync(join(dir, 'repro.json'), 'utf8'));
    expect(rj.maxAbsDiff).toBeGreaterThan(1e-3);
  });
});
