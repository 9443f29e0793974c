/**
 * The WebAssembly SIMD kernels against the plain-JS ones on random shapes (conv paths, GEMM with offsets and
 * accumulate, pooling, activations, softmax) and 1 vs 2 threads bit for bit — scripts/bench-kernels.mjs states the
 * per-kernel tolerances; here it runs without the timing part, for both builds of the module: relaxed SIMD (fused
 * multiply-add, the default where V8 takes it) and plain SIMD (MSPORT_KERNELS=simd).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

function benchKernels(env: Record<string, string>): Promise<{ code: number; text: string }> {
  return new Promise(resolve =>
    execFile(process.execPath, ['scripts/bench-kernels.mjs', '--no-bench'], { timeout: 120_000, env: { ...process.env, ...env } }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, text: stdout + stderr })));
}

describe('wasm kernels', () => {
  for (const [build, env, flavor] of [['relaxed SIMD', {}, 'wasm-relaxed-simd'], ['plain SIMD', { MSPORT_KERNELS: 'simd' }, 'wasm-simd']] as const) {
    it(`${build}: match the JS kernels, and one thread matches two`, async () => {
      const out = await benchKernels(env);
      expect(out.code, out.text.slice(-2000)).toBe(0);
      expect(out.text).toContain(`kernels: ${flavor},`);
      expect(out.text).toMatch(/all checks passed/);
    });
  }
});
