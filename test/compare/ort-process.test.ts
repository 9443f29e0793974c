/** onnxruntime in a process of its own: the same outputs as in this process, errors as ModelLoadErrors. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceInChildProcess, TREE_PEAK } from '../../src/compare/ort-process.js';
import { OrtRunner } from '../../src/compare/runners.js';
import { loadInputs } from '../../src/compare/inputs.js';
import { modelFromFile } from '../../src/onnx/proto.js';
import { ModelLoadError } from '../../src/errors.js';
import { buildModel } from '../helpers/onnx-builder.js';

describe('reference in a child process', () => {
  it('returns every sample\'s outputs bit for bit as onnxruntime in this process does, and records the tree\'s peak', async () => {
    const file = 'fixtures/models/seed_cnn.bn.onnx';
    const inputs = modelFromFile(file).graph.inputs;
    const feeds = [0, 1].map(seed => new Map(inputs.map((v, i) => [v.name, loadInputs(inputs, { shapes: new Map(), files: new Map(), seed })[i]!])));
    const child = await referenceInChildProcess(file, feeds, 1);
    expect(child).not.toBeNull();
    const here = await OrtRunner.create(file, { threads: 1 });
    for (const [s, f] of feeds.entries()) {
      const want = await here.infer(f);
      const got = child!.outputs[s]!;
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [k, t] of want) {
        expect(got.get(k)!.shape).toEqual(t.shape);
        expect(Array.from(got.get(k)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
      }
    }
    expect(child!.ms).toHaveLength(2);
    expect((globalThis as unknown as Record<symbol, number>)[TREE_PEAK]).toBeGreaterThan(0);
  });

  it('a model onnxruntime refuses is a ModelLoadError carrying onnxruntime\'s reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msport-ortproc-'));
    const path = join(dir, 'bad.onnx');
    writeFileSync(path, buildModel({ nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'], domain: 'com.example' }], inputs: [{ name: 'x', dims: [2] }], outputs: [{ name: 'y' }] }));
    const err = await referenceInChildProcess(path, [], 1).catch(e => e as Error);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/^onnxruntime cannot load the model: /);
  });
});
