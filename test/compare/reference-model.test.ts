/** The reference onnxruntime loads: external-data models from files (no copy of their weights in this process). */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import onnxProto from 'onnx-proto';
import { dirname, join } from 'node:path';
import { modelFromFile } from '../../src/onnx/proto.js';
import { referenceSource } from '../../src/compare/reference-model.js';
import { OrtRunner } from '../../src/compare/runners.js';
import { ExternalTensor } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/runtime/tensor.js';

const path = 'fixtures/models/dynamo/bert_tiny.onnx';

describe('referenceSource', () => {
  it('gives an external-data model as its own file when nothing changes, and as a graph beside hard links when outputs are added', async () => {
    const model = modelFromFile(path);
    expect(referenceSource(model).source).toBe(path);
    const inner = model.graph.nodes.find(n => n.opType === 'MatMul')!.outputs[0]!;
    const src = referenceSource(model, [inner]);
    expect(typeof src.source).toBe('string');
    const file = src.source as string;
    const data = join(dirname(file), 'bert_tiny.onnx.data');
    // the same inode: a hard link, not a copy of the weights
    expect(statSync(data).ino).toBe(statSync(`${path}.data`).ino);
    const feeds = new Map([[model.graph.inputs[0]!.name, new Tensor(BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i + 1)), [1, 8], 'int64')]]);
    const r = await OrtRunner.runAll(file, [feeds]);
    expect(r.outputs[0]!.has(inner)).toBe(true);
    src.dispose();
    expect(existsSync(dirname(file))).toBe(false);
  });

  it('reads a large external initializer when it is used, from its own range of the data file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msport-ext-'));
    const n = 1 << 18; // 1 MiB of float32: at the lazy threshold
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const pad = Buffer.alloc(64, 7); // the tensor starts 64 bytes into the file
    writeFileSync(join(dir, 'w.bin'), Buffer.concat([pad, Buffer.from(values.buffer)]));
    const init = { name: 'w', dataType: 1, dims: [n], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '64' }, { key: 'length', value: String(4 * n) }] };
    const bytes = onnxProto.onnx.ModelProto.encode(onnxProto.onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: {
      name: 'g', initializer: [init], node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }] } } } }] } })).finish();
    writeFileSync(join(dir, 'm.onnx'), bytes);
    const t = modelFromFile(join(dir, 'm.onnx')).graph.initializers.get('w')!;
    expect(t).toBeInstanceOf(ExternalTensor);
    expect((t as ExternalTensor).external).toMatchObject({ offset: 64, length: 4 * n });
    const d = t.data;
    expect(Array.from(d.subarray(0, 3) as Float32Array)).toEqual(Array.from(values.subarray(0, 3)));
    expect(t.data).toBe(d); // the same array while it is held
    expect(Array.from(d as Float32Array).every((v, i) => v === values[i])).toBe(true);
  });

  it("transposes a large external [in, out] weight in kernel memory straight from the file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'msport-ext-'));
    const R = 512, C = 1024; // 2 MiB of float32
    const values = Float32Array.from({ length: R * C }, (_, i) => Math.cos(i * 0.01));
    writeFileSync(join(dir, 'w.bin'), Buffer.concat([Buffer.alloc(12), Buffer.from(values.buffer)]));
    const init = { name: 'w', dataType: 1, dims: [R, C], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '12' }, { key: 'length', value: String(4 * R * C) }] };
    const bytes = onnxProto.onnx.ModelProto.encode(onnxProto.onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: {
      name: 'g', initializer: [init], node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: R }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: C }] } } } }] } })).finish();
    writeFileSync(join(dir, 'm.onnx'), bytes);
    const t = modelFromFile(join(dir, 'm.onnx')).graph.initializers.get('w') as ExternalTensor;
    const tt = t.transposedInKernelMemory()!;
    expect(tt.shape).toEqual([C, R]);
    const d = tt.data as Float32Array;
    let same = true;
    for (let r = 0; r < R; r += 7) for (let c = 0; c < C; c += 13) if (d[c * R + r] !== values[r * C + c]) same = false;
    expect(same).toBe(true);
  });
});
