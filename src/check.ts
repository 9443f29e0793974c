/** `msport check` as a library call: load → names and modes → run both engines on N samples → compare → one result. */
import { readFileSync, statSync } from 'node:fs';
import { freemem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { modelFromFile, OnnxModel, ValueInfo } from './onnx/proto.js';
import { referenceSource, trainableDropouts } from './compare/reference-model.js';
import { graphInputsFromFile } from './onnx/skim.js';
import { importModel } from './onnx/import.js';
import type { ExportNote } from './onnx/import.js';
import { isLiteralInput, loadInputs } from './compare/inputs.js';
import { OrtRunner, MsportRunner } from './compare/runners.js';
import { referenceInChildProcess } from './compare/ort-process.js';
import { ModelLoadError } from './errors.js';
import { compareOutput, errorHistogram, ErrorHistogram, OutputComparison, Tolerance } from './compare/comparator.js';
import { compareLayers, layerValueNames, LayerReport } from './compare/layers.js';
import { NOISE_FACTOR } from './compare/noise.js';
import { writeRepro, ReproResult } from './compare/repro.js';
import { aggregate, cosineSimilarity, isClassScores, minPassingAtol, OutputStats, topAgreement } from './compare/stats.js';
import { preflight, Problem } from './compare/preflight.js';
import { applyWeights, compareNames, readWeights, weightSource } from './compare/weights.js';
import { runPort, PortRun, PortRunError, PortSpec } from './port/runner.js';
import { explainRunFailure } from './port/failure.js';
import { comparePortLayers, PortLayerReport } from './port/layers.js';
import { comparePortStates } from './port/states.js';
import { comparePortDropouts } from './port/dropout.js';
import { runStreamed } from './stream/run.js';
import { UsageError } from './errors.js';
import { isFloat } from './runtime/dtype.js';
import type { Regression } from './compare/baseline.js';
import { Tensor } from './runtime/tensor.js';
import type { OnnxNetwork } from './onnx/network.js';

export interface CheckOptions extends Tolerance {
  seed: number;
  /** input sets to run: sample k uses seed + k (default 1) */
  samples?: number;
  /** concrete dims for inputs, by input name */
  shapes?: Map<string, number[]>;
  /** .npy files for inputs, by input name (then every sample uses them) */
  inputs?: Map<string, string>;
  /** onnxruntime intra-op threads (0 = its default) */
  ortThreads?: number;
  /** also compare every layer (chained and on reference inputs), on the first sample */
  layers?: boolean;
  /** write the first diverging layer as a standalone reproduction into this folder (implies layers) */
  repro?: string;
  /** run the Cell tree with these MindSpore weights (.ckpt or .safetensors) instead of the ONNX initializers */
  weights?: string;
  /** allow Cells in train phase (otherwise a train-phase Cell is a reported problem) */
  allowTrain?: boolean;
  /** per-layer tolerances (by layer name) for --layers, e.g. from the config's layerTolerances */
  layerTolerances?: ReadonlyMap<string, Tolerance>;
  /** also return the imported network and the first sample's inputs and reference outputs (convert writes them) */
  keep?: boolean;
  /** compare the user's own MindSpore port (run in real MindSpore by Python) instead of msport's Cell tree */
  port?: PortSpec;
  /** when an output fails, run the per-layer pass to say where (default true; --no-localize) */
  localize?: boolean;
  /** a failure that the per-layer pass finds to be float32 noise accumulating (every layer within its floor) passes */
  acceptNoise?: boolean;
  /** run the model block by block (module boundaries), each block's weights read only while it runs (src/stream) */
  stream?: boolean;
}

/**
 * Where a failing check goes wrong, from the per-layer pass on the first failing sample: 'accumulated' — every layer
 * is within its float32 noise floor on the reference's inputs, the outputs differ by noise summed over the network;
 * 'introduced' — `layer` adds error beyond its floor; 'unlocalized' — no layer fails (the outputs do).
 */
export interface Localized {
  sample: number; cause: 'accumulated' | 'introduced' | 'unlocalized'; layer: string | null;
  /** layers (Cells and ops; Cell calls of a port) compared */
  compared: number;
  /** the largest local difference as a multiple of its layer's floor, over the layers that have one */
  worstNoiseRatio: number | null;
  noiseFactor: number; ms: number; message: string;
}

/** What `keep` returns beside the verdict. */
export interface KeptRun { network: OnnxNetwork; inputs: Map<string, Tensor>; expected: Map<string, Tensor>; inputOrder: string[]; outputOrder: string[] }

export type OutputResult = OutputStats & { histogram: ErrorHistogram; atol: number; rtol: number };

export interface CheckResult {
  model: string;
  passed: boolean;
  atol: number;
  rtol: number;
  seed: number;
  samples: number;
  inputs: { name: string; shape: number[]; dtype: string; source: string }[];
  /** names and modes found wrong before any value was compared */
  problems: Problem[];
  /** what the exporter did to the module structure (a folded BatchNorm, a shared initializer): not problems */
  exportNotes?: ExportNote[];
  weights?: { file: string; loaded: number };
  outputs: OutputResult[];
  layers?: LayerReport;
  /** the reproduction written for --repro; null when no layer diverged */
  repro?: ReproResult | null;
  /** differences that grew beyond the allowed factor over a --baseline run */
  regressions?: Regression[];
  timings: { loadMs: number; importMs: number; referenceMs: number; runtimeMs: number; layersMs?: number };
  /**
   * Peak resident memory (MiB): of msport's process (VmHWM), and of onnxruntime's own processes (the reference run,
   * and the per-layer values of an external-data model) where they ran in one; null where onnxruntime ran in msport's.
   */
  memory?: { msportPeakMiB: number; onnxruntimePeakMiB: number | null };
  kept?: KeptRun;
  /** what was compared with onnxruntime when it was the user's port */
  port?: { file: string; className: string; mindspore: string; parameters: number; loaded: number };
  /** with --stream: the blocks the model ran as, in order (module path, node count, wall time) */
  stream?: { why: string; blocks: { name: string; nodes: number; ms: number }[] };
  /** which sample the layers were compared on when it is not the first (the first whose outputs fail) */
  layersSample?: number;
  /** with --port --layers: each Cell of the port against onnxruntime's value of the module it ports */
  portLayers?: PortLayerReport;
  /** when an output failed: where, from the per-layer pass (absent with --no-localize or when every output passed) */
  localized?: Localized;
  /** --accept-noise: the outputs failed the tolerance by accumulated float32 noise only, and the check passes */
  noiseAccepted?: boolean;
  /** what makes this check prove little: a constant or empty reference output, an empty input, identical samples */
  vacuous?: { kind: 'constant-output' | 'empty-output' | 'empty-input' | 'identical-samples'; name: string; message: string }[];
}

export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-3 };

