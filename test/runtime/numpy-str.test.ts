/**
 * Tensor.str() is MindSpore 2.10's str(Tensor), which is numpy's str(asnumpy()). The expected strings are numpy's own
 * output (numpy-str.golden.py writes numpy-str.golden.json with numpy 1.26.4); conformance/test_reprs.py checks the
 * same method against real MindSpore.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';
import { allocData, type DType } from '../../src/runtime/dtype.js';

interface Case { dtype: DType; shape: number[]; values: string[]; str: string }
const golden = JSON.parse(readFileSync(new URL('./numpy-str.golden.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Python reprs back to numbers: 'nan', 'inf', '-inf', '-0.0', 'True', exact int64 digits. */
function tensorOf(c: Case): Tensor {
  const data = allocData(c.dtype, c.values.length);
  c.values.forEach((s, i) => {
    if (data instanceof BigInt64Array) data[i] = BigInt(s);
    else data[i] = s === 'True' ? 1 : s === 'False' ? 0 : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
  });
  return new Tensor(data, c.shape, c.dtype);
}

describe('Tensor.str() (numpy printing, as MindSpore 2.10 str(Tensor))', () => {
  it.each(golden.cases.map((c) => [`${c.dtype} [${c.shape.join(', ')}]`, c] as const))('%s matches numpy', (_name, c) => {
    expect(tensorOf(c).str()).toBe(c.str);
  });
});
