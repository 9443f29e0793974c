/** Model bytes resident in kernel memory: kept while anything made from them is reachable, reused after (needs gc). */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

describe('resident model bytes', () => {
  it('stay while a network made from them lives, and their block is reused once nothing does', async () => {
    const out = await new Promise<{ code: number; text: string }>(resolve =>
      execFile(process.execPath, ['--expose-gc', 'test/scripts/resident.mjs', 'fixtures/models/shufflenet_v2_x0_5.onnx'], { timeout: 60_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, text: stdout + stderr })));
    expect(out.code, out.text).toBe(0);
    expect(out.text).toMatch(/resident: kept while reachable, reused after|SKIP/);
  });

  it('a block freed by hand or at the end of its resident scope is not freed again by its finalizer', async () => {
    const out = await new Promise<{ code: number; text: string }>(resolve =>
      execFile(process.execPath, ['--expose-gc', 'test/scripts/resident-free.mjs'], { timeout: 60_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, text: stdout + stderr })));
    expect(out.code, out.text).toBe(0);
    expect(out.text).toMatch(/resident: freed once, by hand or at the scope end|SKIP/);
  });
});
