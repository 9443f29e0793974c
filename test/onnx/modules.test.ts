/**
 * Module recovery: one torch.nn module per export (fixtures/make_modules.py, torch 1.13's TorchScript exporter, opset
 * 13; the module is attribute `m`). From the ONNX form alone msport must rebuild the module as it was written: the
 * PyTorch call it prints for the Cell at `m` (read off the Cell it runs) is the constructor call the generator used,
 * and the check passes. The MindSpore side of each call is run in MindSpore 2.10 by conformance/test_emitted_calls.py.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { modelFromFile } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { ScopeCell } from '../../src/onnx/network.js';
import { callOf } from '../../src/report/calls.js';
import { check } from '../../src/check.js';

const DIR = 'fixtures/models/modules';
const manifest = JSON.parse(readFileSync(`${DIR}/manifest.json`, 'utf8')) as { modules: { file: string; call: string }[] };

describe('module recovery from TorchScript exports', () => {
  it('covers the generator\'s table', () => {
    expect(manifest.modules.length).toBeGreaterThanOrEqual(40);
  });
  for (const { file, call } of manifest.modules) {
    it(call, async () => {
      const { network } = importModel(modelFromFile(`${DIR}/${file}`));
      const cells = network.cellsAndNames().filter(([n, c]) => n && !(c instanceof ScopeCell));
      // one Cell, the module itself, nothing beside it
      expect(cells.map(([n]) => n)).toEqual(['m']);
      expect(callOf(cells[0]![1]).torch).toBe(call);
      const r = await check(`${DIR}/${file}`, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 1 });
      expect(r.passed).toBe(true);
    });
  }
});
