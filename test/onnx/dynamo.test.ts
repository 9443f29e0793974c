/**
 * torch 2.13's default exporter (dynamo; fixtures/make_today.py): node names carry no module path (`node_Conv_23`),
 * the path is in each node's metadata (`pkg.torch.onnx.name_scopes`), initializers carry state_dict names, weights
 * sit in `<model>.onnx.data`, and with the default optimize=True BatchNorm is folded into the Conv before it (the
 * fused Conv keeps the BatchNorm's scope). The same network through the TorchScript exporter is fixtures/models/seed_cnn*.
 */
import { describe, expect, it } from 'vitest';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { check } from '../../src/check.js';
import { nodeScope, pyStrings } from '../../src/onnx/scope.js';
import { graphInputsFromFile } from '../../src/onnx/skim.js';
import { randomInput } from '../../src/compare/inputs.js';

const DYN = 'fixtures/models/dynamo';
const names = (file: string) => importModel(modelFromFile(file)).network.parametersAndNames().map(([n]) => n);

describe('torch 2.13 dynamo exports', () => {
  it('node metadata (NodeProto.metadata_props) is read: every node has its name_scopes', () => {
    const m = modelFromFile(`${DYN}/seed_cnn.onnx`);
    expect(m.producer).toMatch(/^pytorch 2\.13/);
    expect(m.graph.nodes.every(n => n.metadata?.has('pkg.torch.onnx.name_scopes'))).toBe(true);
    expect(m.graph.nodes.some(n => n.name.startsWith('node_'))).toBe(true);
  });

  it('the Cell tree and Parameter names follow the module paths, as for the TorchScript export of the same network', () => {
    for (const [dynamo, torchscript] of [['seed_cnn.onnx', 'seed_cnn.onnx'], ['seed_cnn.noopt.onnx', 'seed_cnn.bn.onnx']]) {
      expect(names(`${DYN}/${dynamo}`)).toEqual(names(`fixtures/models/${torchscript}`));
    }
  });

  it('a Conv with a BatchNorm folded in is placed at its weight\'s module, the BatchNorm scope kept as foldedFrom', () => {
    const m = modelFromFile(`${DYN}/seed_cnn.onnx`);
    const conv = m.graph.nodes.find(n => n.opType === 'Conv')!;
    const s = nodeScope(conv, n => m.graph.initializers.has(n));
    expect(pyStrings(conv.metadata!.get('pkg.torch.onnx.name_scopes')!).slice(-2, -1)).toEqual([s.foldedFrom]);
    expect(s.path.join('.')).toBe(conv.inputs[1]!.replace(/\.weight$/, ''));
  });

  it('the folded BatchNorms are reported, naming the export setting that keeps them', () => {
    const notes = importModel(modelFromFile(`${DYN}/seed_cnn.onnx`)).exportNotes;
    expect(notes.map(n => n.kind === 'folded-batchnorm' && [n.module, n.into])).toEqual([['layer1.1', 'layer1.0'], ['layer2.1', 'layer2.0']]);
    expect(notes[0]!.message).toMatch(/optimize=False/);
    expect(importModel(modelFromFile(`${DYN}/seed_cnn.noopt.onnx`)).exportNotes).toEqual([]);
  });

  it('check carries the notes, apart from problems (the check still passes)', async () => {
    const r = await check(`${DYN}/seed_cnn.onnx`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 1 });
    expect([r.passed, r.problems.length, r.exportNotes?.map(n => n.kind)]).toEqual([true, 0, ['folded-batchnorm', 'folded-batchnorm']]);
  });

  it('check passes on both exports (weights read from the .onnx.data file)', async () => {
    for (const f of ['seed_cnn.onnx', 'seed_cnn.noopt.onnx']) {
      const r = await check(`${DYN}/${f}`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 });
      expect(r.passed, f).toBe(true);
    }
  });

  // Hugging Face transformers from small configs (BERT, DistilBERT, GPT-2, Llama, ViT, Whisper), weights made unequal so the optimizer merges none
  for (const f of ['bert_tiny', 'distilbert_tiny', 'gpt2_tiny', 'llama_tiny', 'vit_tiny_hf', 'whisper_tiny']) {
    it(`${f}: check passes, and every Parameter sits at one of the model's modules`, async () => {
      const file = `${DYN}/${f}.onnx`;
      const r = await check(file, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 });
      expect(r.passed).toBe(true);
      const m = modelFromFile(file);
      // the model's modules: those the state_dict names (initializers, and what the optimizer's constants were folded
      // from) and those the nodes ran in (name_scopes; a tied weight, GPT-2's wte = lm_head, has one initializer name)
      const stateDict = [...m.graph.initializers.keys(), ...[...m.graph.foldedFrom.values()].flat()].filter(k => !k.startsWith('val_') && k.includes('.'));
      const modules = new Set(stateDict.map(k => k.slice(0, k.lastIndexOf('.'))));
      for (const n of m.graph.nodes) pyStrings(n.metadata?.get('pkg.torch.onnx.name_scopes') ?? '[]').slice(1, -1).forEach(sc => modules.add(sc));
      const params = importModel(m).network.parametersAndNames().map(([n]) => n);
      expect(params.length).toBeGreaterThan(10);
      expect(params.filter(n => !modules.has(n.slice(0, n.lastIndexOf('.'))))).toEqual([]);
    });
  }

  // opsets 18–23 (fixtures/make_today.py RecentOps): Reduce* with axes inputs, Split, CumSum, Trilu, GroupNormalization,
  // RMSNormalization, LayerNormalization, Attention (causal; grouped-query with a boolean mask)
  for (const opset of [20, 23]) {
    it(`recent_ops_op${opset}: every op imports and check passes`, async () => {
      const file = `${DYN}/recent_ops_op${opset}.onnx`;
      const types = new Set(modelFromFile(file).graph.nodes.map(n => n.opType));
      if (opset === 23) for (const t of ['Attention', 'GroupNormalization', 'RMSNormalization', 'Trilu', 'CumSum']) expect(types.has(t), t).toBe(true);
      const r = await check(file, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2 });
      expect(r.passed).toBe(true);
    });
  }

  it('an AdaptiveAvgPool2d(1), written as a ReduceMean, is nn.AdaptiveAvgPool2d; the plain mean beside it stays ops.mean', () => {
    for (const opset of [20, 23]) {
      const m = modelFromFile(`${DYN}/recent_ops_op${opset}.onnx`);
      // the export writes both as the same op: only the module metadata tells them apart
      expect(m.graph.nodes.filter(n => n.opType === 'ReduceMean').length).toBeGreaterThanOrEqual(2);
      const steps = importModel(m).network.steps.filter(s => /mean|AdaptiveAvgPool/.test(s.msApi));
      expect(steps.map(s => [s.msApi, s.cellName])).toEqual(expect.arrayContaining([['mindspore.nn.AdaptiveAvgPool2d', 'pool'], ['mindspore.ops.mean', null]]));
    }
  });

  it('the module class chooses the Cell whatever ops it became: GroupNorm (decomposed at opset 20), Flatten (a Reshape), AdaptiveMaxPool2d (a MaxPool)', () => {
    const cellsOf = (f: string) => new Map(importModel(modelFromFile(`${DYN}/${f}`)).network.steps.filter(s => s.cellName).map(s => [s.cellName, s.msApi]));
    for (const opset of [20, 23]) {
      const m = modelFromFile(`${DYN}/recent_ops_op${opset}.onnx`);
      // at opset 20 the export writes GroupNorm as Reshape, InstanceNormalization, Reshape, Mul, Add
      expect(m.graph.nodes.some(n => n.opType === 'InstanceNormalization'), `${opset}`).toBe(opset === 20);
      const cells = cellsOf(`recent_ops_op${opset}.onnx`);
      expect([cells.get('gn'), cells.get('flatten')]).toEqual(['mindspore.nn.GroupNorm', 'mindspore.nn.Flatten']);
    }
    for (const f of ['seed_cnn.onnx', 'seed_cnn.noopt.onnx']) {
      const { network } = importModel(modelFromFile(`${DYN}/${f}`));
      const pool = network.cellsAndNames().find(([n]) => n === 'pool')![1];
      // the seed network's nn.AdaptiveMaxPool2d((5, 5)), exported as MaxPool(kernel 2, stride 2) on its 10×10 input
      expect([pool.clsName, (pool as unknown as { outputSize: number[] }).outputSize]).toEqual(['AdaptiveMaxPool2d', [5, 5]]);
    }
  });

  it('a Reshape, MatMul or InstanceNormalization outside such a module stays what it is', () => {
    // bert_tiny reshapes heads and multiplies attention scores in its own classes: none of it is a Flatten or a Dense
    const { network } = importModel(modelFromFile(`${DYN}/bert_tiny.onnx`));
    const reshapes = network.steps.filter(s => s.node.opType === 'Reshape');
    expect(reshapes.length).toBeGreaterThan(4);
    expect(reshapes.every(s => s.msApi === 'mindspore.ops.reshape')).toBe(true);
  });

  it('token ids are drawn within the embedding table (skimmed and fully decoded alike)', () => {
    const file = `${DYN}/bert_tiny.onnx`;
    const [skimmed] = graphInputsFromFile(file);
    const [decoded] = modelFromFile(file).graph.inputs;
    const rows = modelFromFile(file).graph.initializers.get('embeddings.word_embeddings.weight')!.shape[0]!;
    expect([skimmed!.indexBound, decoded!.indexBound]).toEqual([rows, rows]);
    const ids = randomInput(skimmed!, [4, 64], 0, 0).toArray();
    expect(Math.max(...ids)).toBeLessThan(rows);
    expect(Math.max(...ids)).toBeGreaterThanOrEqual(10); // not the [0, 10) of other integer inputs
  });

  it('--layers and report hand onnxruntime the model with its .onnx.data inlined (it would look in the working directory)', async () => {
    const r = await check(`${DYN}/bert_tiny.onnx`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 1, layers: true });
    expect(r.passed).toBe(true);
    expect(r.layers?.layers.length).toBeGreaterThan(10);
  });

  it('a tied weight read once directly and once transposed by the optimizer (folded_from) is reported as shared', () => {
    // Whisper's proj_out is tied to model.decoder.embed_tokens: the Embedding reads proj_out.weight, the Linear val_N
    const notes = importModel(modelFromFile(`${DYN}/whisper_tiny.onnx`)).exportNotes;
    expect(notes.map(n => n.kind === 'shared-initializer' && [n.initializer, [...n.params].sort()])).toEqual([
      ['proj_out.weight', ['model.decoder.embed_tokens.embedding_table', 'proj_out.weight']]]);
  });

  it('optimize=False: a bias-less Conv (its zero bias built at run time from CastLike) is nn.Conv2d(has_bias=False) with its state_dict weight', () => {
    const m = modelFromFile(`${DYN}/resnet_blocks.noopt.onnx`);
    expect(m.graph.nodes.some(n => n.opType === 'CastLike')).toBe(true);
    const { network } = importModel(m);
    const convs = network.steps.filter(s => s.node.opType === 'Conv');
    expect(convs.map(s => [s.cellName, s.msApi])).toEqual(['0', '3.conv1', '3.conv2', '4.conv1', '4.downsample.0', '4.conv2'].map(n => [n, 'mindspore.nn.Conv2d']));
    // the Parameters are exactly the state_dict's learnable tensors and BatchNorm statistics, under MindSpore's names
    const names = network.parametersAndNames().map(([n]) => n);
    const stateDict = [...m.graph.initializers.keys()].filter(k => !k.endsWith('num_batches_tracked'));
    expect(names.filter(n => n.endsWith('.weight')).sort()).toEqual(stateDict.filter(k => /(^0|conv\d|downsample\.0)\.weight$/.test(k)).sort());
    expect(names.length).toBe(stateDict.length);
  });

  it('a module called twice (BasicBlock\'s self.relu) is one Cell, called twice; --layers names the second call', async () => {
    for (const f of ['resnet_blocks.onnx', 'resnet_blocks.noopt.onnx']) {
      const { network } = importModel(modelFromFile(`${DYN}/${f}`));
      const relus = network.steps.filter(s => s.node.opType === 'Relu');
      expect(relus.map(s => [s.cellName, s.call ?? 1]), f).toEqual([['2', 1], ['3.relu', 1], ['3.relu', 2], ['4.relu', 1], ['4.relu', 2]]);
      expect(relus[1]!.cell).toBe(relus[2]!.cell);
    }
    const r = await check(`${DYN}/resnet_blocks.onnx`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 1, layers: true });
    expect(r.passed).toBe(true);
    expect(r.layers!.layers.map(l => l.name)).toEqual(expect.arrayContaining(['3.relu', '3.relu (call 2)']));
  });

  it('scopes print as the Cell classes a port writes: the user\'s class by name, Sequential and ModuleList as MindSpore\'s containers', () => {
    const tree = (f: string) => importModel(modelFromFile(`${DYN}/${f}`)).network;
    const blocks = tree('resnet_blocks.noopt.onnx');
    expect(blocks.clsName).toBe('SequentialCell');
    expect(blocks.cellsAndNames().filter(([n]) => /^\d$|downsample$/.test(n)).map(([n, c]) => [n, c.clsName]))
      .toEqual([['0', 'Conv2d'], ['1', 'BatchNorm2d'], ['2', 'ReLU'], ['3', 'BasicBlock'], ['4', 'BasicBlock'], ['4.downsample', 'SequentialCell']]);
    const bert = tree('bert_tiny.onnx');
    const cls = new Map(bert.cellsAndNames().map(([n, c]) => [n, c.clsName]));
    expect([bert.clsName, cls.get('encoder'), cls.get('encoder.layer'), cls.get('encoder.layer.0'), cls.get('encoder.layer.0.attention.self')])
      .toEqual(['BertModel', 'BertEncoder', 'CellList', 'BertLayer', 'BertSelfAttention']);
    expect(bert.toString()).toMatch(/^BertModel\(\n {2}\(embeddings\): BertEmbeddings\(/);
  });

  it('pyStrings reads a Python list repr of strings', () => {
    expect(pyStrings("['', 'layer1', \"it's\", 'a\\\\b']")).toEqual(['', 'layer1', "it's", 'a\\b']);
  });
});
