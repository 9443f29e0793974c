import { referenceSource, type ReferenceSource } from './reference-model.js';
/**
 * Per-layer parity: every step of the imported Cell tree is compared with the value onnxruntime computes for the same
 * tensor, twice — chained (msport's own upstream values, what the user's port computes) and local (inputs taken from
 * the reference, so only the layer's own error shows). A layer that only inherits upstream error passes locally;
 * the first layer that fails locally is where parity breaks. Reference values are fetched in chunks and dropped after
 * their last use, so the intermediates of both engines are never all alive at once.
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import type { OnnxModel } from '../onnx/proto.js';
import type { OnnxNetwork, Step } from '../onnx/network.js';
import { ModelLoadError } from '../errors.js';
import { compareOutput, errorHistogram, ErrorHistogram, OutputComparison, Tolerance } from './comparator.js';
import { fromOrt, toOrt, ortBytes } from './runners.js';
import { referenceQuirks, unexposableOutputs } from '../onnx/quirks.js';
import { noiseFloor, noiseRatio, NOISE_FACTOR } from './noise.js';

export interface DiffStats { maxAbsDiff: number; maxRelDiff: number; mismatches: number; size: number; passed: boolean }

export interface LayerComparison extends DiffStats {
  /** MindSpore Cell name (`layer2.0.conv1`), or `scope/NodeLeaf` for a functional op */
  name: string;
  kind: 'cell' | 'op' | 'scope';
  /** MindSpore API (`mindspore.nn.Conv2d`, `mindspore.ops.add`, or `Cell` for a scope) */
  api: string;
  torchApi: string | null;
  /** ONNX node for cells and ops */
  node: string | null;
  shape: number[];
  /** compared graph tensors */
  tensors: string[];
  /** the layer run on reference inputs; null for scopes and when the reference lacks an input */
  local: DiffStats | null;
  /** fails on reference inputs by more than float noise: the error starts here rather than upstream */
  introducesError: boolean;
  /** largest per-element float-noise floor of the first output (see noise.ts); null for scopes */
  noiseFloor: number | null;
  /** local difference as a multiple of the floor (max over elements of |a − b| / floor); null for scopes */
  noiseRatio: number | null;
  /** fails the tolerance on reference inputs but stays within NOISE_FACTOR × floor */
  withinNoise: boolean;
  histogram: ErrorHistogram;
  /** runtime milliseconds of this step (chained run) */
  ms: number;
  /** why the chained run of this layer failed (its own error, or an upstream layer that failed) */
  error?: string;
}

export interface LayerReport {
  layers: LayerComparison[];
  /** first layer (execution order) that introduces error; else the first failing one when error only accumulates */
  firstDivergence: string | null;
  /** 'introduced': a layer adds error beyond float noise; 'accumulated': outputs fail, but every layer is within its float-noise floor */
  firstDivergenceCause: 'introduced' | 'accumulated' | null;
  noiseFactor: number;
  referenceRuns: number;
}

const stats = (c: OutputComparison): DiffStats => ({ maxAbsDiff: c.maxAbsDiff, maxRelDiff: c.maxRelDiff, mismatches: c.mismatches, size: c.size, passed: c.passed });
const merge = (xs: DiffStats[]): DiffStats => ({
  maxAbsDiff: Math.max(0, ...xs.map(x => x.maxAbsDiff)), maxRelDiff: Math.max(0, ...xs.map(x => x.maxRelDiff)),
  mismatches: xs.reduce((s, x) => s + x.mismatches, 0), size: xs.reduce((s, x) => s + x.size, 0), passed: xs.every(x => x.passed),
});
const mergeHist = (hs: ErrorHistogram[]): ErrorHistogram => ({
  edges: hs[0]!.edges, counts: hs[0]!.edges.concat([Infinity]).map((_, k) => hs.reduce((s, h) => s + h.counts[k]!, 0)), nonFinite: hs.reduce((s, h) => s + h.nonFinite, 0),
});

/** The model with every step output declared as a graph output, so onnxruntime can return it. */
export function exposeIntermediates(model: OnnxModel, names: string[]): ReferenceSource {
  return referenceSource(model, names);
}

