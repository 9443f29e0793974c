/**
 * check --stream: the model cut at module boundaries and run block by block must give what the whole-model run
 * gives — the verdict, every output's difference, the per-layer table and where a failure comes from.
 */
import { describe, expect, it } from 'vitest';
import { modelFromFile } from '../../src/onnx/proto.js';
import { partitionBlocks } from '../../src/stream/partition.js';
import { check, CheckResult } from '../../src/check.js';
import { runCli } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { importModel } from '../../src/onnx/import.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { saveSafetensors } from '../../src/runtime/safetensors.js';

/**
 * Three Linear layers in `layers` and a head, as a TorchScript export names them, their [in, out] weights (transB=0,
 * as torch 2.9+ writes nn.Linear) 1 MiB each in external data: weights msport reads from the file straight into
 * kernel memory, where a streamed block's are freed at the block's end.
 */
function externalMlp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'msport-stream-mlp-'));
  const F = 512, H = 64, chunks: Buffer[] = [];
  let offset = 0, seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const init = (name: string, dims: number[], scale: number) => {
    const v = Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => rand() * scale);
    chunks.push(Buffer.from(v.buffer));
    const t = { name, dataType: 1, dims, dataLocation: 1, externalData: [{ key: 'location', value: 'mlp.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(v.byteLength) }] };
    offset += v.byteLength;
    return t;
  };
  const initializer = [], node = [];
  let h = 'x';
  for (let i = 0; i < 3; i++) {
    initializer.push(init(`layers.${i}.fc.weight`, [F, F], 2 / Math.sqrt(F)), init(`layers.${i}.fc.bias`, [F], 0.1));
    node.push({ name: `/layers.${i}/fc/Gemm`, opType: 'Gemm', input: [h, `layers.${i}.fc.weight`, `layers.${i}.fc.bias`], output: [`/layers.${i}/fc/Gemm_output_0`], attribute: [{ name: 'transB', type: 2, i: 0 }] });
    node.push({ name: `/layers.${i}/act/Relu`, opType: 'Relu', input: [`/layers.${i}/fc/Gemm_output_0`], output: [(h = `/layers.${i}/act/Relu_output_0`)] });
  }
  initializer.push(init('head.weight', [F, H], 1 / Math.sqrt(F)));
  node.push({ name: '/head/Gemm', opType: 'Gemm', input: [h, 'head.weight'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 0 }] });
  const io = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map(d => ({ dimValue: d })) } } } });
  const bytes = onnxProto.onnx.ModelProto.encode(onnxProto.onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'mlp', initializer, node, input: [io('x', [4, F])], output: [io('y', [4, H])] },
  })).finish();
  writeFileSync(join(dir, 'mlp.onnx.data'), Buffer.concat(chunks));
  writeFileSync(join(dir, 'mlp.onnx'), bytes);
  return join(dir, 'mlp.onnx');
}

const tol = { atol: 1e-4, rtol: 1e-3, seed: 0 };
// onnxruntime fuses across what are block boundaries when it runs the whole graph (a Conv with the BatchNorm after
// it), so the reference's last bits may differ between the two runs: differences are compared as float32 noise
// (below), everything the verdict is made of exactly
const brief = (r: CheckResult) => ({
  passed: r.passed, outputs: r.outputs.map(o => [o.name, o.passed]),
  layers: r.layers?.layers.map(l => [l.name, l.kind, l.passed, l.introducesError, l.withinNoise]), firstDivergence: r.layers?.firstDivergence,
  localized: r.localized && { cause: r.localized.cause, layer: r.localized.layer, compared: r.localized.compared },
});

