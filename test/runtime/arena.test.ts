/**
 * The kernels' forward arena: results stay in kernel memory during an inference pass and blocks are reused after a
 * value's last consumer. A block freed too early or shared by two live values would change numbers, so an arena pass
 * must equal the same pass without the arena (an observer turns it off) bit for bit, on every fixture model.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { loadInputs } from '../../src/compare/inputs.js';
import { noGrad } from '../../src/runtime/autograd.js';
import { kernels } from '../../src/runtime/kernels/index.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { modelFromBytes } from '../../src/onnx/proto.js';
import { buildModel } from '../helpers/onnx-builder.js';

const wasmOn = kernels.beginArena();
if (wasmOn) kernels.endArena();

function runBoth(file: string, shapes = new Map<string, number[]>()): { arena: Tensor[]; plain: Tensor[]; again: Tensor[] } {
  const model = modelFromFile(file);
  const { network } = importModel(model);
  const inputs = loadInputs(model.graph.inputs, { shapes, files: new Map(), seed: 1 });
  const arena = noGrad(() => network.execute(inputs));
  const snapshot = arena.map(t => Array.from(t.data as ArrayLike<number>));
  const plain = noGrad(() => network.execute(inputs, () => undefined));
  const again = noGrad(() => network.execute(inputs));
  // a second arena pass reuses the blocks: the first pass's outputs must not have been views on them
  arena.forEach((t, i) => expect(Array.from(t.data as ArrayLike<number>)).toEqual(snapshot[i]));
  return { arena, plain, again };
}

const same = (a: Tensor[], b: Tensor[]): void => {
  expect(a.length).toBe(b.length);
  a.forEach((t, i) => {
    expect(t.shape).toEqual(b[i]!.shape);
    expect(Buffer.from((t.data as Float32Array).buffer, t.data.byteOffset, t.data.byteLength)
      .equals(Buffer.from((b[i]!.data as Float32Array).buffer, b[i]!.data.byteOffset, b[i]!.data.byteLength))).toBe(true);
  });
};

describe.skipIf(!wasmOn)('forward arena', () => {
  it('a released block is reused, and nothing is owned after the arena closes', () => {
    const X = new Float32Array(4096).map((_, i) => i - 2048);
    expect(kernels.beginArena()).toBe(true);
    const a = kernels.relu(X);
    expect(kernels.owns(a)).toBe(true);
    const offset = a.byteOffset;
    const b = kernels.sigmoid(X);
    expect(b.byteOffset).not.toBe(offset);
    kernels.release(a);
    const c = kernels.clip(X, -1, 1);
    expect(c.byteOffset).toBe(offset);
    expect(c[0]).toBe(-1);
    expect(b[2048]).toBe(0.5);
    kernels.endArena();
    expect(kernels.owns(kernels.relu(X))).toBe(false);
  });

  it('a block is kept while a view of it lives: Relu → Reshape (shares data) → Sigmoid and Add both read the view', () => {
    // without the check, Reshape's input is released at its last use, Sigmoid's result takes its block and overwrites
    // the Reshape output that Add still reads
    const bytes = buildModel({
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Reshape', inputs: ['a', 'shape'], outputs: ['b'] },
        { op: 'Sigmoid', inputs: ['b'], outputs: ['c'] },
        { op: 'Add', inputs: ['b', 'c'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 1024] }], outputs: [{ name: 'y' }],
      initializers: { shape: new Tensor(BigInt64Array.from([32n, 32n]), [2], 'int64') },
    });
    const { network } = importModel(modelFromBytes(bytes));
    const x = new Tensor(new Float32Array(1024).map((_, i) => (i % 7) - 3), [1, 1024], 'float32');
    const [y] = noGrad(() => network.execute([x]));
    const [expected] = noGrad(() => network.execute([x], () => undefined));
    same([y!], [expected!]);
    expect(y!.data[4]).toBeCloseTo(1 + 1 / (1 + Math.exp(-1)), 6);
  });

  it('the seed CNNs and ShuffleNet (Reshape, Transpose, Split share or move data) equal the pass without the arena', () => {
    for (const f of ['seed_cnn.onnx', 'seed_cnn.bn.onnx', 'shufflenet_v2_x0_5.onnx', 'shufflenet_v2_x0_5.bn.onnx']) {
      const { arena, plain, again } = runBoth(`fixtures/models/${f}`);
      same(arena, plain);
      same(again, plain);
      for (const t of arena) expect(kernels.owns(t.data as Float32Array)).toBe(false);
    }
  });

  it('every op fixture equals the pass without the arena', () => {
    const manifest = JSON.parse(readFileSync('fixtures/models/ops/manifest.json', 'utf8')) as
      { fixtures: { file: string; inputs: { name: string; shape: number[] }[] }[] };
    for (const fx of manifest.fixtures) {
      const shapes = new Map(fx.inputs.map(i => [i.name, i.shape]));
      const { arena, plain } = runBoth(`fixtures/models/ops/${fx.file}`, shapes);
      same(arena, plain);
    }
  });
});