/** Integer and boolean outputs must match exactly; float outputs use the run's tolerance. */
export function toleranceFor(dtype: string, tol: Tolerance): Tolerance {
  return isFloat(dtype as never) ? tol : { atol: 0, rtol: 0 };
}

/** A model file up to this size is parsed before onnxruntime runs (a graph naming external data, or a small model). */
const SMALL_MODEL_FILE = 64 * 2 ** 20;

export async function check(modelPath: string, opts: CheckOptions): Promise<CheckResult> {
  let samples = opts.samples ?? 1;
  /** how a given input was converted to the model's dtype (`cast from int32`), by input name */
  const inputNotes = new Map<string, string>();
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be a positive integer, got ${samples}`);
  // every input given (a file or a number): each sample would be the same one, so there is one
  const feedsOf = (inputSpecs: ValueInfo[]): Map<string, Tensor>[] => {
    if (inputSpecs.length && inputSpecs.every(v => opts.inputs?.has(v.name))) samples = 1;
    return samplesOf(inputSpecs);
  };
  const samplesOf = (inputSpecs: ValueInfo[]): Map<string, Tensor>[] => Array.from({ length: samples }, (_, s) => {
    const inputs = loadInputs(inputSpecs, { shapes: opts.shapes ?? new Map(), files: opts.inputs ?? new Map(), seed: opts.seed + s, notes: inputNotes });
    return new Map(inputSpecs.map((v, i) => [v.name, inputs[i]!]));
  });

  // onnxruntime runs first, on the file, in a process of its own that has exited before msport reads the weights:
  // its load holds two copies of them at its peak, and this way neither engine's copies overlap the other's. The
  // per-layer values (--layers, localising a failure) are computed the same way for a model whose weights are external
  // data (layerReference); a small self-contained model's are fetched in this process, in chunks.
  const feeds = feedsOf(graphInputsFromFile(modelPath));
  if (opts.stream) return checkStreamed(modelPath, feeds, samples, inputNotes, opts, '--stream');
  // a model whose weights will not fit twice over in the memory there is streams by itself (a streamed run's peak is
  // its largest block's)
  // a small file (a graph whose weights are external data, or a small model) is parsed once here; a large one is not
  // parsed before onnxruntime has run, so the two copies of its weights are never held at once
  const size = statSync(modelPath).size, small = size <= SMALL_MODEL_FILE;
  let parsed: OnnxModel | undefined;
  const parse = (): OnnxModel => (parsed ??= modelFromFile(modelPath));
  if (opts.stream === undefined && !opts.port) {
    // a large file holds its weights (parsing it twice would cost a read); a small one may name external data
    const need = WHOLE_RUN_FACTOR * (small ? modelWeightBytes(parse()) : size), have = availableMemory();
    if (need > have) {
      return checkStreamed(modelPath, feeds, samples, inputNotes, opts,
        `automatic: a whole-model run needs about ${gib(need)} (${WHOLE_RUN_FACTOR}× the weights), ${gib(have)} is available`);
    }
  }
  let reference: { outputs: Map<string, Tensor>[]; ms: number[]; peakKiB?: number };
  try {
    // a bfloat16 export runs as its float32 upcast (onnx/bfloat16.ts); a large self-contained one is known only when
    // onnxruntime refuses it as written
    reference = small && parse().upcastFrom ? await runReference(parse(), feeds, opts.ortThreads)
      : (await referenceInChildProcess(modelPath, feeds, opts.ortThreads)) ?? await OrtRunner.runAll(modelPath, feeds, { threads: opts.ortThreads });
  } catch (e) {
    // msport's own reading of the model says more (an unsupported op, a broken tensor) than onnxruntime's refusal
    if (!(e instanceof ModelLoadError)) throw e;
    const m = parse();
    if (!m.upcastFrom || small) { importModel(m); throw e; }
    reference = await runReference(m, feeds, opts.ortThreads);
  }

  const t0 = performance.now();
  const model: OnnxModel = parse();
  const t1 = performance.now();
  const imported = importModel(model);
  const { network } = imported;
  const t2 = performance.now();
  // the file's train-phase Dropouts drew random masks: the reference runs again with them off (reference-model.ts)
  if (trainableDropouts(model).length) reference = await runReference(model, feeds, opts.ortThreads);

  let weights: CheckResult['weights'];
  let portRun: { run: PortRun; info: NonNullable<CheckResult['port']> } | undefined;
  let portLayers: PortLayerReport | undefined;
  let portLayersMs = 0;
  const problems: Problem[] = [];
  let loadedNames: Set<string> | undefined;
  if (opts.port) {
    // --port: the user's Cell in real MindSpore; its names are checked against the weights it is given (a file, or
    // the ONNX initializers under the MindSpore names msport's own Cell tree gives them)
    if (opts.repro) throw new UsageError('--port with --repro is not supported yet');
    const given = opts.weights ? readWeights(opts.weights) : new Map(network.parametersAndNames().map(([n, p]) => [n, p as Tensor]));
    const samplesIn = feeds.map(f => model.graph.inputs.map(v => f.get(v.name)!));
    let run: PortRun;
    try {
      run = await runPort({ ...opts.port, layers: !!opts.layers, train: !!opts.allowTrain }, samplesIn, opts.weights ?? given);
    } catch (e) {
      if (e instanceof PortRunError) throw new PortRunError(e.message + explainRunFailure(network, feeds[e.sample] ?? feeds[0]!, e), e.sample, e.failed);
      throw e;
    }
    // the statistics the port started from are the weights it was given (the momentum check reads them)
    if (run.states.length) problems.push(...await comparePortStates(model, network, feeds[0]!, run.states, opts, given));
    problems.push(...comparePortDropouts(network, run.dropouts));
    // the Cells are compared on the first sample whose outputs fail (the first one when all pass): a port can be
    // right on one input and wrong on another, and the layers must show the wrong one
    const failing = run.outputs.findIndex((outs, s) => model.graph.outputs.some((o, k) => {
      const r = reference.outputs[s]?.get(o.name), a = outs[k];
      return !!r && !!a && !compareOutput(o.name, r, a, toleranceFor(r.dtype, opts)).passed;
    }));
    if (opts.layers || (failing >= 0 && opts.localize !== false)) {
      const tl = performance.now();
      const s = Math.max(0, failing);
      const layerRun = s === 0 ? run : await runPort({ ...opts.port, layers: true, train: !!opts.allowTrain }, [samplesIn[s]!], opts.weights ?? given);
      portLayers = { ...await comparePortLayers(model, network, feeds[s]!, layerRun.layers, opts, opts.ortThreads), sample: s };
      portLayersMs = performance.now() - tl;
    }
    problems.push(...compareNames(new Map(run.params), new Map([...given].map(([k, t]) => [k, t.shape])), `the port (${opts.port.className})`));
    const n = model.graph.outputs.length;
    if (run.outputs.some(o => o.length !== n)) {
      problems.push({ kind: 'port-outputs', name: opts.port.className, message: `${opts.port.className} returns ${run.outputs[0]!.length} output${run.outputs[0]!.length === 1 ? '' : 's'}, the model has ${n}` });
    }
    portRun = { run, info: { file: opts.port.file, className: opts.port.className, mindspore: run.mindspore, parameters: run.params.length, loaded: run.loaded.length } };
    if (opts.weights) weights = { file: opts.weights, loaded: run.loaded.length };
  } else if (opts.weights) {
    const w = applyWeights(network, readWeights(opts.weights));
    problems.push(...w.problems);
    loadedNames = w.loaded;
    weights = { file: opts.weights, loaded: w.loaded.size };
  }
  if (!opts.port) problems.push(...preflight(model, imported, { allowTrain: opts.allowTrain, weightsLoaded: loadedNames }).filter(p => !opts.weights || p.kind !== 'unloaded-parameter'));

  const refOuts = reference.outputs, referenceMs = reference.ms.reduce((a, b) => a + b, 0);
  let ortPeakKiB = reference.peakKiB ?? null;

  const msRunner = new MsportRunner(network);
  let runtimeMs = 0;
  const firstFeeds = feeds[0]!;
  const msOuts: Map<string, Tensor>[] = [];
  for (let s = 0; s < samples; s++) {
    const tb = performance.now();
    msOuts.push(portRun ? new Map(model.graph.outputs.map((o, k) => [o.name, portRun!.run.outputs[s]![k]!] as const).filter(([, t]) => t)) : await msRunner.infer(feeds[s]!));
    runtimeMs += portRun ? portRun.run.ms[s]! : performance.now() - tb;
  }
  const { outputs, failingSample } = compareSamples(model.graph.outputs.map(o => o.name), refOuts, msOuts, opts);

  let layers: LayerReport | undefined;
  let layersMs: number | undefined;
  let repro: ReproResult | null | undefined;
  const gateFailed = failingSample !== undefined;
  const localize = gateFailed && opts.localize !== false;
  const layerSample = failingSample ?? 0;
  if ((opts.layers || opts.repro || localize) && !opts.port) {
    const t6 = performance.now();
    const lr = await layerReference(model, network, feeds[layerSample]!, opts.ortThreads);
    if (lr) ortPeakKiB = Math.max(ortPeakKiB ?? 0, lr.peakKiB);
    layers = await compareLayers(model, network, feeds[layerSample]!, opts, { ortThreads: opts.ortThreads, layerTolerances: opts.layerTolerances, ...(lr ? { reference: lr.values } : {}) });
    layersMs = performance.now() - t6;
    if (opts.repro) repro = layers.firstDivergence ? await writeRepro(opts.repro, layers.firstDivergence, model, network, feeds[layerSample]!, opts) : null;
  }
  const localized = localize ? (layers ? localizedFromLayers(layers, layerSample, layersMs!, precisionOf(model)) : portLayers ? localizedFromPort(portLayers, portLayersMs, precisionOf(model)) : undefined) : undefined;
  return {
    ...verdict(modelPath, model, feeds, refOuts, outputs, problems, localized, samples, inputNotes, opts),
    problems,
    ...(imported.exportNotes.length ? { exportNotes: imported.exportNotes } : {}),
    ...(weights ? { weights } : {}),
    outputs,
    // the per-layer table is the user's when asked for (--layers, --repro); localizing alone reports `localized`
    ...(layers && (opts.layers || opts.repro) ? { layers, ...(layerSample ? { layersSample: layerSample } : {}) } : {}),
    ...(repro !== undefined ? { repro } : {}),
    timings: { loadMs: t1 - t0, importMs: t2 - t1, referenceMs, runtimeMs, ...(layersMs !== undefined ? { layersMs } : {}) },
    memory: { msportPeakMiB: ownPeakMiB(), onnxruntimePeakMiB: ortPeakKiB === null ? null : Math.round(ortPeakKiB / 1024) },
    ...(portRun ? { port: portRun.info } : {}),
    ...(portLayers && opts.layers ? { portLayers } : {}),
    ...(opts.keep ? { kept: { network, inputs: firstFeeds, expected: refOuts[0]!, inputOrder: model.graph.inputs.map(v => v.name), outputOrder: model.graph.outputs.map(v => v.name) } } : {}),
  };
}

/**
 * The verdict both ways of running share: passed (every output, or --accept-noise on accumulated noise, and no
 * blocking problem), where a failure comes from, what makes the check prove little, and the inputs it ran on.
 */
function verdict(modelPath: string, model: OnnxModel, feeds: Map<string, Tensor>[], refOuts: Map<string, Tensor>[], outputs: OutputResult[], problems: Problem[],
  localized: Localized | undefined, samples: number, inputNotes: Map<string, string>, opts: CheckOptions) {
  // --accept-noise: only a tolerance failure (no shape error, no problem) that the layers call accumulated noise
  const noiseAccepted = !!opts.acceptNoise && localized?.cause === 'accumulated' && outputs.every(o => !o.error);
  const blocking = problems.filter(p => p.kind !== 'unused-initializer');
  const vacuous = vacuity(model.graph.inputs.map(v => v.name), model.graph.outputs.map(o => o.name), feeds, refOuts);
  const first = feeds[0]!;
  return {
    ...(vacuous.length ? { vacuous } : {}),
    model: modelPath,
    passed: (outputs.every(o => o.passed) || noiseAccepted) && blocking.length === 0,
    ...(localized ? { localized } : {}),
    ...(noiseAccepted ? { noiseAccepted } : {}),
    atol: opts.atol, rtol: opts.rtol, seed: opts.seed, samples,
    inputs: model.graph.inputs.map(v => ({
      name: v.name, shape: [...first.get(v.name)!.shape], dtype: first.get(v.name)!.dtype,
      source: literalSource(opts.inputs?.get(v.name), inputNotes.get(v.name)) ?? (samples > 1 ? `random(seeds=${opts.seed}..${opts.seed + samples - 1})` : `random(seed=${opts.seed})`),
    })),
  };
}

/** How an input was given: a file path, or `value N` for a number that fills it. */
const literalSource = (given: string | undefined, note?: string): string | undefined =>
  (given !== undefined && isLiteralInput(given) ? `value ${given}` : given !== undefined && note ? `${given} (${note})` : given);

/**
 * A check that passes can still prove nothing: an output that is one value everywhere in the reference (all zeros)
 * matches any port that also produces that value, an empty input or output compares no numbers, and samples that are
 * all the same input are one sample.
 */
export function vacuity(inputs: string[], outputs: string[], feeds: Map<string, Tensor>[], refs: Map<string, Tensor>[]): NonNullable<CheckResult['vacuous']> {
  const out: NonNullable<CheckResult['vacuous']> = [];
  for (const n of inputs) if (feeds[0]?.get(n)?.size === 0) out.push({ kind: 'empty-input', name: n, message: `input ${n} is empty (a zero dim): no value is computed from it` });
  for (const n of outputs) {
    const ts = refs.map(r => r.get(n)).filter((t): t is Tensor => !!t);
    if (!ts.length) continue;
    if (ts.every(t => t.size === 0)) { out.push({ kind: 'empty-output', name: n, message: `output ${n} is empty in the reference: no value was compared` }); continue; }
    const first = ts.find(t => t.size > 0)!.toArray()[0]!;
    if (ts.every(t => { const xs = t.toArray(); return xs.every(v => v === first || (Number.isNaN(v) && Number.isNaN(first))); })) {
      out.push({ kind: 'constant-output', name: n, message: `output ${n} is ${first} everywhere in the reference: a port that also gives ${first} would pass, right or wrong` });
    }
  }
  if (feeds.length > 1 && inputs.length && feeds.slice(1).every(f => inputs.every(n => sameValues(f.get(n), feeds[0]!.get(n))))) {
    out.push({ kind: 'identical-samples', name: '', message: `all ${feeds.length} samples are the same input: the check ran one` });
  }
  return out;
}

function sameValues(a: Tensor | undefined, b: Tensor | undefined): boolean {
  if (!a || !b || a.shape.join() !== b.shape.join()) return false;
  const x = a.toArray(), y = b.toArray();
  return x.every((v, i) => Object.is(v, y[i]));
}

const fmt = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? String(+x.toPrecision(3)) : x.toExponential(2).replace(/\.?0+e/, 'e'));

/** The precision a model's noise is counted in: float16 when an output is (a half-precision export), else float32. */
export type Precision = 'float32' | 'float16';
const precisionOf = (model: OnnxModel): Precision => (model.graph.outputs.some(o => o.dtype === 'float16') ? 'float16' : 'float32');

/** The verdict's `localized` from msport's per-layer pass. */
export function localizedFromLayers(rep: LayerReport, sample: number, ms: number, precision: Precision = 'float32'): Localized {
  const leaves = rep.layers.filter(l => l.kind !== 'scope');
  const ratios = leaves.map(l => l.noiseRatio).filter((r): r is number => r !== null && Number.isFinite(r));
  const worst = ratios.length ? Math.max(...ratios) : null;
  const on = sample ? ` (sample ${sample})` : '';
  if (rep.firstDivergence) {
    const l = leaves.find(x => x.name === rep.firstDivergence);
    const how = l?.noiseRatio !== null && l?.noiseRatio !== undefined && Number.isFinite(l.noiseRatio) ? `${fmt(l.noiseRatio)}× its ${precision} noise floor` : 'beyond its tolerance';
    return { sample, cause: 'introduced', layer: rep.firstDivergence, compared: leaves.length, worstNoiseRatio: worst, noiseFactor: rep.noiseFactor, ms,
      message: `diverges at ${rep.firstDivergence}${l ? ` (${l.api.replace(/^mindspore\./, '')})` : ''}${on}: on the reference's inputs it differs by ${how}` };
  }
  if (rep.firstDivergenceCause === 'accumulated') {
    return { sample, cause: 'accumulated', layer: null, compared: leaves.length, worstNoiseRatio: worst, noiseFactor: rep.noiseFactor, ms,
      message: `${precision} noise accumulating${on}: each of ${leaves.length} layers stays within ${rep.noiseFactor}× its ${precision} noise floor on the reference's inputs (worst ${worst === null ? '-' : fmt(worst)}×)` };
  }
  return { sample, cause: 'unlocalized', layer: null, compared: leaves.length, worstNoiseRatio: worst, noiseFactor: rep.noiseFactor, ms,
    message: `no layer fails${on}: the difference is not in a value msport compares per layer` };
}

