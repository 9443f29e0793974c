/**
 * A sample's output does not depend on the batch it runs in: one sample through nn.Dense or nn.Conv2d gives the same
 * bits as its row of a batch of three. A batch of one takes other kernel paths (the one-row product; a convolution
 * whose split parts share an operand packed ahead), which must compute every element the way the batched GEMM does,
 * on one thread and on two.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { setSeed } from '../../src/runtime/random.js';
import { noGrad } from '../../src/runtime/autograd.js';
import { kernelInfo, setKernelThreads } from '../../src/runtime/kernels/index.js';
import * as nn from '../../src/runtime/nn/index.js';
import { randn } from '../helpers/parity.js';

const threadsBefore = kernelInfo().threads;
afterAll(() => { setKernelThreads(threadsBefore); });

/** sample 1 of a batch of three, and the same sample alone, through `cell` */
function aloneAndInBatch(cell: nn.Cell, shape: number[]): [Float32Array, Float32Array] {
  const batch = randn([3, ...shape], 11);
  const per = batch.size / 3;
  const one = new Tensor((batch.data as Float32Array).slice(per, 2 * per), [1, ...shape], 'float32');
  const all = noGrad(() => cell.call(batch) as Tensor).data as Float32Array;
  const alone = noGrad(() => cell.call(one) as Tensor).data as Float32Array;
  const n = all.length / 3;
  return [Float32Array.from(alone), all.slice(n, 2 * n)];
}

describe('batch independence', () => {
  for (const threads of [1, 2]) {
    it(`nn.Dense (classifier-sized, one row alone) on ${threads} thread(s)`, () => {
      setKernelThreads(threads);
      setSeed(3);
      const [alone, inBatch] = aloneAndInBatch(new nn.Dense(2048, 1000), [2048]);
      expect(alone.every((v, i) => Object.is(v, inBatch[i]))).toBe(true);
    });

    it(`nn.Conv2d (3×3, parts share a packed operand) on ${threads} thread(s)`, () => {
      setKernelThreads(threads);
      setSeed(4);
      const [alone, inBatch] = aloneAndInBatch(new nn.Conv2d(256, 256, 3, { padMode: 'pad', padding: 1, hasBias: true }), [256, 14, 14]);
      expect(alone.every((v, i) => Object.is(v, inBatch[i]))).toBe(true);
    });
  }
});
