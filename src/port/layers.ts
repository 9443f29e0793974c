/**
 * `check --port --layers`: each Cell of the user's port, as it ran in MindSpore (forward hooks), matched by name to
 * the PyTorch module it ports — a leaf Cell of msport's tree or a module scope, both named by the module path — and
 * compared with onnxruntime's value of that module's output. The first Cell that differs is named.
 */
import type { OnnxModel } from '../onnx/proto.js';
import { OnnxNetwork, ScopeCell, Step } from '../onnx/network.js';
import { unexposableOutputs } from '../onnx/quirks.js';
import { referenceValues } from '../compare/layers.js';
import { noiseFloor, noiseRatio, NOISE_FACTOR } from '../compare/noise.js';
import { compareOutput, Tolerance } from '../compare/comparator.js';
import type { Tensor } from '../runtime/tensor.js';
import type { PortLayer } from './runner.js';
import { importModel, ruleArgKey } from '../onnx/import.js';
import { rule } from '../mappings/index.js';
import type { TorchApi } from '../mappings/index.js';
import { noGrad } from '../runtime/autograd.js';
import { py } from '../runtime/nn/pycall.js';
import { Dense } from '../runtime/nn/dense.js';
import * as F from '../runtime/functional.js';

export interface PortLayerResult {
  /** the port's Cell name (its attribute path), and which call of it */
  name: string; call: number; cls: string;
  /** the ONNX value it was compared with (null: no module of the export has this name) */
  onnx: string | null;
  shape: number[]; referenceShape: number[] | null;
  maxAbsDiff: number | null; mismatches: number | null; passed: boolean | null;
  /** the largest multiple of this layer's float32 noise floor (on onnxruntime's inputs) the difference reaches */
  noiseRatio: number | null;
  /** fails the tolerance only by what it inherited (or by float noise of its own): not where the port goes wrong */
  withinNoise: boolean;
}

export interface PortLayerReport {
  layers: PortLayerResult[]; matched: number; firstDivergence: string | null; unmatched: string[];
  /** which input sample the Cells were compared on (the first failing one) */
  sample?: number;
  /** the API difference that reproduces the first diverging Cell's output, where one does */
  explanation?: { cell: string; api: string; arg: string; torch: unknown; ms: unknown; maxAbsDiff: number; message: string } | null;
}

/**
 * Why the first diverging Cell differs: msport rebuilds the network with one default difference of that Cell's mapping
 * rule left at MindSpore's default and runs it on the same inputs; when that Cell's output then matches the port's
 * (within the check's tolerance), the port made that mistake.
 */
export function explainDivergence(model: OnnxModel, feeds: Map<string, Tensor>, network: OnnxNetwork, cell: string, call: number, portValue: Tensor, tol: Tolerance): PortLayerReport['explanation'] {
  const step = network.steps.find(s => s.cellName === cell && (s.call ?? 1) === call);
  if (!step?.torchApi) return null;
  const api = step.torchApi as TorchApi;
  for (const d of rule(api).defaults ?? []) {
    if (d.effect !== 'forward') continue;
    let rebuilt: OnnxNetwork;
    try {
      const r = importModel(model, { keepMsDefaults: new Set([ruleArgKey(api, d.arg)]) });
      if (!r.appliedDefaults.has(ruleArgKey(api, d.arg))) continue;
      rebuilt = r.network;
    } catch { continue; }
    // the rebuilt network keeps the loaded weights' names: copy the checked network's values into it
    const params = network.parametersDict();
    for (const [n, p] of rebuilt.parametersDict()) { const src = params.get(n); if (src && src.shape.join() === p.shape.join()) p.setData(src); }
    let seen: Tensor | undefined;
    try {
      noGrad(() => rebuilt.execute(rebuilt.inputNames.map(n => feeds.get(n)!), (s, outs) => { if (s.cellName === cell && (s.call ?? 1) === call && !seen) seen = outs[0]; }));
    } catch { /* a default that breaks the network further on can still explain this Cell */ }
    if (!seen || seen.shape.join() !== portValue.shape.join()) continue;
    const c = compareOutput(cell, seen, portValue, tol);
    if (c.passed) {
      return { cell, api, arg: d.arg, torch: d.torch, ms: d.ms, maxAbsDiff: c.maxAbsDiff,
        message: `${cell} matches ${d.arg}=${py(d.ms)}, MindSpore's default (${api} means ${py(d.torch)}): ${d.note}` };
    }
  }
  // not a default: a weight copied without its layout change (a Dense weight left as [in, out], as HF's Conv1D and
  // other frameworks store it): the Cell recomputed with its weight transposed
  if (step.cell instanceof Dense && step.cell.weight.shape[0] === step.cell.weight.shape[1]) {
    const values = new Map<string, Tensor>();
    try { noGrad(() => network.execute(network.inputNames.map(n => feeds.get(n)!), (s, outs) => s.outputs.forEach((o, k) => { if (o && outs[k]) values.set(o, outs[k]!); }))); } catch { return null; }
    const x = values.get(step.inputs[0]!) ?? feeds.get(step.inputs[0]!);
    if (!x) return null;
    const d = step.cell;
    const alt = noGrad(() => { const y = F.matmul(x, d.weight); return d.bias ? F.add(y, d.bias) : y; });
    if (alt.shape.join() === portValue.shape.join()) {
      const c = compareOutput(cell, alt, portValue, tol);
      if (c.passed) return { cell, api, arg: 'weight', torch: '[out, in]', ms: '[in, out]', maxAbsDiff: c.maxAbsDiff,
        message: `${cell} matches its weight transposed: the checkpoint holds ${cell}.weight as [in, out]; MindSpore's Dense keeps PyTorch's [out, in] (no transpose when copying from a torch.nn.Linear)` };
    }
  }
  return null;
}

