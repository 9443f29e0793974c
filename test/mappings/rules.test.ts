/** The mapping tables are data; check them like ESLint checks its rule files. */
import { describe, expect, it } from 'vitest';
import { nnRules } from '../../src/mappings/nn.js';
import { functionalRules } from '../../src/mappings/functional.js';
import { allRules } from '../../src/mappings/index.js';
import type { MappingRule } from '../../src/mappings/types.js';

const KNOWN_FIELDS = new Set(['torch', 'ms', 'kind', 'args', 'defaults', 'params', 'layout', 'notes', 'doc', 'versions', 'onnx']);

describe('mapping rules', () => {
  for (const [file, rules] of [['nn.ts', nnRules], ['functional.ts', functionalRules]] as [string, readonly MappingRule[]][]) {
    it(`${file} is sorted by torch name`, () => {
      const names = rules.map(r => r.torch);
      expect(names).toEqual([...names].sort()); // code-point order, as the files list them
    });
  }

  it('has no duplicate torch names and no unknown fields', () => {
    expect(new Set(allRules.map(r => r.torch)).size).toBe(allRules.length);
    for (const r of allRules) for (const k of Object.keys(r)) expect(KNOWN_FIELDS.has(k), `${r.torch}.${k}`).toBe(true);
  });

  it('names are full dotted API names and versions are ranges', () => {
    for (const r of allRules) {
      expect(r.torch).toMatch(/^torch\./);
      expect(r.ms).toMatch(/^mindspore\./);
      expect(r.versions).toMatch(/^[<>=]/);
    }
  });

  it('every default difference states both values and what to do', () => {
    for (const r of allRules) for (const d of r.defaults ?? []) {
      expect(d.torch, `${r.torch} ${d.arg}`).not.toEqual(d.ms);
      expect(d.note.length).toBeGreaterThan(5);
    }
  });

  it('BatchNorm renames all four tensors to MindSpore names', () => {
    const bn = allRules.find(r => r.torch === 'torch.nn.BatchNorm2d')!;
    expect(Object.fromEntries(bn.params!.map(p => [p.torch, p.ms]))).toEqual({ weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' });
  });
});