/** The verdict's `localized` from the port's Cells (check --port). */
export function localizedFromPort(rep: PortLayerReport, ms: number, precision: Precision = 'float32'): Localized {
  const compared = rep.layers.filter(l => l.passed !== null);
  const ratios = compared.map(l => l.noiseRatio).filter((r): r is number => r !== null && Number.isFinite(r));
  const worst = ratios.length ? Math.max(...ratios) : null;
  const sample = rep.sample ?? 0, on = sample ? ` (sample ${sample})` : '';
  const base = { sample, compared: compared.length, worstNoiseRatio: worst, noiseFactor: NOISE_FACTOR, ms };
  if (rep.firstDivergence) {
    return { ...base, cause: 'introduced', layer: rep.firstDivergence, message: `diverges at the port's Cell ${rep.firstDivergence}${on}${rep.explanation ? `: ${rep.explanation.message}` : ''}` };
  }
  if (compared.some(l => !l.passed)) {
    return { ...base, cause: 'accumulated', layer: null, message: `${precision} noise accumulating${on}: each of ${compared.length} Cell calls of the port stays within ${NOISE_FACTOR}× its ${precision} noise floor (worst ${worst === null ? '-' : fmt(worst)}×)` };
  }
  return { ...base, cause: 'unlocalized', layer: null, message: `no Cell of the port fails${on}: the difference is outside the Cells the port's names match` };
}

