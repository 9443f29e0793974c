/**
 * Half-precision exports of a real decoder (fixtures/make_today.py --half: llama_tiny.to(torch.float16 / bfloat16),
 * torch 2.13's defaults). float16 is computed as MindSpore 2.10 computes it (runtime/ops/float16.ts); bfloat16 runs on
 * no CPU engine here (onnxruntime has no bfloat16 Mul, MindSpore's CPU no bfloat16 Exp: conformance/test_dtypes.py),
 * so both sides check it in float32 on its bfloat16 weights, read exactly.
 */
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { check } from '../../src/check.js';
import { modelFromFile } from '../../src/onnx/proto.js';
import { bfloat16ToFloat32 } from '../../src/onnx/bfloat16.js';
import { importModel } from '../../src/onnx/import.js';
import { callOf } from '../../src/report/calls.js';

const BF16 = 'fixtures/models/dynamo/llama_tiny.bfloat16.onnx';
const F16 = 'fixtures/models/dynamo/llama_tiny.float16.onnx';
const tol = { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 };

describe('bfloat16 exports', () => {
  it('reads bfloat16 bits as the float32 values they are (the high half of a float32)', () => {
    const bits = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x0001, 0x8000]).buffer);
    const f = bfloat16ToFloat32(bits);
    expect(Array.from(f)).toEqual([1, -3, Infinity, 2 ** -133, -0]);
  });

  it('is a model onnxruntime cannot run as exported: no CPU kernel for a bfloat16 Mul', async () => {
    const { onnx } = onnxProto;
    const io = (name: string) => ({ name, type: { tensorType: { elemType: 16, shape: { dim: [{ dimValue: 2 }] } } } });
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 14 }],
      graph: { name: 'g', node: [{ opType: 'Mul', input: ['a', 'a'], output: ['y'] }], input: [io('a')], output: [io('y')] } })).finish();
    await expect(ort.InferenceSession.create(bytes)).rejects.toThrow(/Could not find an implementation for Mul/);
  });

  it('checks in float32 on both sides, says so, and passes a correct export at the default tolerance', async () => {
    const model = modelFromFile(BF16);
    expect(model.upcastFrom).toBe('bfloat16');
    expect(model.graph.outputs[0]!.dtypeName).toBe('BFLOAT16');
    const r = await check(BF16, { ...tol, layers: true });
    expect(r.exportNotes?.map(n => n.kind)).toContain('bfloat16-upcast');
    expect(r.passed).toBe(true);
    expect(r.layers!.layers.every(l => l.passed)).toBe(true);
  }, 60_000);

  it('streams: each block upcast as onnxruntime runs it, the verdict, layers and note as the whole run', async () => {
    const whole = await check(BF16, { ...tol, layers: true });
    const streamed = await check(BF16, { ...tol, layers: true, stream: true });
    expect(streamed.stream!.blocks.length).toBe(4);
    expect(streamed.exportNotes).toEqual(whole.exportNotes);
    expect(streamed.passed).toBe(true);
    expect(streamed.layers!.layers.map(l => [l.name, l.passed])).toEqual(whole.layers!.layers.map(l => [l.name, l.passed]));
    streamed.outputs.forEach((o, k) => expect(Math.abs(o.maxAbsDiff - whole.outputs[k]!.maxAbsDiff)).toBeLessThan(1e-6));
  }, 60_000);
});

describe('float16 exports', () => {
  it('import into Cells built in float16 and are written as MindSpore builds them (dtype=ms.float16; a float16 table)', () => {
    const { network } = importModel(modelFromFile(F16));
    const cells = network.cellsAndNames();
    const q = cells.find(([n]) => n === 'model.layers.0.self_attn.q_proj')![1];
    expect(q.weight.dtype).toBe('float16');
    expect(callOf(q).ms).toBe('nn.Dense(32, 32, has_bias=False, dtype=ms.float16)');
    const emb = cells.find(([, c]) => c.clsName === 'Embedding')![1];
    expect(callOf(emb).ms).toMatch(/^nn\.Embedding\(100, 32.*embedding_table=ms\.ops\.zeros\(\(100, 32\), ms\.float16\)\)$/);
  });

  it('differ from onnxruntime by float16 noise only: every layer within its float16 floor, and --accept-noise passes', async () => {
    // onnxruntime computes the elementwise chains in float32 and MindSpore rounds every op: past the default
    // tolerance (2.4e-4 at rtol 1e-3), every one of the decoder's layers within 4× its float16 noise floor
    const r = await check(F16, { ...tol, acceptNoise: true });
    expect(r.exportNotes?.map(n => n.kind) ?? []).not.toContain('bfloat16-upcast');
    expect(r.outputs.every(o => o.passed)).toBe(false);
    expect(r.localized?.cause).toBe('accumulated');
    expect(r.localized?.message).toMatch(/^float16 noise accumulating: each of \d+ layers stays within 4× its float16 noise floor/);
    expect(r.localized!.worstNoiseRatio!).toBeLessThan(1);
    expect(r.noiseAccepted).toBe(true);
    expect(r.passed).toBe(true);
  }, 60_000);
});
