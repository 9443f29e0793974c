/**
 * The WebAssembly SIMD kernels against the plain-JS ones on random shapes (conv paths, GEMM with offsets and
 * accumulate, pooling, activations, softmax) and 1 vs 2 threads bit for bit — scripts/bench-kernels.mjs states the
 * per-kernel tolerances; here it runs without the timing part.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

describe('wasm kernels', () => {
  it('match the JS kernels, and one thread matches two', async () => {
    const out = await new Promise<{ code: number; text: string }>(resolve =>
      execFile(process.execPath, ['scripts/bench-kernels.mjs', '--no-bench'], { timeout: 120_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, text: stdout + stderr })));
    expect(out.code, out.text.slice(-2000)).toBe(0);
    expect(out.text).toMatch(/all checks passed/);
  });
});
