/** The Cell tree the importer builds from real torch 1.13 exports: names, Cells and arguments. */
import { describe, expect, it } from 'vitest';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import * as nn from '../../src/runtime/nn/index.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { modelFromBytes, decodeTensor } from '../../src/onnx/proto.js';
import { randn } from '../helpers/parity.js';
import { defaultRng, setSeed } from '../../src/runtime/random.js';
import { kernels } from '../../src/runtime/kernels/index.js';

const fixture = (f: string) => importModel(modelFromFile(`fixtures/models/${f}`));

describe('import of the seed CNN', () => {
  it('BatchNorm preserved: PyTorch names become MindSpore names', () => {
    const { network, boundInitializers } = fixture('seed_cnn.bn.onnx');
    expect(network.parametersAndNames().map(([n]) => n)).toEqual([
      // MindSpore 2.10 order: BatchNorm's moving statistics before gamma/beta (conformance/test_cells.py names)
      'layer1.0.weight', 'layer1.0.bias', 'layer1.1.moving_mean', 'layer1.1.moving_variance', 'layer1.1.gamma', 'layer1.1.beta',
      'layer2.0.weight', 'layer2.0.bias', 'layer2.1.moving_mean', 'layer2.1.moving_variance', 'layer2.1.gamma', 'layer2.1.beta',
      'fc.weight', 'fc.bias',
    ]);
    expect(boundInitializers.get('layer1.1.running_var')).toBe('layer1.1.moving_variance');
    expect(boundInitializers.get('layer1.1.weight')).toBe('layer1.1.gamma');
    const cells = new Map(network.cellsAndNames());
    const conv = cells.get('layer1.0') as nn.Conv2d;
    expect(conv).toBeInstanceOf(nn.Conv2d);
    // PyTorch padding=1 is explicit pad_mode='pad' with (top, bottom, left, right), never MindSpore's 'same' default
    expect([conv.padMode, conv.padding, conv.hasBias]).toEqual(['pad', [1, 1, 1, 1], true]);
    expect((cells.get('layer1.1') as nn.BatchNorm2d).momentum).toBe(0.9);
    expect(cells.get('layer1.3')).toBeInstanceOf(nn.MaxPool2d);
    expect((cells.get('layer1.3') as nn.MaxPool2d).stride).toEqual([2, 2]);
    expect(cells.get('fc')).toBeInstanceOf(nn.Dense);
  });

  it('BatchNorm folded: lost initializer names are derived from the node scope', () => {
    const { network, boundInitializers } = fixture('seed_cnn.onnx');
    expect(network.parametersAndNames().map(([n]) => n)).toEqual(['layer1.0.weight', 'layer1.0.bias', 'layer2.0.weight', 'layer2.0.bias', 'fc.weight', 'fc.bias']);
    expect([...boundInitializers.keys()].filter(k => k.startsWith('onnx::'))).toHaveLength(4);
    expect(network.toString()).toContain('(layer1): SequentialCell(');
  });

  it('raw_data is viewed in place when aligned, copied only when not', () => {
    const file = new Uint8Array(4 + 4 * 3 + 1);
    const dv = new DataView(file.buffer);
    [1.5, -2, 3.25].forEach((v, i) => dv.setFloat32(4 + 4 * i, v, true));
    const aligned = decodeTensor({ name: 'a', dataType: 1, dims: [3], rawData: file.subarray(4, 16) }, { baseDir: null, what: 't' });
    expect(aligned.data.buffer).toBe(file.buffer);
    expect(aligned.toArray()).toEqual([1.5, -2, 3.25]);
    const shifted = new Uint8Array(file.length);
    shifted.set(file.subarray(4, 16), 1);
    const misaligned = decodeTensor({ name: 'm', dataType: 1, dims: [3], rawData: shifted.subarray(1, 13) }, { baseDir: null, what: 't' });
    expect(misaligned.data.buffer).not.toBe(shifted.buffer);
    expect(misaligned.toArray()).toEqual([1.5, -2, 3.25]);
  });

  it('Parameters share the decoded initializer data', () => {
    const model = modelFromFile('fixtures/models/seed_cnn.bn.onnx');
    const { network } = importModel(model);
    const params = new Map(network.parametersAndNames());
    expect(params.get('layer1.1.moving_variance')!.data).toBe(model.graph.initializers.get('layer1.1.running_var')!.data);
  });
});