/** onnxruntime on the reference model (from the file itself when its weights are external data: no copy here). */
async function runReference(model: OnnxModel, feeds: Map<string, Tensor>[], threads?: number): Promise<{ outputs: Map<string, Tensor>[]; ms: number[]; peakKiB?: number }> {
  const src = referenceSource(model);
  try {
    // a model file (external data, or a bfloat16 upcast) in a child process, as the plain check runs one
    return (typeof src.source === 'string' ? await referenceInChildProcess(src.source, feeds, threads) : null) ?? await OrtRunner.runAll(src.source, feeds, { threads });
  } finally { src.dispose(); }
}

/**
 * onnxruntime's per-layer values for a model whose weights are external data, from a child process (which exits
 * before msport compares): onnxruntime's copy of the weights and msport's are never held at once. null for a
 * self-contained model (compareLayers fetches those in this process).
 */
async function layerReference(model: OnnxModel, network: OnnxNetwork, feeds: Map<string, Tensor>, threads?: number): Promise<{ values: Map<string, Tensor>; peakKiB: number } | null> {
  const src = referenceSource(model, layerValueNames(network));
  try {
    if (typeof src.source !== 'string') return null;
    const r = await referenceInChildProcess(src.source, [feeds], threads);
    return r ? { values: r.outputs[0]!, peakKiB: r.peakKiB } : null;
  } finally {
    src.dispose();
  }
}

