/** --save-results / --baseline catch a difference that grew while the absolute gate still passes; CSV and node data. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { saveCheckpoint } from '../../src/runtime/checkpoint.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { LAYER_CSV_COLUMNS } from '../../src/cli/reporters/layers-export.js';
import { runCli } from '../helpers/cli.js';

const file = 'fixtures/models/seed_cnn.bn.onnx';

describe('baselines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msport-baseline-'));

  it('a run within tolerance but 10× worse than its baseline fails with the regression named', async () => {
    const base = join(dir, 'base.json');
    const r1 = await runCli(['check', file, '--samples', '2', '--save-results', base, '--json']);
    expect(r1.code).toBe(0);
    const saved = JSON.parse(readFileSync(base, 'utf8'));
    expect(saved).toMatchObject({ format: 'msport-results', version: 1, samples: 2 });
    expect(saved.versions.onnxruntime).toMatch(/^\d+\.\d+/);
    // a port whose fc.bias is off by 2e-5: still inside atol=1e-4, but far beyond the baseline's ~1e-7
    const params = importModel(modelFromFile(file)).network.parametersAndNames();
    const ckpt = join(dir, 'nudged.ckpt');
    saveCheckpoint(params.map(([name, p]) => ({ name, data: name === 'fc.bias' ? new Tensor(Float32Array.from(p.data as Float32Array, v => v + 2e-5), p.shape, 'float32') : p })), ckpt);
    const r2 = await runCli(['check', file, '--samples', '2', '--weights', ckpt, '--baseline', base, '--json']);
    expect(r2.code).toBe(1);
    const j = JSON.parse(r2.stdout);
    expect(j.outputs[0].passed).toBe(true);
    expect(j.regressions).toHaveLength(1);
    expect(j.regressions[0]).toMatchObject({ what: 'output', name: 'output' });
    expect(j.regressions[0].factor).toBeGreaterThan(10);
    const same = await runCli(['check', file, '--samples', '2', '--baseline', base, '--json']);
    expect(same.code).toBe(0);
  });

  it('--layers --csv writes the documented columns; --node-data is keyed by ONNX node name', async () => {
    const csv = join(dir, 'layers.csv'), nd = join(dir, 'nodes.json');
    const r = await runCli(['check', file, '--samples', '1', '--layers', '--csv', csv, '--node-data', nd]);
    expect(r.code).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(LAYER_CSV_COLUMNS.join(','));
    expect(lines[1]!.startsWith('layer1.0,cell,mindspore.nn.Conv2d,torch.nn.Conv2d,/layer1/layer1.0/Conv,1x12x40x40,')).toBe(true);
    const data = JSON.parse(readFileSync(nd, 'utf8'));
    expect(Object.keys(data)).toEqual(['seed_cnn.bn']);
    expect(Object.keys(data['seed_cnn.bn'].results)).toContain('/layer2/layer2.1/BatchNormalization');
    expect((await runCli(['check', file, '--csv', csv])).code).toBe(2);
  });
});
