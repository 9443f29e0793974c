/**
 * Train-mode Dropout: the reference runs it off (a random mask cannot be compared), msport imports it as a Dropout Cell
 * in predict phase with a note, and a port's Dropout is judged by its measured drop rate.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { referenceBytes, trainableDropouts } from '../../src/compare/reference-model.js';
import { OrtRunner } from '../../src/compare/runners.js';
import { comparePortDropouts, rateTolerance } from '../../src/port/dropout.js';
import { Dropout } from '../../src/runtime/nn/container.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { noGrad } from '../../src/runtime/autograd.js';

const path = 'fixtures/models/seed_mlp_dropout.train.onnx';
const input = (): Map<string, Tensor> => {
  const x = new Float32Array(4 * 28 * 28).map((_, i) => Math.sin(i * 0.37) + 0.5);
  return new Map([['input', new Tensor(x, [4, 1, 28, 28], 'float32')]]);
};

describe('train-mode Dropout', () => {
  const model = modelFromFile(path);

  it('is random in the file as exported, and the reference with it off is deterministic and equals msport', async () => {
    expect(trainableDropouts(model).map(n => n.opType)).toEqual(['Dropout']);
    const feeds = input();
    // onnxruntime's optimizer (level basic and up) removes every Dropout, train mode or not; without it, each run of
    // the file draws a new mask (4×64 values kept with p=0.9 each: two equal masks have probability ≈ 0)
    const runTwice = async (bytes: string | Uint8Array): Promise<number[][]> => {
      const s = await ort.InferenceSession.create(bytes as never, { graphOptimizationLevel: 'disabled' });
      const x = feeds.get('input')!;
      const out: number[][] = [];
      for (let k = 0; k < 2; k++) out.push(Array.from((await s.run({ input: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) })).output!.data as Float32Array));
      await s.release();
      return out;
    };
    const [a, b] = await runTwice(path);
    expect(a).not.toEqual(b);
    const [c, d] = await runTwice(referenceBytes(model));
    expect(c).toEqual(d);
    const r = (await OrtRunner.runAll(referenceBytes(model), [feeds])).outputs[0]!.get('output')!;
    expect(Array.from(r.toArray())).toEqual(c);
    const { network, exportNotes } = importModel(model);
    const y = noGrad(() => network.execute([feeds.get('input')!]))[0]!;
    const diff = Math.max(...Array.from(y.toArray(), (v, i) => Math.abs(v - r.toArray()[i]!)));
    expect(diff).toBeLessThan(1e-5); // two float32 GEMMs of 784 and 64 terms
    expect(exportNotes.filter(n => n.kind === 'train-dropout').map(n => [n.module, 'p' in n ? n.p : null])).toEqual([['dense_relu_sequential.2', 0.1]]);
    const drop = network.allSteps.find(s => s.cell instanceof Dropout)!.cell as Dropout;
    expect([drop.training, drop.p]).toEqual([false, 0.1]);
  });

  it('leaves a model without train-mode Dropout byte for byte as it is', () => {
    const plain = modelFromFile('fixtures/models/seed_cnn.bn.onnx');
    expect(trainableDropouts(plain)).toEqual([]);
    expect(referenceBytes(plain)).toBe(plain.bytes);
  });

  it("judges a port's Dropout by its rate: PyTorch's p as keep_prob is named with the fix", () => {
    const { network } = importModel(model);
    const draws = 16384;
    const ok = comparePortDropouts(network, [{ name: 'dense_relu_sequential.2', cls: 'Dropout', dropped: 0.1 + 0.5 * rateTolerance(0.1, draws), keptScale: 1 / 0.9, draws }]);
    expect(ok).toEqual([]);
    const [wrong] = comparePortDropouts(network, [{ name: 'dense_relu_sequential.2', cls: 'Dropout', dropped: 0.9, keptScale: 10, draws }]);
    expect(wrong!.kind).toBe('port-dropout');
    expect(wrong!.message).toMatch(/drops 90\.0% .*drops 10\.0% \(p=0\.1.*given 0\.1 as keep_prob — pass it as p=0\.1/);
    // another rate (p=0.5 given for 0.1): named, with no cause guessed; a right rate with a wrong scale: named
    const [other] = comparePortDropouts(network, [{ name: 'dense_relu_sequential.2', cls: 'Dropout', dropped: 0.5, keptScale: 2, draws }]);
    expect(other!.message).not.toMatch(/keep_prob/);
    expect(comparePortDropouts(network, [{ name: 'dense_relu_sequential.2', cls: 'Dropout', dropped: 0.1, keptScale: 1, draws }])).toHaveLength(1);
    // matched in order when the port names it otherwise and both sides have one Dropout
    expect(comparePortDropouts(network, [{ name: 'drop', cls: 'Dropout', dropped: 0.9, keptScale: 10, draws }])[0]!.message).toMatch(/^drop \(Dropout\)/);
  });

  it('tolerates six binomial standard deviations of the probe', () => {
    expect(rateTolerance(0.1, 16384)).toBeCloseTo(6 * Math.sqrt(0.09 / 16384), 12);
    expect(rateTolerance(0, 16384)).toBeCloseTo(6 / 16384, 12);
  });
});
