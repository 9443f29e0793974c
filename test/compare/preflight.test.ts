/** Names and modes before numbers: planted faults are reported by name, not as numeric mismatches. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { preflight } from '../../src/compare/preflight.js';
import { check } from '../../src/check.js';
import { saveCheckpoint } from '../../src/runtime/checkpoint.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { runCli } from '../helpers/cli.js';

const file = 'fixtures/models/seed_cnn.bn.onnx';
const opts = { atol: 1e-4, rtol: 1e-3, seed: 0 };

describe('preflight', () => {
  it('a clean import has no problems', () => {
    const model = modelFromFile(file);
    expect(preflight(model, importModel(model))).toEqual([]);
  });

  it('a bias the import did not load is named', () => {
    const model = modelFromFile(file);
    const imported = importModel(model);
    const bias = new Map(imported.network.parametersAndNames()).get('layer2.0.bias')!;
    imported.boundParams.delete(bias);
    const problems = preflight(model, imported);
    expect(problems.map(p => [p.kind, p.name])).toEqual([['unloaded-parameter', 'layer2.0.bias'], ['unused-initializer', 'layer2.0.bias']].slice(0, 1));
    expect(problems[0]!.message).toMatch(/layer2\.0\.bias was not loaded from the model/);
  });

  it('a BatchNorm left in train phase is named', () => {
    const model = modelFromFile(file);
    const imported = importModel(model);
    new Map(imported.network.cellsAndNames()).get('layer2.1')!.setTrain(true);
    expect(preflight(model, imported).map(p => [p.kind, p.name])).toEqual([['train-phase', 'layer2.1']]);
    expect(preflight(model, imported, { allowTrain: true })).toEqual([]);
  });
});

describe('--weights', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msport-weights-'));
  const params = () => importModel(modelFromFile(file)).network.parametersAndNames();

  it('a faithful MindSpore checkpoint reproduces PyTorch', async () => {
    const ckpt = join(dir, 'good.ckpt');
    saveCheckpoint(params().map(([name, p]) => ({ name, data: p })), ckpt);
    const r = await check(file, { ...opts, weights: ckpt });
    expect(r.problems).toEqual([]);
    expect(r.weights).toEqual({ file: ckpt, loaded: 14 });
    expect(r.passed).toBe(true);
  });

  it('a weight under a PyTorch name is listed with its MindSpore counterpart, before any number', async () => {
    const ckpt = join(dir, 'renamed.ckpt');
    saveCheckpoint(params().map(([name, p]) => ({ name: name === 'layer1.1.gamma' ? 'layer1.1.weight' : name, data: p })), ckpt);
    const r = await check(file, { ...opts, weights: ckpt });
    expect(r.passed).toBe(false);
    expect(r.problems.map(p => [p.kind, p.name, p.candidate])).toEqual([
      ['missing-weight', 'layer1.1.gamma', 'layer1.1.weight'],
      ['unexpected-weight', 'layer1.1.weight', 'layer1.1.gamma'],
    ]);
    const cli = await runCli(['check', file, '--weights', ckpt, '--samples', '1']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/problem layer1\.1\.gamma is not in the weights file; nearest entry: layer1\.1\.weight/);
  });

  it('a misshapen weight is named with both shapes; a perturbed one fails on numbers', async () => {
    const bad = join(dir, 'shape.ckpt');
    saveCheckpoint(params().map(([name, p]) => ({ name, data: name === 'fc.bias' ? Tensor.zeros([11]) : p })), bad);
    const r = await check(file, { ...opts, weights: bad });
    expect(r.problems.map(p => p.message)).toEqual(['fc.bias has shape (11) in the weights file, the network needs (10)']);
    const perturbed = join(dir, 'perturbed.ckpt');
    saveCheckpoint(params().map(([name, p]) => ({ name, data: name === 'fc.bias' ? new Tensor(Float32Array.from(p.data as Float32Array, v => v + 0.01), p.shape, 'float32') : p })), perturbed);
    const r2 = await check(file, { ...opts, weights: perturbed });
    expect(r2.problems).toEqual([]);
    expect(r2.passed).toBe(false);
    expect(r2.outputs[0]!.maxAbsDiff).toBeGreaterThan(0.009);
  });
});
