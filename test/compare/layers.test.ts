/**
 * Per-layer attribution: plant one known bug into one layer of a real or built model and check that `--layers`
 * names exactly that layer as the first divergence, with downstream layers failing only as inherited error.
 */
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { compareLayers } from '../../src/compare/layers.js';
import { loadInputs } from '../../src/compare/inputs.js';
import { Tensor } from '../../src/runtime/tensor.js';
import * as nn from '../../src/runtime/nn/index.js';
import type { Cell } from '../../src/runtime/cell.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { randn } from '../helpers/parity.js';

const tol = { atol: 1e-4, rtol: 1e-3 };

async function layersOf(model: ReturnType<typeof modelFromFile>, plant?: (cells: Map<string, Cell>) => void) {
  const { network } = importModel(model);
  plant?.(new Map(network.cellsAndNames()));
  const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
  const feeds = new Map<string, Tensor>(model.graph.inputs.map((v, i) => [v.name, inputs[i]!]));
  return compareLayers(model, network, feeds, tol);
}

describe('first divergence', () => {
  it('a clean model has none, and every layer passes chained and locally', async () => {
    const rep = await layersOf(modelFromFile('fixtures/models/seed_cnn.bn.onnx'));
    expect(rep.firstDivergence).toBeNull();
    expect(rep.layers.every(l => l.passed && !l.introducesError)).toBe(true);
    // leaf Cells in execution order, each Sequential rolled up after its last member; the view() shape arithmetic
    // (Constant/Unsqueeze/Concat) was folded at import, leaving one functional Reshape
    expect(rep.layers.map(l => l.name)).toEqual([
      'layer1.0', 'layer1.1', 'layer1.2', 'layer1.3', 'layer1', 'layer2.0', 'layer2.1', 'layer2.2', 'layer2.3', 'layer2', 'pool', 'Reshape', 'fc',
    ]);
  });

  it('swapped BatchNorm statistics are found in that BatchNorm, not in the layers after it', async () => {
    const rep = await layersOf(modelFromFile('fixtures/models/seed_cnn.bn.onnx'), cells => {
      const bn = cells.get('layer2.1') as nn.BatchNorm2d;
      const mean = bn.moving_mean.data;
      bn.moving_mean.data = bn.moving_variance.data;
      bn.moving_variance.data = mean;
    });
    expect(rep.firstDivergence).toBe('layer2.1');
    expect(rep.firstDivergenceCause).toBe('introduced');
    const byName = new Map(rep.layers.map(l => [l.name, l]));
    expect(byName.get('layer2.0')!.passed).toBe(true);
    expect(byName.get('layer2.1')!.introducesError).toBe(true);
    // ReLU after it fails on the chained values but is exact on reference inputs: inherited, not introduced
    expect(byName.get('layer2.2')!.passed).toBe(false);
    expect(byName.get('layer2.2')!.introducesError).toBe(false);
    expect(byName.get('fc')!.introducesError).toBe(false);
    expect(byName.get('layer2')!).toMatchObject({ kind: 'scope', passed: false, introducesError: true });
    expect(byName.get('layer1')!).toMatchObject({ kind: 'scope', passed: true, introducesError: false });
  });

  it('a wrong padding order (ONNX begins/ends read as top, bottom, left, right) is found in that Conv2d', async () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Conv', name: '/conv1/Conv', inputs: ['x', 'conv1.weight'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: 'Relu', name: '/relu/Relu', inputs: ['c1'], outputs: ['r1'] },
        { op: 'Conv', name: '/conv2/Conv', inputs: ['r1', 'conv2.weight'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [0, 2, 1, 0] } },
        { op: 'Relu', name: '/relu_1/Relu', inputs: ['c2'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 2, 8, 8] }], outputs: [{ name: 'y' }],
      initializers: { 'conv1.weight': randn([4, 2, 3, 3], 1), 'conv2.weight': randn([3, 4, 3, 3], 2) },
    });
    const rep = await layersOf(modelFromBytes(bytes), cells => {
      const conv = cells.get('conv2') as nn.Conv2d;
      expect(conv.padding).toEqual([0, 1, 2, 0]);
      (conv as { padding: number[] }).padding = [0, 2, 1, 0];
    });
    expect(rep.firstDivergence).toBe('conv2');
    const conv2 = rep.layers.find(l => l.name === 'conv2')!;
    expect(conv2.introducesError).toBe(true);
    expect(rep.layers.find(l => l.name === 'conv1')!.passed).toBe(true);
    // the next layer (the second call of relu, which the exporter named relu_1) cannot even be compared: its shape follows the bad padding
    expect(rep.layers.find(l => l.name === 'relu (call 2)')!.passed).toBe(false);
  });

  it('GELU left at MindSpore’s tanh default is found in that GELU', async () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Gemm', name: '/fc1/Gemm', inputs: ['x', 'fc1.weight', 'fc1.bias'], outputs: ['h'], attrs: { transB: 1 } },
        { op: 'Gelu', name: '/act/Gelu', inputs: ['h'], outputs: ['g'] },
        { op: 'Gemm', name: '/fc2/Gemm', inputs: ['g', 'fc2.weight', 'fc2.bias'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      inputs: [{ name: 'x', dims: [4, 16] }], outputs: [{ name: 'y' }], opset: 20,
      initializers: { 'fc1.weight': randn([32, 16], 1), 'fc1.bias': randn([32], 2), 'fc2.weight': randn([8, 32], 3), 'fc2.bias': randn([8], 4) },
    });
    const clean = await layersOf(modelFromBytes(bytes));
    expect(clean.firstDivergence).toBeNull();
    const rep = await layersOf(modelFromBytes(bytes), cells => {
      const act = cells.get('act') as nn.GELU;
      expect(act.approximate).toBe(false);
      (act as { approximate: boolean }).approximate = true;
    });
    expect(rep.firstDivergence).toBe('act');
    expect(rep.layers.find(l => l.name === 'fc2')!.introducesError).toBe(false);
  });

  it('reference values are fetched in chunks and each layer is timed', async () => {
    const model = modelFromFile('fixtures/models/shufflenet_v2_x0_5.onnx');
    const { network } = importModel(model);
    const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
    const rep = await compareLayers(model, network, new Map([['input', inputs[0]!]]), tol, { chunk: 32 });
    expect(rep.referenceRuns).toBeGreaterThan(1);
    expect(rep.firstDivergence).toBeNull();
    expect(rep.layers.filter(l => l.kind !== 'scope').length).toBe(network.steps.length);
    expect(rep.layers.every(l => l.ms >= 0)).toBe(true);
  });
});