describe('mapping rules decide the Cell and its arguments', () => {
  it('asymmetric Conv pads map to MindSpore (top, bottom, left, right)', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Conv', name: '/conv/Conv', inputs: ['x', 'conv.weight'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [0, 1, 2, 3] } }],
      inputs: [{ name: 'x', dims: [1, 1, 5, 5] }], outputs: [{ name: 'y' }], initializers: { 'conv.weight': randn([2, 1, 3, 3]) },
    });
    const { network } = importModel(modelFromBytes(bytes));
    const conv = network.cellsAndNames().find(([n]) => n === 'conv')![1] as nn.Conv2d;
    expect(conv.padding).toEqual([0, 2, 1, 3]);
    expect(conv.hasBias).toBe(false);
  });

  it('Linear with bias=False exports as MatMul and stays functional; Gemm transB=0 becomes Dense with a transposed weight', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Gemm', name: '/fc/Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [2, 3] }], outputs: [{ name: 'y' }], initializers: { w: randn([3, 4]), b: randn([4]) },
    });
    const { network } = importModel(modelFromBytes(bytes));
    const fc = network.cellsAndNames().find(([n]) => n === 'fc')![1] as nn.Dense;
    expect(fc.weight.shape).toEqual([4, 3]);
    const w = modelFromBytes(bytes).graph.initializers.get('w')!.data as Float32Array;
    expect(Array.from(fc.weight.data as Float32Array)).toEqual([0, 1, 2, 3].flatMap(o => [0, 1, 2].map(i => w[i * 4 + o]!)));
    // transposed once at import into kernel memory (where the file's weights are), so products read it in place
    if (kernels.beginArena()) { kernels.endArena(); expect(kernels.owns(fc.weight.data as Float32Array)).toBe(true); }
  });
});

describe('import and the random generator', () => {
  it('draws nothing: every weight comes from the model, so the cells\' own initializers are never run', () => {
    setSeed(3);
    const first = defaultRng().next();
    setSeed(3);
    const { network } = fixture('seed_cnn.onnx');
    expect(network.parametersAndNames().every(([, p]) => !p.isLazy)).toBe(true);
    expect(defaultRng().next()).toBe(first);
  });
});

describe('ranks without value_info', () => {
  it('a BatchNorm on a Linear\'s [N, C] output is nn.BatchNorm1d though the export states no intermediate shape', () => {
    const m = modelFromFile('fixtures/models/ops/batchnorm1d_op13.onnx');
    expect(m.graph.valueInfo.size).toBe(0);
    const { network } = importModel(m);
    expect(network.steps.find(s => s.node.opType === 'BatchNormalization')!.msApi).toBe('mindspore.nn.BatchNorm1d');
    // and a Conv's output stays 4-D: BatchNorm2d (the TorchScript seed CNN with BatchNorm kept)
    const cnn = importModel(modelFromFile('fixtures/models/seed_cnn.bn.onnx')).network;
    expect(cnn.steps.filter(s => s.node.opType === 'BatchNormalization').every(s => s.msApi === 'mindspore.nn.BatchNorm2d')).toBe(true);
  });
});

describe('a module\'s own Parameters and its children\'s weights used functionally', () => {
  it('nn.MultiheadAttention: out_proj is a Dense at self_attn.out_proj, in_proj_bias a Parameter of self_attn', () => {
    const { network, boundParams } = importModel(modelFromFile('fixtures/models/ops/mha_batchfirst_op13.onnx'));
    expect(network.parametersAndNames().map(([n]) => n)).toEqual(['self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias']);
    expect([...boundParams.values()]).toContain('self_attn.in_proj_bias');
  });

  it('the steps read the Parameter: loading other values into it changes the output', () => {
    const { network } = importModel(modelFromFile('fixtures/models/ops/mha_batchfirst_op13.onnx'));
    setSeed(3);
    const x = randn([2, 5, 32], 4);
    const before = network.execute([x])[0]!.toArray();
    const bias = network.parametersAndNames().find(([n]) => n === 'self_attn.in_proj_bias')![1];
    bias.setData(Tensor.zeros(bias.shape));
    expect(network.execute([x])[0]!.toArray()).not.toEqual(before);
  });

  it('ViT\'s cls_token and pos_embed are Parameters of the root, as the model declares them', () => {
    const names = importModel(modelFromFile('fixtures/models/ops/vit_tiny_op13.onnx')).network.parametersAndNames().map(([n]) => n);
    expect(names.slice(0, 2)).toEqual(['cls_token', 'pos_embed']);
  });
});