/** This process's peak resident memory so far (VmHWM, MiB); maxRSS where there is no /proc. */
function ownPeakMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch { /* not Linux */ }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Every output compared on every sample (msport's or a port's outputs against onnxruntime's), aggregated per output;
 * and the first sample on which an output fails (the per-layer pass runs there). An output missing from `actual` (a
 * port returning fewer) has no comparison: its absence is a problem reported elsewhere.
 */
export function compareSamples(names: string[], refOuts: Map<string, Tensor>[], actual: Map<string, Tensor>[], tolerance: Tolerance): { outputs: OutputResult[]; failingSample: number | undefined } {
  const perOutput = names.map(() => ({ cmp: [] as OutputComparison[], extra: [] as { cosine: number; minAtol: number; topk?: { rows: number; top1: number; top5: number } }[], hist: null as ErrorHistogram | null, tol: DEFAULT_TOLERANCE }));
  refOuts.forEach((refOut, s) => {
    const msOut = actual[s]!;
    names.forEach((name, k) => {
      const r = refOut.get(name)!, a = msOut.get(name);
      if (!a) return;
      const tol = toleranceFor(r.dtype, tolerance);
      const acc = perOutput[k]!;
      acc.tol = tol;
      acc.cmp.push(compareOutput(name, r, a, tol));
      const sameShape = r.shape.join() === a.shape.join();
      acc.extra.push({
        cosine: sameShape ? cosineSimilarity(r, a) : NaN,
        minAtol: sameShape ? minPassingAtol(r, a, tol.rtol) : Infinity,
        ...(sameShape && isClassScores(r) && isFloat(r.dtype) ? { topk: topAgreement(r, a) } : {}),
      });
      const h = errorHistogram(r, a);
      acc.hist = acc.hist ? { ...h, counts: h.counts.map((c, i) => c + acc.hist!.counts[i]!), nonFinite: h.nonFinite + acc.hist.nonFinite } : h;
    });
  });
  const outputs: OutputResult[] = names.flatMap((name, k) => (perOutput[k]!.cmp.length ? [{
    ...aggregate(name, perOutput[k]!.cmp, perOutput[k]!.extra), histogram: perOutput[k]!.hist!, atol: perOutput[k]!.tol.atol, rtol: perOutput[k]!.tol.rtol,
  }] : []));
  const failingSample = refOuts.map((_, s) => s).find(s => perOutput.some(o => o.cmp[s] && !o.cmp[s]!.passed));
  return { outputs, failingSample };
}

/**
 * check --stream: the same verdict from a block-by-block run (src/stream/run.ts). The per-layer pass (--layers, or
 * localising a failure) runs in the same pass for --layers, else in a second streamed pass on the failing sample.
 */
/** A whole-model check's peak, as a multiple of the model's weights (measured: 2.03× for the 1.1B Llama, README). */
const WHOLE_RUN_FACTOR = 2.2;
const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** Bytes of the model's initializers (external data included: their sizes, not read). */
export function modelWeightBytes(model: OnnxModel): number {
  const width: Record<string, number> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };
  let n = 0;
  for (const t of model.graph.initializers.values()) n += t.size * (width[t.dtype] ?? 4);
  return n;
}