describe('--repro', () => {
  it('writes the diverging layer as a one-node model that onnxruntime replays to the reference outputs', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const ort = await import('onnxruntime-node');
    const onnxProto = (await import('onnx-proto')).default;
    const { writeRepro } = await import('../../src/compare/repro.js');
    const { decodeTensor } = await import('../../src/onnx/proto.js');
    const model = modelFromFile('fixtures/models/seed_cnn.bn.onnx');
    const { network } = importModel(model);
    const bn = new Map(network.cellsAndNames()).get('layer2.1') as nn.BatchNorm2d;
    bn.moving_mean.data = Float32Array.from(bn.moving_mean.data as Float32Array, v => v + 1);
    const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
    const feeds = new Map([['input', inputs[0]!]]);
    const rep = await compareLayers(model, network, feeds, tol);
    expect(rep.firstDivergence).toBe('layer2.1');
    const dir = mkdtempSync(join(tmpdir(), 'msport-repro-'));
    const r = await writeRepro(dir, 'layer2.1', model, network, feeds, tol);
    expect(r.maxAbsDiff).toBeGreaterThan(0.1);
    const read = (f: string) => decodeTensor(onnxProto.onnx.TensorProto.decode(readFileSync(join(dir, f))), { baseDir: null, what: f });
    const input = read('test_data_set_0/input_0.pb');
    expect(input.shape).toEqual([1, 4, 20, 20]);
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
    expect(session.inputNames).toEqual(['/layer2/layer2.0/Conv_output_0']);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) });
    const expected = read('test_data_set_0/output_0.pb');
    expect(Array.from(out[session.outputNames[0]!]!.data as Float32Array)).toEqual(expected.toArray());
    const ours = read('msport_output_0.pb');
    expect(ours.shape).toEqual(expected.shape);
    expect(ours.toArray()).not.toEqual(expected.toArray());
    expect(JSON.parse(readFileSync(join(dir, 'repro.json'), 'utf8'))).toMatchObject({ layer: 'layer2.1', opType: 'BatchNormalization', msApi: 'mindspore.nn.BatchNorm2d' });
  });
});

describe('train phase', () => {
  it('an un-inverted BatchNorm momentum in a train-phase export is found in that BatchNorm', async () => {
    const model = modelFromFile('fixtures/models/seed_cnn.train.onnx');
    const clean = await layersOf(model);
    expect(clean.firstDivergence).toBeNull();
    const rep = await layersOf(modelFromFile('fixtures/models/seed_cnn.train.onnx'), cells => {
      const bn = cells.get('layer2.1') as nn.BatchNorm2d;
      // MindSpore's momentum is 1 − PyTorch's; leaving PyTorch's 0.1 in place weights the batch statistics 9× too little
      expect(bn.momentum).toBe(0.9);
      (bn as { momentum: number }).momentum = 0.1;
    });
    expect(rep.firstDivergence).toBe('layer2.1');
    expect(rep.layers.find(l => l.name === 'layer1.1')!.introducesError).toBe(false);
  });
});

describe('per-layer tolerances', () => {
  it('a layer given its own tolerance is judged by it, the others by the run’s', async () => {
    const model = modelFromFile('fixtures/models/seed_cnn.bn.onnx');
    const { network } = importModel(model);
    const bn = new Map(network.cellsAndNames()).get('layer2.1') as nn.BatchNorm2d;
    bn.moving_mean.data = Float32Array.from(bn.moving_mean.data as Float32Array, v => v + 0.01);
    const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
    const feeds = new Map([['input', inputs[0]!]]);
    expect((await compareLayers(model, network, feeds, tol)).firstDivergence).toBe('layer2.1');
    const loose = await compareLayers(model, network, feeds, tol, { layerTolerances: new Map([['layer2.1', { atol: 0.1, rtol: 0 }]]) });
    expect(loose.layers.find(l => l.name === 'layer2.1')!.local!.passed).toBe(true);
    expect(loose.firstDivergence).toBeNull();
  });
});

describe('what onnxruntime cannot return', () => {
  it('a Range output is never requested (onnxruntime-node dies with SIGSEGV): --layers runs and compares the rest', async () => {
    const m = modelFromFile('fixtures/models/ops/arange_pos_op13.onnx');
    const { network } = importModel(m);
    const feeds = new Map([['input', randn([2, 5, 16], 7)]]);
    const rep = await compareLayers(m, network, feeds, { atol: 1e-4, rtol: 1e-3 });
    const names = rep.layers.map(l => l.name);
    expect(names.some(n => /Range/.test(n))).toBe(false);
    // the Range's consumer (the Embedding lookup of the positions) is compared, on msport's own positions
    expect(rep.layers.find(l => l.name === 'pos_embed')).toMatchObject({ passed: true });
    expect(rep.firstDivergence).toBeNull();
  });
});