/** onnxruntime's values of some intermediate tensors on one input set (a session of its own, released after). */
export async function referenceValues(model: OnnxModel, names: string[], feeds: Map<string, Tensor>, threads?: number): Promise<Map<string, Tensor>> {
  const ref = new Map<string, Tensor>();
  if (!names.length) return ref;
  const src = exposeIntermediates(model, names);
  const session = await createSession(src, threads);
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of feeds) f[k] = toOrt(v);
    for (const [k, v] of Object.entries(await session.run(f, names))) ref.set(k, fromOrt(v as ort.Tensor));
  } catch (e) {
    throw new ModelLoadError(`onnxruntime failed to compute intermediate values: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await session.release();
    src.dispose();
  }
  return ref;
}

export function layerName(step: Step): string {
  // a reused module's later calls are layers of their own: `layer1.0.relu`, then `layer1.0.relu (call 2)`
  if (step.cellName) return step.call ? `${step.cellName} (call ${step.call})` : step.cellName;
  const leaf = step.node.name.split('/').filter(Boolean).pop() ?? step.node.name;
  return step.scope ? `${step.scope}/${leaf}` : leaf;
}

/** The values --layers compares: every step output onnxruntime can return (a Range output it cannot: unexposableOutputs). */
export function layerValueNames(network: OnnxNetwork): string[] {
  return [...new Set(network.steps.filter(s => !unexposableOutputs[s.node.opType]).flatMap(s => s.outputs.filter(Boolean)))];
}

export async function compareLayers(model: OnnxModel, network: OnnxNetwork, feeds: Map<string, Tensor>, runTol: Tolerance,
  opts: {
    chunk?: number; ortThreads?: number; layerTolerances?: ReadonlyMap<string, Tolerance>;
    /**
     * onnxruntime's values of layerValueNames(network), computed elsewhere (a child process, for a model too large to
     * hold twice): taken from this map, each deleted after its last use. Without it a session runs here, in chunks.
     */
    reference?: Map<string, Tensor>;
    /**
     * The graph inputs' values for the chained run when they differ from the reference's (`feeds`): a streamed block,
     * whose inputs msport computed itself upstream. Without it both runs start from `feeds`.
     */
    chainedFeeds?: Map<string, Tensor>;
  } = {}): Promise<LayerReport> {
  const steps = network.steps;
  const graphInputs = new Set(network.inputNames);
  const produced = new Set(layerValueNames(network));
  const given = opts.reference;
  let session: ort.InferenceSession | null = null;
  if (!given) {
    const src = exposeIntermediates(model, [...produced]);
    session = await createSession(src, opts.ortThreads).finally(() => src.dispose());
  }
  try {
    return await compareWith(steps, graphInputs, produced, given, session, network, feeds, runTol, opts);
  } finally {
    await session?.release();
  }
}

async function compareWith(steps: Step[], graphInputs: Set<string>, produced: Set<string>, given: Map<string, Tensor> | undefined, session: ort.InferenceSession | null,
  network: OnnxNetwork, feeds: Map<string, Tensor>, runTol: Tolerance, opts: { chunk?: number; layerTolerances?: ReadonlyMap<string, Tolerance>; chainedFeeds?: Map<string, Tensor> }): Promise<LayerReport> {

  // the last step that needs each reference value: its producer (to compare) or a consumer (to run locally)
  const lastNeed = new Map<string, number>();
  const needOrder: string[] = [];
  steps.forEach((s, i) => {
    for (const n of [...s.inputs, ...s.outputs]) {
      if (!n || !produced.has(n)) continue;
      if (!lastNeed.has(n)) needOrder.push(n);
      lastNeed.set(n, i);
    }
  });
  const ref = new Map<string, Tensor>();
  let cursor = 0, runs = 0;
  const chunk = opts.chunk ?? 48;
  const fetch = async (names: string[]): Promise<void> => {
    const missing = names.filter(n => !ref.has(n));
    if (!missing.length) return;
    if (given) {
      runs = 1;
      for (const n of missing) { const t = given.get(n); if (t) { ref.set(n, t); given.delete(n); } }
      return;
    }
    const want = new Set(missing);
    while (cursor < needOrder.length && want.size < chunk) {
      const n = needOrder[cursor++]!;
      if (!ref.has(n)) want.add(n);
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of feeds) f[k] = toOrt(v);
      out = await session!.run(f, [...want]);
    } catch (e) {
      throw new ModelLoadError(`onnxruntime failed to compute intermediate values: ${(e as Error).message.split('\n')[0]}`);
    }
    runs++;
    for (const [k, v] of Object.entries(out)) ref.set(k, fromOrt(v as ort.Tensor));
  };

  const env = new Map<string, Tensor>(opts.chainedFeeds ?? feeds);
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => s.inputs.forEach(n => n && lastUse.set(n, i)));
  const keep = new Set(network.outputNames);
  const value = (n: string, from: Map<string, Tensor>): Tensor | undefined => (n ? from.get(n) ?? network.constants.get(n) ?? feeds.get(n) : undefined);

  const perTensor = new Map<string, { chained: DiffStats; hist: ErrorHistogram; shape: number[] }>();
  const entries: LayerComparison[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    // a per-layer tolerance from the config (with its reason kept there) replaces the run's for this layer only
    const tol = opts.layerTolerances?.get(layerName(step)) ?? runTol;
    await fetch([...step.outputs, ...step.inputs].filter(n => n && produced.has(n)));
    // chained: msport's own values. A layer whose inputs are missing (an upstream layer failed) is not run.
    const t0 = performance.now();
    let outs: Tensor[] = [];
    let error: string | undefined;
    const chainedInputs = step.inputs.map(n => value(n, env));
    const lost = step.inputs.find((n, k) => n && !chainedInputs[k]);
    if (lost) error = `not run: input ${lost} comes from a failed layer`;
    else {
      try { outs = noGrad(() => step.run(chainedInputs)); } catch (e) { error = (e as Error).message; }
    }
    const ms = performance.now() - t0;
    const chained: DiffStats[] = [], local: DiffStats[] = [], hists: ErrorHistogram[] = [];
    let localOuts: Tensor[] | null = null;
    const refInputs = step.inputs.map(n => (n && produced.has(n) ? ref.get(n) : n && graphInputs.has(n) ? feeds.get(n) : value(n, env)));
    if (step.inputs.every((n, k) => !n || refInputs[k])) {
      try { localOuts = noGrad(() => step.run(refInputs)); } catch { localOuts = null; }
    }
    const failed: DiffStats = { maxAbsDiff: Infinity, maxRelDiff: Infinity, mismatches: 0, size: 0, passed: false };
    const skip = referenceQuirks[step.node.opType]?.outputs ?? [];
    let noiseFloorMax: number | null = null, ratio: number | null = null;
    const r0 = step.outputs[0] ? ref.get(step.outputs[0]) : undefined;
    if (r0 && localOuts?.[0] && refInputs.every((t, k) => !step.inputs[k] || t)) {
      const floor = noiseFloor(step, refInputs, r0);
      if (floor) {
        noiseFloorMax = floor.reduce((m, v) => Math.max(m, v), 0);
        ratio = noiseRatio(r0, localOuts[0], floor);
      }
    }
    step.outputs.forEach((n, k) => {
      if (!n) return;
      const r = ref.get(n);
      if (outs[k]) env.set(n, outs[k]!);
      if (!r || skip.includes(k)) return;
      const c = outs[k] ? stats(compareOutput(n, r, outs[k]!, tol)) : { ...failed, mismatches: r.size, size: r.size };
      const hist = outs[k] ? errorHistogram(r, outs[k]!) : errorHistogram(r, Tensor.zeros([0]));
      chained.push(c); hists.push(hist);
      perTensor.set(n, { chained: c, hist, shape: [...r.shape] });
      local.push(localOuts?.[k] ? stats(compareOutput(n, r, localOuts[k]!, tol)) : { ...failed, mismatches: r.size, size: r.size });
    });
    for (const n of step.inputs) if (n && lastUse.get(n) === i && !keep.has(n) && !graphInputs.has(n)) env.delete(n);
    for (const n of [...step.inputs, ...step.outputs]) if (n && lastNeed.get(n) === i) ref.delete(n);
    if (!chained.length) continue;
    // a local run that could not happen (a reference input missing) says nothing about this layer
    const loc = refInputs.every((t, k) => !step.inputs[k] || t) ? merge(local) : null;
    // failing the gate on reference inputs is divergence unless the whole difference is float noise of this layer
    const noisy = !!loc && !loc.passed && ratio !== null && ratio <= NOISE_FACTOR && local.every((l, k) => k === 0 || l.passed);
    entries.push({
      name: layerName(step), kind: step.cellName ? 'cell' : 'op', api: step.msApi, torchApi: step.torchApi, node: step.node.name,
      shape: [...(outs[0]?.shape ?? ref.get(step.outputs[0] ?? '')?.shape ?? [])], tensors: step.outputs.filter(Boolean), ...merge(chained), local: loc,
      introducesError: loc ? !loc.passed && !noisy : false, noiseFloor: noiseFloorMax, noiseRatio: ratio, withinNoise: noisy,
      histogram: mergeHist(hists), ms, ...(error ? { error } : {}),
    });
  }

  const layers = withScopes(steps, entries, perTensor, new Set(network.outputNames));
  const firstFailing = entries.find(e => !e.passed);
  // where the outputs fail, the first layer that fails on the reference's inputs, or that stays within the tolerance
  // there but beyond NOISE_FACTOR× its noise floor (correct layers reach 0.39×): a wrong weight scaled by 1.01 in a
  // layer of small values passes the gate on its own and fails it after the layers that follow
  // (a layer given a tolerance of its own has had its difference accepted: it is judged by that alone)
  const firstIntroduced = entries.find(e => e.introducesError
    || (!!firstFailing && e.noiseRatio !== null && e.noiseRatio > NOISE_FACTOR && !opts.layerTolerances?.has(e.name)));
  return {
    layers,
    // error that only accumulates (every layer within its noise floor) is never named as a divergence
    firstDivergence: firstIntroduced?.name ?? null,
    firstDivergenceCause: firstIntroduced ? 'introduced' : firstFailing ? 'accumulated' : null,
    referenceRuns: runs,
    noiseFactor: NOISE_FACTOR,
  };
}

/**
 * Roll leaf results up to every module scope: a scope's outputs are the tensors produced inside it and read outside
 * it (or returned by the graph). A scope introduces error when one of its members does.
 */
function withScopes(steps: Step[], entries: LayerComparison[], perTensor: Map<string, { chained: DiffStats; hist: ErrorHistogram; shape: number[] }>, graphOutputs: Set<string>): LayerComparison[] {
  const prefixes = (scope: string): string[] => {
    const parts = scope ? scope.split('.') : [];
    return parts.map((_, d) => parts.slice(0, d + 1).join('.'));
  };
  const stepOf = new Map(steps.map(s => [s.node.name, s]));
  const consumers = new Map<string, Step[]>();
  for (const s of steps) for (const n of s.inputs) if (n) (consumers.get(n) ?? consumers.set(n, []).get(n)!).push(s);
  const inScope = (s: Step, sc: string): boolean => s.scope === sc || s.scope.startsWith(`${sc}.`);
  const names = new Set(entries.map(e => e.name));
  const lastIndex = new Map<string, number>();
  const members = new Map<string, LayerComparison[]>();
  entries.forEach((e, i) => {
    for (const sc of prefixes(stepOf.get(e.node!)!.scope)) {
      if (names.has(sc)) continue; // the scope is itself a Cell entry (a leaf module)
      lastIndex.set(sc, i);
      (members.get(sc) ?? members.set(sc, []).get(sc)!).push(e);
    }
  });
  const out: LayerComparison[] = [];
  entries.forEach((e, i) => {
    out.push(e);
    // close the scopes this entry ends, innermost first
    const closing = prefixes(stepOf.get(e.node!)!.scope).filter(sc => lastIndex.get(sc) === i).reverse();
    for (const sc of closing) {
      const ms = members.get(sc)!;
      const boundary = ms.flatMap(m => m.tensors).filter(t => graphOutputs.has(t) || (consumers.get(t) ?? []).some(c => !inScope(c, sc)));
      const results = boundary.map(t => perTensor.get(t)).filter((r): r is { chained: DiffStats; hist: ErrorHistogram; shape: number[] } => !!r);
      if (!results.length) continue;
      out.push({
        name: sc, kind: 'scope', api: 'Cell', torchApi: null, node: null, shape: results[results.length - 1]!.shape, tensors: boundary,
        ...merge(results.map(r => r.chained)), local: null, introducesError: ms.some(m => m.introducesError),
        noiseFloor: null, noiseRatio: null, withinNoise: false,
        histogram: mergeHist(results.map(r => r.hist)), ms: ms.reduce((t, m) => t + m.ms, 0),
      });
    }
  });
  return out;
}

async function createSession(src: ReferenceSource, threads?: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(typeof src.source === 'string' ? src.source as never : ortBytes(src.source), { intraOpNumThreads: threads ?? 0, graphOptimizationLevel: 'all', logSeverityLevel: 4 });
  } catch (e) {
    throw new ModelLoadError(`onnxruntime cannot load the model with intermediate outputs: ${(e as Error).message.split('\n')[0]}`);
  }
}
