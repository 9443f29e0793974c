/** The command line as users and CI see it: output, JSON and one test per exit code. */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { buildModel } from './helpers/onnx-builder.js';
import { randn } from './helpers/parity.js';
import { writeNpy } from '../src/compare/npy.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'msport-cli-')); });

describe('msport check', () => {
  it('exit 0: parity holds, table and summary line', async () => {
    const r = await runCli(['check', 'fixtures/models/seed_cnn.bn.onnx']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/output .*\(1, 10\)/);
    expect(r.stdout).toMatch(/^PASS 1\/1 outputs within atol=0.0001 rtol=0.001/m);
  });

  it('--json prints exactly one object with the documented fields', async () => {
    const r = await runCli(['check', 'fixtures/models/seed_mlp.onnx', '--shape', 'input=3,1,28,28', '--json', '--seed', '7']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['model', 'passed', 'atol', 'rtol', 'seed', 'outputs', 'timings']));
    expect(j).toMatchObject({ passed: true, atol: 1e-4, rtol: 1e-3, seed: 7 });
    expect(j.outputs).toHaveLength(1);
    expect(j.outputs[0]).toMatchObject({ name: 'output', shape: [3, 10], mismatches: 0, passed: true });
    expect(j.outputs[0].maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(typeof j.timings.referenceMs).toBe('number');
    expect(typeof j.timings.runtimeMs).toBe('number');
  });

  it('exit 1: parity fails when the gate is tighter than the real difference', async () => {
    // seed_conv_relu sums 1920 products per output; float32 summation order alone differs between the engines
    const r = await runCli(['check', 'fixtures/models/seed_conv_relu.onnx', '--atol', '0', '--rtol', '0', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.passed).toBe(false);
    expect(j.outputs[0].mismatches).toBeGreaterThan(0);
    expect(j.outputs[0].maxAbsDiff).toBeGreaterThan(0);
  });

  it('--input feeds a .npy file and the model file is left untouched', async () => {
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, writeNpy(randn([2, 1, 28, 28], 5)));
    const before = statSync('fixtures/models/seed_mlp.onnx').mtimeMs;
    const r = await runCli(['check', 'fixtures/models/seed_mlp.onnx', '--input', `input=${npy}`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs[0]).toMatchObject({ shape: [2, 1, 28, 28], source: npy });
    expect(statSync('fixtures/models/seed_mlp.onnx').mtimeMs).toBe(before);
  });

  it('exit 2: a symbolic dim without --shape names the input', async () => {
    const r = await runCli(['check', 'fixtures/models/seed_mlp.onnx']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/input 'input' has symbolic dims \[batch, 1, 28, 28\]; pass --shape input=/);
  });

  it('exit 2: a missing file, a truncated model and a non-model, one line each, no stack', async () => {
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, readFileSync('fixtures/models/seed_cnn.onnx').subarray(0, 3000));
    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'hello, this is not a model\n');
    for (const [file, msg] of [['nope.onnx', /model file or folder not found: nope.onnx/], [truncated, /not a readable ONNX model/], [text, /not (a readable )?(an )?ONNX model/]] as const) {
      const r = await runCli(['check', file]);
      expect(r.code, file).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exit 2: bad options', async () => {
    expect((await runCli(['check', 'fixtures/models/seed_cnn.onnx', '--atol', 'abc'])).code).toBe(2);
    expect((await runCli(['check', 'fixtures/models/seed_cnn.onnx', '--shape', 'nosuch=1,2'])).stderr).toMatch(/the model has no input 'nosuch'/);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });

  it('exit 3: every unsupported operator is listed with its count and opset', async () => {
    const model = join(dir, 'unsupported.onnx');
    writeFileSync(model, buildModel({
      nodes: [
        { op: 'Det', inputs: ['x'], outputs: ['d1'] },
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Det', inputs: ['r'], outputs: ['d2'] },
        { op: 'Hardmax', inputs: ['x'], outputs: ['h'] },
      ],
      inputs: [{ name: 'x', dims: [3, 3] }], outputs: [{ name: 'd1' }, { name: 'd2' }, { name: 'h' }], opset: 13,
    }));
    const r = await runCli(['check', model, '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.unsupported.map((u: { opType: string; count: number; opset: number }) => [u.opType, u.count, u.opset])).toEqual([['Det', 2, 13], ['Hardmax', 1, 13]]);
    expect(r.stderr).toMatch(/Det \(opset 13\) x2/);
    expect(r.stderr).toMatch(/Hardmax \(opset 13\) x1/);
  });
});

describe('msport inspect', () => {
  it('prints the Cell tree and MindSpore parameter names', async () => {
    const r = await runCli(['inspect', 'fixtures/models/seed_cnn.bn.onnx']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(layer1): SequentialCell(');
    expect(r.stdout).toMatch(/\(0\): Conv2d\(input_channels=3, output_channels=12, kernel_size=\(3, 3\), stride=\(1, 1\), pad_mode=pad, padding=1, /);
    expect(r.stdout).toMatch(/layer1\.1\.moving_variance .*\(12\) .*Float32/);
  });

  it('--json lists parameters with the initializer they came from', async () => {
    const r = await runCli(['inspect', 'fixtures/models/seed_cnn.onnx', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.parameters.map((p: { name: string }) => p.name)).toEqual(['layer1.0.weight', 'layer1.0.bias', 'layer2.0.weight', 'layer2.0.bias', 'fc.weight', 'fc.bias']);
    expect(j.parameters[0].onnx).toMatch(/^onnx::Conv_/);
    expect(j.cells.find((c: { name: string }) => c.name === 'fc')).toMatchObject({ msApi: 'mindspore.nn.Dense', torchApi: 'torch.nn.Linear' });
  });
});
