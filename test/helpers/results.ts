/** Hand-made CheckResults for reporter tests (only the fields reporters read; the rest is filled with plain values). */
import type { CheckResult } from '../../src/check.js';
import type { LayerReport } from '../../src/compare/layers.js';
import type { ModelRun } from '../../src/cli/reporters/verdict.js';

type Output = CheckResult['outputs'][number];

export function output(name: string, o: Partial<Output> = {}): Output {
  const passed = o.passed ?? true;
  return {
    name, shape: [1, 10], referenceShape: [1, 10], dtype: 'float32', maxAbsDiff: passed ? 1e-7 : 3e-3, maxRelDiff: passed ? 1e-6 : 0.5,
    meanAbsDiff: 1e-8, mismatches: passed ? 0 : 4, size: 10, worstIndex: [0, 3], reference: 1.25, actual: passed ? 1.25 : 1.253, passed,
    histogram: { edges: [0, 1], counts: [0, 10, 0], nonFinite: 0 },
    ...o,
  } as Output;
}

export function result(model: string, outputs: Output[], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    model, passed: outputs.every(o => o.passed), atol: 1e-4, rtol: 1e-3, seed: 0, samples: 1,
    inputs: [{ name: 'input', shape: [1, 3, 8, 8], dtype: 'float32', source: 'random(seed=0)' }],
    problems: [], outputs,
    timings: { loadMs: 1, importMs: 2, referenceMs: 3, runtimeMs: 4 },
    ...extra,
  } as unknown as CheckResult;
}

export function layers(entries: { name: string; kind?: 'cell' | 'op' | 'scope'; passed?: boolean; introducesError?: boolean }[], firstDivergence: string | null = null): LayerReport {
  return {
    layers: entries.map(e => ({
      name: e.name, kind: e.kind ?? 'cell', api: 'mindspore.nn.Conv2d', torchApi: 'torch.nn.Conv2d', node: `/${e.name}/Conv`, shape: [1, 4, 8, 8], tensors: [],
      maxAbsDiff: e.passed === false ? 1e-2 : 1e-7, maxRelDiff: 1e-3, mismatches: e.passed === false ? 7 : 0, size: 256, passed: e.passed ?? true,
      local: e.kind === 'scope' ? null : { maxAbsDiff: e.introducesError ? 1e-2 : 1e-7, maxRelDiff: 1e-3, mismatches: e.introducesError ? 7 : 0, size: 256, passed: !e.introducesError },
      introducesError: e.introducesError ?? false, withinNoise: false, noiseFloor: null, noiseRatio: null,
      histogram: { edges: [0, 1], counts: [0, 256, 0], nonFinite: 0 }, ms: 1.5,
    })),
    firstDivergence, firstDivergenceCause: firstDivergence ? 'introduced' : null, referenceRuns: 1, noiseFactor: 8,
  } as unknown as LayerReport;
}

export const passing = (model = 'models/a.onnx', ms = 120): ModelRun => ({ model, result: result(model, [output('output')]), ms });
export const failing = (model = 'models/b.onnx', ms = 340): ModelRun => ({ model, result: result(model, [output('logits', { passed: false }), output('aux')]), ms });
export const erroring = (model = 'models/c.onnx', ms = 5): ModelRun => ({ model, error: { code: 'MSPORT_BAD_MODEL', message: `${model}: not a readable ONNX model (index out of range)`, exitCode: 2 }, ms });
export const unsupported = (model = 'models/d.onnx', ms = 7): ModelRun => ({
  model, ms,
  error: { code: 'MSPORT_UNSUPPORTED_OP', message: 'unsupported operators: Det (opset 13) x2', exitCode: 3, unsupported: [{ opType: 'Det', domain: '', opset: 13, count: 2, nodes: ['/Det_0', '/Det_2'] }] },
});
