/**
 * msport convert: the module it writes (classes, sharing, names, containers), the checkpoint's names, and its
 * refusals. That the code runs in MindSpore and matches onnxruntime is conformance/test_convert.py's job.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importModel } from '../../src/onnx/import.js';
import { modelFromBytes, modelFromFile } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { writeModule } from '../../src/convert/module.js';
import { convert, moduleName, UnwritableError } from '../../src/convert/convert.js';
import { readCheckpoint } from '../../src/runtime/checkpoint.js';
import { runCli } from '../helpers/cli.js';

const moduleOf = (file: string) => writeModule(importModel(modelFromFile(file)).network);
const tol = { atol: 1e-4, rtol: 1e-3, seed: 0 };

describe('writeModule', () => {
  it('writes a Sequential with a dropped module as SequentialCell over an OrderedDict keeping the state_dict keys', () => {
    const m = moduleOf('fixtures/models/seed_cnn.onnx');
    expect(m.unwritable).toEqual([]);
    expect(m.classes).toEqual(['Net']);
    // layer1.1 (BatchNorm) was folded by the exporter: the keys stay 0, 2, 3 so the checkpoint names match
    expect(m.code).toContain("self.layer1 = nn.SequentialCell(OrderedDict([\n            # pad_mode, has_bias, padding: MindSpore's defaults differ from torch.nn.Conv2d's");
    expect(m.code).toContain("('2', nn.ReLU()),");
    expect(m.code).toMatch(/def construct\(self, input\):\n {8}input = self\.layer1\(input\)\n {8}input = self\.layer2\(input\)/);
    expect([...m.checkpoint.keys()].sort()).toEqual(['fc.bias', 'fc.weight', 'layer1.0.bias', 'layer1.0.weight', 'layer2.0.bias', 'layer2.0.weight']);
  });

  it('gives structurally identical modules one class, named after the PyTorch class the export records', () => {
    const m = moduleOf('fixtures/models/dynamo/bert_tiny.onnx');
    expect(m.unwritable).toEqual([]);
    expect(m.classes.filter(c => c === 'BertLayer')).toHaveLength(1);
    expect(m.classes.at(-1)).toBe('BertModel');
    // one BertLayer class, built twice in the ModuleList (a chain of its members: a SequentialCell)
    expect(m.code.match(/BertLayer\(\),/g)).toHaveLength(2);
    expect(m.code).toMatch(/self\.layer = nn\.SequentialCell\(\[/);
    expect(m.code).toContain('PyTorch modules `encoder.layer.0`, `encoder.layer.1` (transformers.models.bert.modeling_bert.BertLayer).');
  });

  it('gives modules of one PyTorch class but different structure classes of their own', () => {
    const m = moduleOf('fixtures/models/dynamo/resnet_blocks.onnx');
    expect(m.classes).toEqual(['BasicBlock', 'BasicBlock_2', 'Net']);
    expect(m.code).toContain('self.downsample = nn.SequentialCell([');
    // the residual sum reads the block's input, kept under its own name
    expect(m.code).toMatch(/x1 = x1 \+ x\n/);
  });

  it('a root Sequential with numeric keys sets its children by setattr, which prefixes their Parameter names', () => {
    const m = moduleOf('fixtures/models/dynamo/resnet_blocks.onnx');
    expect(m.code).toContain("setattr(self, '0', nn.Conv2d(");
    expect(m.code).toContain("getattr(self, '0')(input)");
  });

  it('writes ONNX If as Python if/else and Loop as while, INT64_MAX trip counts as no limit', () => {
    const ifs = moduleOf('fixtures/models/ops/if_scripted_op13.onnx');
    expect(ifs.unwritable).toEqual([]);
    expect(ifs.code).toMatch(/\n {8}if \w+:\n[\s\S]*\n {8}else:\n/);
    const loop = moduleOf('fixtures/models/ops/loop_scripted_op13.onnx');
    expect(loop.unwritable).toEqual([]);
    expect(loop.code).toMatch(/while \w+ < int\(input_1\) and bool\(\w+\):/);
    expect(loop.code).toMatch(/while bool\(\w+\):/);
    expect(loop.code).not.toContain('9223372036854775807');
  });

  it('writes a recurrent node with initial states as MindSpore\'s call and ONNX\'s output layout', () => {
    const m = moduleOf('fixtures/models/ops/gru_l1_bi_op13.onnx');
    expect(m.unwritable).toEqual([]);
    expect(m.code).toMatch(/rnn_y, rnn_h = self\.gru\(input, x\)\n/);
    // MindSpore's (seq, batch, 2·16) output as ONNX's Y (seq, dirs, batch, 16)
    expect(m.code).toContain('= ops.transpose(ops.reshape(rnn_y, (rnn_y.shape[0], rnn_y.shape[1], 2, 16)), (0, 2, 1, 3))');
    // a fused 2-layer stack with given states is MindSpore's own call
    expect(moduleOf('fixtures/models/ops/lstm_h0c0_op13.onnx').code).toContain('input_0, (input_1, input_2) = self.lstm(input_0, (input_1, input_2))');
  });

  it("writes a Dropout whose mask is read as the Cell's call and predict phase's all-true mask", () => {
    const bytes = buildModel({
      opset: 13, inputs: [{ name: 'x', dims: [2, 3] }], outputs: [{ name: 'y', dims: [2, 3] }],
      initializers: { ratio: Tensor.scalar(0.25, 'float32'), on: Tensor.scalar(1, 'bool') },
      nodes: [{ op: 'Dropout', name: '/drop/Dropout', inputs: ['x', 'ratio', 'on'], outputs: ['d', 'mask'] },
        { op: 'Cast', inputs: ['mask'], outputs: ['m'], attrs: { to: 1 } }, { op: 'Mul', inputs: ['d', 'm'], outputs: ['y'] }],
    });
    const m = writeModule(importModel(modelFromBytes(bytes)).network);
    expect(m.unwritable).toEqual([]);
    expect(m.code).toMatch(/self\.drop = nn\.Dropout\(p=0\.25\)/);
    expect(m.code).toMatch(/(\w+) = self\.drop\(x\)\n\s+(\w+) = ops\.ones_like\(x, dtype=ms\.bool_\)/);
  });

  it('lists every step it cannot write, not just the first', () => {
    // a train-mode export: BatchNormalization's extra outputs (the updated running statistics) have no port yet
    const m = moduleOf('fixtures/models/seed_cnn.train.onnx');
    expect(m.unwritable.map(u => [u.opType, u.scope])).toEqual([['BatchNormalization', 'layer1.1'], ['BatchNormalization', 'layer2.1']]);
  });
});

describe('convert', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'msport-convert-'));

  it('writes the module, the checkpoint under the MindSpore names, the data, the test and the README', async () => {
    const out = join(fresh(), 'port');
    const r = await convert('fixtures/models/seed_cnn.onnx', { ...tol, out });
    expect(r.check.passed).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'data', 'seed_cnn.ckpt', 'seed_cnn.py', 'test_seed_cnn.py']);
    expect(readdirSync(join(out, 'data')).sort()).toEqual(['expected_0.npy', 'input_0.npy']);
    const ckpt = readCheckpoint(join(out, 'seed_cnn.ckpt'));
    expect([...ckpt.params.keys()].sort()).toEqual(['fc.bias', 'fc.weight', 'layer1.0.bias', 'layer1.0.weight', 'layer2.0.bias', 'layer2.0.weight']);
    const test = readFileSync(join(out, 'test_seed_cnn.py'), 'utf8');
    expect(test).toContain('from seed_cnn import Net');
    expect(test).toContain('ATOL, RTOL = 0.0001, 0.001');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('| `layer1.0` | `nn.Conv2d(3, 12, 3, pad_mode=\'pad\', padding=1, has_bias=True)` | `pad_mode` |');
    // nothing left beside the output
    expect(readdirSync(join(out, '..'))).toEqual(['port']);
  });

  it('refuses a non-empty folder without --force and leaves it as it was; --force replaces it', async () => {
    const out = join(fresh(), 'port');
    mkdirSync(out);
    writeFileSync(join(out, 'mine.txt'), 'keep');
    await expect(convert('fixtures/models/seed_cnn.onnx', { ...tol, out })).rejects.toThrow(/is not empty \(pass --force/);
    expect(readdirSync(out)).toEqual(['mine.txt']);
    await convert('fixtures/models/seed_cnn.onnx', { ...tol, out, force: true, className: 'SeedCNN', format: 'safetensors' });
    expect(readdirSync(out).sort()).toEqual(['README.md', 'data', 'seed_cnn.py', 'seed_cnn.safetensors', 'test_seed_cnn.py']);
    expect(readFileSync(join(out, 'seed_cnn.py'), 'utf8')).toContain('class SeedCNN(nn.Cell):');
    expect(readdirSync(join(out, '..'))).toEqual(['port']);
  });

  it('writes nothing for a model with steps it cannot write (exit 3 from the CLI, every step listed)', async () => {
    const out = join(fresh(), 'port');
    await expect(convert('fixtures/models/seed_cnn.train.onnx', { ...tol, out })).rejects.toBeInstanceOf(UnwritableError);
    expect(existsSync(out)).toBe(false);
    const cli = await runCli(['convert', 'fixtures/models/seed_cnn.train.onnx', '-o', out, '--json']);
    expect(cli.code).toBe(3);
    const j = JSON.parse(cli.stdout);
    expect(j.error.code).toBe('MSPORT_UNWRITABLE');
    expect(j.error.steps.map((s: { node: string }) => s.node)).toEqual(['/layer1/layer1.1/BatchNormalization', '/layer2/layer2.1/BatchNormalization']);
    expect(existsSync(out)).toBe(false);
  });

  it('the CLI summarises what it wrote in --json and refuses a bad class name in one line', async () => {
    const out = join(fresh(), 'port');
    const r = await runCli(['convert', 'fixtures/models/seed_cnn.onnx', '-o', out, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ name: 'seed_cnn', className: 'Net', classes: ['Net'], parameters: 6, buffers: 0, check: { passed: true } });
    const bad = await runCli(['convert', 'fixtures/models/seed_cnn.onnx', '-o', join(fresh(), 'p'), '--class-name', 'my net']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the module after the file, as Python can import it', () => {
    expect(moduleName('a/resnet18.noopt.onnx')).toBe('resnet18_noopt');
    expect(moduleName('3d-net.onnx')).toBe('model_3d_net');
  });
});