describe('check --stream', () => {
  it("cuts a decoder at its layers: what runs before them, one block per layer, what runs after", () => {
    const model = modelFromFile('fixtures/models/dynamo/llama_tiny.onnx');
    const blocks = partitionBlocks(model);
    expect(blocks.map(b => b.name)).toEqual(['(before model.layers)', 'model.layers.0', 'model.layers.1', '(after model.layers)']);
    // every node once, in the graph's order
    expect(blocks.flatMap(b => b.nodes)).toEqual(model.graph.nodes);
  });

  it('gives the whole-model verdict, outputs and per-layer table on a decoder (external data) and a CNN (weights inline)', async () => {
    for (const file of ['fixtures/models/dynamo/llama_tiny.onnx', 'fixtures/models/seed_cnn.bn.onnx']) {
      const whole = await check(file, { ...tol, samples: 2, layers: true });
      const streamed = await check(file, { ...tol, samples: 2, layers: true, stream: true });
      expect(streamed.stream!.blocks.length, file).toBeGreaterThan(2);
      expect(brief(streamed), file).toEqual(brief(whole));
      streamed.outputs.forEach((o, k) => expect(Math.abs(o.maxAbsDiff - whole.outputs[k]!.maxAbsDiff), file).toBeLessThan(1e-6));
    }
  }, 60_000);

  it('gives the whole-model verdict on weights read from the file straight into kernel memory (1 MiB [in, out] Linears)', async () => {
    const file = externalMlp();
    const whole = await check(file, { ...tol, samples: 2, layers: true });
    // twice: the second run's blocks take the kernel memory the first run's freed
    for (let run = 0; run < 2; run++) {
      const streamed = await check(file, { ...tol, samples: 2, layers: true, stream: true });
      expect(streamed.stream!.blocks.map(b => b.name)).toEqual(['layers.0', 'layers.1', 'layers.2', '(after layers)']);
      expect(brief(streamed)).toEqual(brief(whole));
      expect(streamed.passed).toBe(true);
      streamed.outputs.forEach((o, k) => expect(Math.abs(o.maxAbsDiff - whole.outputs[k]!.maxAbsDiff)).toBeLessThan(1e-6));
    }
  }, 60_000);

  it('checks a weights file block by block (--weights): the whole run\'s verdict, loaded count and the planted bug found', async () => {
    const file = 'fixtures/models/dynamo/llama_tiny.onnx';
    const dir = mkdtempSync(join(tmpdir(), 'msport-stream-w-'));
    const params = new Map(importModel(modelFromFile(file)).network.parametersAndNames().map(([n, p]) => [n, new Tensor(Float32Array.from(p.data as Float32Array), p.shape, p.dtype)] as const));
    const good = join(dir, 'good.safetensors'), bad = join(dir, 'bad.safetensors');
    saveSafetensors(params, good);
    // a converted checkpoint with one layer's weight wrong: the down projection of layer 1 scaled by 1.01
    const w = params.get('model.layers.1.mlp.down_proj.weight')!;
    saveSafetensors(new Map([...params, ['model.layers.1.mlp.down_proj.weight', new Tensor((w.data as Float32Array).map(v => v * 1.01), w.shape, w.dtype)]]), bad);
    for (const weights of [good, bad]) {
      const whole = await check(file, { ...tol, samples: 2, weights });
      const streamed = await check(file, { ...tol, samples: 2, weights, stream: true });
      expect(streamed.weights).toEqual(whole.weights);
      expect(streamed.weights!.loaded).toBe(params.size);
      expect(brief(streamed), weights).toEqual(brief(whole));
      expect(streamed.passed, weights).toBe(weights === good);
    }
    const r = await check(file, { ...tol, samples: 2, weights: bad, stream: true });
    expect(r.localized?.layer).toBe('model.layers.1.mlp.down_proj');
    // --repro: the diverging layer written as a standalone model on the reference's values at its block, as a
    // whole-model run writes it (onnxruntime runs only the blocks before it)
    const [wholeRepro, streamRepro] = [join(dir, 'repro-whole'), join(dir, 'repro-stream')];
    const wr = await check(file, { ...tol, samples: 2, weights: bad, repro: wholeRepro });
    const st = await check(file, { ...tol, samples: 2, weights: bad, repro: streamRepro, stream: true });
    expect(st.repro!.layer).toBe('model.layers.1.mlp.down_proj');
    expect([st.repro!.layer, st.repro!.node]).toEqual([wr.repro!.layer, wr.repro!.node]);
    expect(st.repro!.files.map(f => f.slice(streamRepro.length))).toEqual(wr.repro!.files.map(f => f.slice(wholeRepro.length)));
    expect(Math.abs(st.repro!.maxAbsDiff - wr.repro!.maxAbsDiff)).toBeLessThan(1e-6);
    expect(st.repro!.maxAbsDiff).toBeGreaterThan(1e-5);
  }, 60_000);

  it('localises a failure the same way (float32 noise through a ResNet at a tolerance below it)', async () => {
    const opts = { atol: 1e-9, rtol: 0, seed: 0, samples: 1 };
    const whole = await check('fixtures/models/dynamo/resnet_blocks.onnx', opts);
    const streamed = await check('fixtures/models/dynamo/resnet_blocks.onnx', { ...opts, stream: true });
    expect(whole.passed).toBe(false);
    expect(whole.localized!.cause).toBe('accumulated');
    expect(brief(streamed)).toEqual(brief(whole));
  }, 60_000);

  it('refuses what it cannot stream yet in one line (exit 2): --port', async () => {
    for (const extra of [['--port', 'conformance/ports/seed_cnn.py:SeedCNN']] as string[][]) {
      const r = await runCli(['check', 'fixtures/models/seed_cnn.bn.onnx', '--stream', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/with --stream is not supported yet/);
    }
  });

  it('streams by itself when the weights will not fit in the memory there is (MSPORT_MEMORY_LIMIT caps it)', async () => {
    const r = await runCli(['check', 'fixtures/models/dynamo/llama_tiny.onnx', '--samples', '1', '--json'], { MSPORT_MEMORY_LIMIT: '10000' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stream.why).toMatch(/^automatic: a whole-model run needs about \S+ GiB \(2\.2× the weights\), \S+ GiB is available$/);
    expect(j.stream.blocks).toHaveLength(4);
    const plain = JSON.parse((await runCli(['check', 'fixtures/models/dynamo/llama_tiny.onnx', '--samples', '1', '--json'])).stdout);
    expect(plain.stream).toBeUndefined();
  });
});
