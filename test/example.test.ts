/** The README's training example runs: the loss falls and a reloaded checkpoint predicts the same. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

describe('examples/train-mlp.mjs', () => {
  it('trains, saves and reloads', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['examples/train-mlp.mjs', '50'], { timeout: 120_000 }, (e, stdout, stderr) => (e ? reject(new Error(stderr || e.message)) : resolve(stdout))));
    const losses = [...out.matchAll(/loss ([\d.]+)/g)].map(m => Number(m[1]));
    expect(losses.length).toBe(2);
    // cross-entropy of 10 balanced classes starts near ln 10 = 2.30
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses[1]!).toBeLessThan(losses[0]! / 4);
    const [, acc, reloaded] = /accuracy on 200 held-out samples: ([\d.]+)[\s\S]*reloaded with 0 parameters missing; reloaded accuracy ([\d.]+)/.exec(out) ?? [];
    expect(Number(acc)).toBeGreaterThan(0.9);
    expect(reloaded).toBe(acc);
  });
});
