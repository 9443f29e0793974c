/**
 * Every PyTorch export in fixtures/models/ops (transformers, recurrent nets, spatial ops, exporter shape idioms,
 * opsets 9–17; made by `fixtures/make_models.py --ops`) passes `msport check` at atol=1e-4, rtol=1e-3. Dynamic dims
 * get the example shape recorded in the manifest.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { check } from '../src/check.js';

interface Fixture { name: string; file: string; inputs: { name: string; shape: number[]; dynamic?: Record<string, string> }[] }
const manifest = JSON.parse(readFileSync('fixtures/models/ops/manifest.json', 'utf8')) as { fixtures: Fixture[] };

describe('op fixtures pass msport check', () => {
  it('covers the fixtures the generator wrote', () => {
    expect(manifest.fixtures.length).toBeGreaterThanOrEqual(90);
  });
  for (const f of manifest.fixtures) {
    it(f.name, async () => {
      const shapes = new Map(f.inputs.filter(i => i.dynamic && Object.keys(i.dynamic).length).map(i => [i.name, i.shape]));
      const r = await check(`fixtures/models/ops/${f.file}`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2, shapes });
      expect(r.problems).toEqual([]);
      for (const o of r.outputs) expect(o.mismatches, `${o.name}: max abs diff ${o.maxAbsDiff}${o.error ? `; ${o.error}` : ''}`).toBe(0);
    });
  }
});