/**
 * Memory msport may use: what the system can give without swapping (MemAvailable, else what is free), within the
 * container's limit (cgroup v2 memory.max less memory.current) and within MSPORT_MEMORY_LIMIT (bytes) when set.
 */
export function availableMemory(): number {
  let have = freemem();
  const read = (f: string): string | null => { try { return readFileSync(f, 'utf8').trim(); } catch { return null; } };
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(read('/proc/meminfo') ?? '');
  if (m) have = Number(m[1]) * 1024;
  const max = read('/sys/fs/cgroup/memory.max'), cur = read('/sys/fs/cgroup/memory.current');
  if (max && max !== 'max' && cur) have = Math.min(have, Number(max) - Number(cur));
  const limit = Number(process.env.MSPORT_MEMORY_LIMIT);
  if (process.env.MSPORT_MEMORY_LIMIT && Number.isFinite(limit) && limit > 0) have = Math.min(have, limit);
  return have;
}

async function checkStreamed(modelPath: string, feeds: Map<string, Tensor>[], samples: number, inputNotes: Map<string, string>, opts: CheckOptions, why: string): Promise<CheckResult> {
  if (opts.port) throw new UsageError('--port with --stream is not supported yet');
  // --weights: a .safetensors file is read a block's tensors at a time (a .ckpt whole, as MindSpore reads it)
  const source = opts.weights ? weightSource(opts.weights) : undefined;
  const t0 = performance.now();
  const model = modelFromFile(modelPath);
  const t1 = performance.now();
  const sopts = { atol: opts.atol, rtol: opts.rtol, allowTrain: opts.allowTrain, threads: opts.ortThreads, layerTolerances: opts.layerTolerances, ...(source ? { weights: source } : {}) };
  const run = await runStreamed(model, feeds, { ...sopts, ...(opts.layers || opts.repro ? { layersOn: 0 } : {}) });
  const { outputs, failingSample } = compareSamples(model.graph.outputs.map(o => o.name), run.refOuts, run.msOuts, opts);
  let layers = run.layers, layersMs = run.layersMs, layerSample = 0, layerBlocks = run.layerBlocks;
  const localize = failingSample !== undefined && opts.localize !== false;
  if ((localize || opts.repro) && failingSample !== undefined && (!layers || failingSample !== 0)) {
    const again = await runStreamed(model, [feeds[failingSample]!], { ...sopts, layersOn: 0 });
    layers = again.layers; layersMs += again.layersMs; layerSample = failingSample; layerBlocks = again.layerBlocks;
  }
  // --repro: onnxruntime's blocks up to the diverging layer's, then that layer on the reference's values there
  let repro: ReproResult | null | undefined;
  if (opts.repro) {
    const layer = layers?.firstDivergence, block = layer ? layerBlocks.get(layer) : undefined;
    repro = layer && block !== undefined
      ? (await runStreamed(model, [feeds[layerSample]!], { ...sopts, repro: { block, layer, dir: opts.repro } })).repro ?? null
      : null;
  }
  const localized = localize && layers ? localizedFromLayers(layers, layerSample, layersMs, precisionOf(model)) : undefined;
  // the weights file's names against every block's Parameters, once, as a whole-model run compares them
  const problems = source ? [...compareNames(run.params, source.shapes), ...run.problems] : run.problems;
  const result: CheckResult = {
    ...verdict(modelPath, model, feeds, run.refOuts, outputs, problems, localized, samples, inputNotes, opts),
    problems,
    ...(run.exportNotes.length ? { exportNotes: run.exportNotes } : {}),
    outputs,
    ...(layers && (opts.layers || opts.repro) ? { layers, ...(layerSample ? { layersSample: layerSample } : {}) } : {}),
    ...(repro !== undefined ? { repro } : {}),
    timings: { loadMs: t1 - t0, importMs: 0, referenceMs: run.referenceMs, runtimeMs: run.runtimeMs, ...(layers ? { layersMs } : {}) },
    // onnxruntime ran in this process, one block at a time
    memory: { msportPeakMiB: ownPeakMiB(), onnxruntimePeakMiB: null },
    stream: { why, blocks: run.blocks },
    ...(source ? { weights: { file: source.file, loaded: run.loaded.size } } : {}),
  };
  return result;
}