/** The ONNX value each module path produces: a leaf Cell's step output, or the one value a scope hands outside. */
function moduleOutputs(network: OnnxNetwork): Map<string, string> {
  const out = new Map<string, string>();
  const steps = network.steps;
  for (const s of steps) if (s.cellName && s.outputs[0]) out.set(`${s.cellName}#${s.call ?? 1}`, s.outputs[0]);
  const consumers = new Map<string, Step[]>();
  for (const s of steps) for (const v of s.inputs) if (v) (consumers.get(v) ?? consumers.set(v, []).get(v)!).push(s);
  const graphOut = new Set(network.outputNames);
  for (const [path, cell] of network.cellsAndNames()) {
    if (!(cell instanceof ScopeCell) || !path) continue;
    const inside = (s: Step): boolean => { const p = s.cellName ?? s.scope; return p === path || p.startsWith(`${path}.`); };
    const mine = steps.filter(inside);
    const leaving = mine.flatMap(s => s.outputs.filter(v => v && (graphOut.has(v) || (consumers.get(v) ?? []).some(c => !inside(c)))));
    if (leaving.length === 1) out.set(`${path}#1`, leaving[0]!);
  }
  return out;
}

export async function comparePortLayers(model: OnnxModel, network: OnnxNetwork, feeds: Map<string, Tensor>, ran: PortLayer[], tol: Tolerance,
  threads?: number): Promise<PortLayerReport> {
  const values = moduleOutputs(network);
  const blocked = new Set(network.steps.filter(s => unexposableOutputs[s.node.opType]).flatMap(s => s.outputs));
  // a leaf Cell's step: msport reruns it on the port Cell's inputs
  const stepOf = new Map(network.steps.filter(s => s.cellName).map(s => [`${s.cellName}#${s.call ?? 1}`, s] as const));
  const wanted = [...new Set(ran.map(l => values.get(`${l.name}#${l.call}`)).filter((v): v is string => !!v && !blocked.has(v)))];
  const ref = await referenceValues(model, wanted, feeds, threads);
  const layers: PortLayerResult[] = ran.map(l => {
    const onnx = values.get(`${l.name}#${l.call}`) ?? null;
    const r = onnx ? ref.get(onnx) : undefined;
    if (!onnx || !r) return { name: l.name, call: l.call, cls: l.cls, onnx, shape: [...l.output.shape], referenceShape: null, maxAbsDiff: null, mismatches: null, passed: null, noiseRatio: null, withinNoise: false };
    const c = compareOutput(l.name, r, l.output, tol);
    // the Cell's own error: msport's layer (checked against onnxruntime) rerun on the port Cell's own inputs; a
    // difference there beyond NOISE_FACTOR × the layer's float-noise floor is the port's mistake, anything else it
    // inherited — the judgement `check --layers` makes of msport's layers on reference inputs
    let ratio: number | null = null, introduces = false;
    const step = stepOf.get(`${l.name}#${l.call}`);
    const runtime = step ? step.inputs.filter(Boolean) : [];
    if (step && !c.passed && l.inputs.length === runtime.length) {
      try {
        const own = noGrad(() => step.run(l.inputs))[0];
        if (own && own.shape.join() === l.output.shape.join()) {
          const local = compareOutput(l.name, own, l.output, tol);
          const floor = noiseFloor(step, l.inputs, own);
          ratio = floor ? noiseRatio(own, l.output, floor) : null;
          introduces = !local.passed && !(ratio !== null && ratio <= NOISE_FACTOR);
        } else introduces = true;
      } catch { introduces = true; /* msport's layer cannot take the port's input: the shapes went wrong here */ }
    }
    const withinNoise = !c.passed && step !== undefined && !introduces;
    return { name: l.name, call: l.call, cls: l.cls, onnx, shape: [...l.output.shape], referenceShape: [...r.shape], maxAbsDiff: c.maxAbsDiff, mismatches: c.mismatches, passed: c.passed, noiseRatio: ratio, withinNoise };
  });
  // the first Cell that introduces error: a leaf whose own rerun disagrees (scopes and unmatched layers inherit)
  const first = layers.find(l => l.passed === false && !l.withinNoise && stepOf.has(`${l.name}#${l.call}`));
  const firstRan = first ? ran.find(l => l.name === first.name && l.call === first.call) : undefined;
  return {
    explanation: first && firstRan ? explainDivergence(model, feeds, network, first.name, first.call, firstRan.output, tol) : null,
    layers,
    matched: layers.filter(l => l.passed !== null).length,
    firstDivergence: first ? (first.call > 1 ? `${first.name} (call ${first.call})` : first.name) : null,
    unmatched: [...new Set(layers.filter(l => l.passed === null).map(l => l.name))],
  };
}
