/**
 * Measured consequences of the mapping rules: rebuild the Cell tree with one default difference left at MindSpore's
 * default, run it on the same inputs, and say what happens — a shape change (with both shapes and where), a value
 * change (max diff against the reference and the first layer that changed), or no effect on this model.
 */
import { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import type { OnnxModel } from '../onnx/proto.js';
import { importModel, ruleArgKey } from '../onnx/import.js';
import { ScopeCell, type OnnxNetwork } from '../onnx/network.js';
import { callOf } from './calls.js';
import { layerName } from '../compare/layers.js';
import { compareOutput, Tolerance } from '../compare/comparator.js';

export type Outcome =
  | { outcome: 'shape-mismatch'; layer: string; expectedShape: number[]; shape: number[]; error?: string }
  | { outcome: 'value-diff'; layer: string; maxAbsDiff: number; passed: boolean }
  | { outcome: 'no-effect' }
  | { outcome: 'error'; error: string }
  /** the importer has no MindSpore-default form of this argument for these layers: nothing was rebuilt, nothing is claimed */
  | { outcome: 'not-measured'; why: string };

/** Per layer: output shape and a hash of its bytes (keeping every intermediate alive would cost the model's activations twice). */
interface Trace { shapes: Map<string, number[]>; hashes: Map<string, number>; outputs: Tensor[] | null; error?: string }

function trace(network: OnnxNetwork, inputs: Tensor[]): Trace {
  const shapes = new Map<string, number[]>(), hashes = new Map<string, number>();
  try {
    const outputs = noGrad(() => network.execute(inputs, (step, outs) => {
      const name = layerName(step);
      if (outs[0]) { shapes.set(name, [...outs[0].shape]); hashes.set(name, fnv1a(outs[0])); }
    }));
    return { shapes, hashes, outputs };
  } catch (e) {
    return { shapes, hashes, outputs: null, error: (e as Error).message };
  }
}

/** FNV-1a over the tensor's bytes: equal hashes mean (all but certainly) bit-identical values. */
function fnv1a(t: Tensor): number {
  const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) { h ^= b[i]!; h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

/** Every Cell's full constructor call (reprs omit arguments: LeakyReLU prints none): what an import built. */
const cellCalls = (n: OnnxNetwork): string => n.cellsAndNames().map(([k, c]) => `${k}=${c instanceof ScopeCell || c === n ? '' : callOf(c).ms}`).join('\n');

export interface Baseline { network: OnnxNetwork; trace: Trace; reference: Tensor[]; inputs: Tensor[] }

export function baseline(network: OnnxNetwork, inputs: Tensor[], reference: Tensor[]): Baseline {
  return { network, trace: trace(network, inputs), reference, inputs };
}

export function measureRule(model: OnnxModel, base: Baseline, api: string, arg: string, tol: Tolerance): Outcome {
  let network: OnnxNetwork, applied: Set<string>;
  try {
    ({ network, appliedDefaults: applied } = importModel(model, { keepMsDefaults: new Set([ruleArgKey(api, arg)]) }));
  } catch (e) {
    // MindSpore's default may be one this model cannot be built with: that is the measurement
    return { outcome: 'error', error: (e as Error).message.split('\n')[0]! };
  }
  // "no effect" may only be said where the importer built these layers at MindSpore's default
  if (!applied.has(ruleArgKey(api, arg))) return { outcome: 'not-measured', why: `msport cannot rebuild these layers with MindSpore's default ${arg} yet` };
  // the same Cells: the default is this model's value already (a symmetric padding in either order)
  if (cellCalls(network) === cellCalls(base.network)) return { outcome: 'no-effect' };
  const t = trace(network, base.inputs);
  const names = base.network.steps.map(layerName);
  for (const n of names) {
    const a = base.trace.shapes.get(n), b = t.shapes.get(n);
    if (a && b && a.join() !== b.join()) return { outcome: 'shape-mismatch', layer: n, expectedShape: a, shape: b, ...(t.error ? { error: t.error } : {}) };
    if (a && !b && t.error) return { outcome: 'error', error: `${n}: ${t.error}` };
  }
  if (!t.outputs) return { outcome: 'error', error: t.error ?? 'the network did not run' };
  const changed = names.find(n => base.trace.hashes.has(n) && t.hashes.has(n) && base.trace.hashes.get(n) !== t.hashes.get(n));
  if (!changed) return { outcome: 'no-effect' };
  const diffs = t.outputs.map((o, i) => compareOutput(`out${i}`, base.reference[i]!, o, tol));
  return { outcome: 'value-diff', layer: changed, maxAbsDiff: Math.max(...diffs.map(d => d.maxAbsDiff)), passed: diffs.every(d => d.passed) };
}

