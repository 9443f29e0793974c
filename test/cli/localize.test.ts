/**
 * A failing check localises by itself (issue 19): float32 noise accumulating through the network, or a named layer;
 * --accept-noise passes only the first; --no-localize turns the pass off.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { importModel } from '../../src/onnx/import.js';
import { modelFromFile } from '../../src/onnx/proto.js';
import { saveCheckpoint } from '../../src/runtime/checkpoint.js';
import { Tensor } from '../../src/runtime/tensor.js';

// shufflenet at atol 1e-8, rtol 0: the outputs differ by 6.7e-8 (float32 summation order), every layer is within its floor
const noisy = ['check', 'fixtures/models/shufflenet_v2_x0_5.bn.onnx', '--atol', '1e-8', '--rtol', '0', '--samples', '1'];

describe('localising a failed check', () => {
  it('says the failure is accumulated float32 noise, and --accept-noise passes it in text, JSON and JUnit', async () => {
    const fail = await runCli([...noisy, '--json']);
    expect(fail.code).toBe(1);
    const r = JSON.parse(fail.stdout);
    expect(r.passed).toBe(false);
    expect(r.localized.cause).toBe('accumulated');
    expect(r.localized.worstNoiseRatio).toBeLessThanOrEqual(r.localized.noiseFactor);
    expect(r.localized.compared).toBeGreaterThan(100);
    expect(r.layers).toBeUndefined(); // the per-layer table is for --layers; the verdict carries where
    const text = await runCli(noisy);
    expect(text.stdout).toMatch(/where +float32 noise accumulating: each of \d+ layers stays within 4× its float32 noise floor .*pass --accept-noise/);
    expect(text.stdout).toMatch(/\nFAIL 0\/1 outputs/);

    const dir = mkdtempSync(join(tmpdir(), 'msport-noise-'));
    const ok = await runCli([...noisy, '--accept-noise', '--junit', join(dir, 'j.xml')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\nPASS \(noise accepted\) 0\/1 outputs/);
    const xml = readFileSync(join(dir, 'j.xml'), 'utf8');
    expect(xml).toMatch(/<property name="noiseAccepted" value="true"\/>/);
    expect(xml).toMatch(/<system-out>accepted as float32 noise \(--accept-noise\): max abs diff/);
    expect(xml).not.toMatch(/<failure/);
    const json = JSON.parse((await runCli([...noisy, '--accept-noise', '--json'])).stdout);
    expect([json.passed, json.noiseAccepted]).toEqual([true, true]);
  });

  it('names the layer that introduces error, and --accept-noise does not pass it', async () => {
    // the second convolution's weights off by 1e-3 (a checkpoint with one wrong tensor)
    const { network } = importModel(modelFromFile('fixtures/models/seed_cnn.bn.onnx'));
    const params = new Map(network.parametersAndNames().map(([n, p]) => {
      const t = p as Tensor;
      return [n, n === 'layer2.0.weight' ? new Tensor(Float32Array.from(t.data as Float32Array, v => v + 1e-3), t.shape, 'float32') : t] as const;
    }));
    const dir = mkdtempSync(join(tmpdir(), 'msport-div-'));
    const ckpt = saveCheckpoint(params, join(dir, 'w.ckpt'));
    const args = ['check', 'fixtures/models/seed_cnn.bn.onnx', '--weights', ckpt, '--samples', '1'];
    const r = await runCli([...args, '--accept-noise', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect([j.localized.cause, j.localized.layer, j.noiseAccepted]).toEqual(['introduced', 'layer2.0', undefined]);
    expect((await runCli(args)).stdout).toMatch(/where +diverges at layer2\.0 \(nn\.Conv2d\): on the reference's inputs it differs by [\d.e+]+× its float32 noise floor/);
  });

  it('runs no per-layer pass when every output passes, or with --no-localize', async () => {
    const pass = JSON.parse((await runCli(['check', 'fixtures/models/seed_cnn.bn.onnx', '--samples', '1', '--json'])).stdout);
    expect([pass.passed, pass.localized, pass.timings.layersMs]).toEqual([true, undefined, undefined]);
    // peak memory of both engines: onnxruntime ran in a process of its own
    expect(pass.memory.msportPeakMiB).toBeGreaterThan(20);
    expect(pass.memory.onnxruntimePeakMiB).toBeGreaterThan(20);
    const off = await runCli([...noisy, '--no-localize', '--accept-noise', '--json']);
    expect(off.code).toBe(1); // nothing says it is noise: --accept-noise cannot pass it
    expect(JSON.parse(off.stdout).localized).toBeUndefined();
  });
});
