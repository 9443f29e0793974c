/**
 * Every committed fixture (real torch 1.13 exports, BatchNorm folded and preserved) passes `msport check` at the
 * default gate atol=1e-4, rtol=1e-3, over three input seeds.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { check } from '../src/check.js';

const files = readdirSync('fixtures/models').filter(f => f.endsWith('.onnx')).sort();
const shapes: Record<string, Map<string, number[]>> = { seed_mlp: new Map([['input', [4, 1, 28, 28]]]) };

describe('fixtures pass msport check', () => {
  it('has the seed networks and a torchvision model, each exported both ways', () => {
    for (const base of ['seed_conv_relu', 'seed_cnn', 'seed_mlp', 'shufflenet_v2_x0_5']) {
      expect(files).toContain(`${base}.onnx`);
      expect(files).toContain(`${base}.bn.onnx`);
    }
  });
  for (const f of files) {
    it(f, async () => {
      for (const seed of [0, 1, 2]) {
        const r = await check(`fixtures/models/${f}`, { atol: 1e-4, rtol: 1e-3, seed, shapes: shapes[f.split('.')[0]!] });
        for (const o of r.outputs) expect(o.mismatches, `${f} seed ${seed} ${o.name}: max abs diff ${o.maxAbsDiff}`).toBe(0);
        expect(r.passed).toBe(true);
      }
    });
  }
});
