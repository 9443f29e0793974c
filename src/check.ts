/** `msport check` as a library call: load → run both engines → compare → one serialisable result. */
import { performance } from 'node:perf_hooks';
import { modelFromFile, OnnxModel } from './onnx/proto.js';
import { importModel } from './onnx/import.js';
import { loadInputs } from './compare/inputs.js';
import { OrtRunner, MsportRunner } from './compare/runners.js';
import { compareOutput, errorHistogram, ErrorHistogram, OutputComparison, Tolerance } from './compare/comparator.js';
import { compareLayers, LayerReport } from './compare/layers.js';
import { writeRepro, ReproResult } from './compare/repro.js';
import { Tensor } from './runtime/tensor.js';

export interface CheckOptions extends Tolerance {
  seed: number;
  /** concrete dims for inputs, by input name */
  shapes?: Map<string, number[]>;
  /** .npy files for inputs, by input name */
  inputs?: Map<string, string>;
  /** onnxruntime intra-op threads (0 = its default) */
  ortThreads?: number;
  /** also compare every layer (chained and on reference inputs) */
  layers?: boolean;
  /** write the first diverging layer as a standalone reproduction into this folder (implies layers) */
  repro?: string;
}

export interface CheckResult {
  model: string;
  passed: boolean;
  atol: number;
  rtol: number;
  seed: number;
  inputs: { name: string; shape: number[]; dtype: string; source: string }[];
  outputs: (OutputComparison & { histogram: ErrorHistogram })[];
  layers?: LayerReport;
  /** the reproduction written for --repro; null when no layer diverged */
  repro?: ReproResult | null;
  timings: { loadMs: number; importMs: number; referenceMs: number; runtimeMs: number; layersMs?: number };
}

export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-3 };

export async function check(modelPath: string, opts: CheckOptions): Promise<CheckResult> {
  const t0 = performance.now();
  const model: OnnxModel = modelFromFile(modelPath);
  const t1 = performance.now();
  const { network } = importModel(model);
  const t2 = performance.now();
  const inputs = loadInputs(model.graph.inputs, { shapes: opts.shapes ?? new Map(), files: opts.inputs ?? new Map(), seed: opts.seed });
  const feeds = new Map<string, Tensor>(model.graph.inputs.map((v, i) => [v.name, inputs[i]!]));

  const ref = await OrtRunner.create(model.bytes, { threads: opts.ortThreads });
  const t3 = performance.now();
  const refOut = await ref.infer(feeds);
  const t4 = performance.now();
  const msOut = await new MsportRunner(network).infer(feeds);
  const t5 = performance.now();

  const outputs = model.graph.outputs.map(o => ({
    ...compareOutput(o.name, refOut.get(o.name)!, msOut.get(o.name)!, opts),
    histogram: errorHistogram(refOut.get(o.name)!, msOut.get(o.name)!),
  }));
  let layers: LayerReport | undefined;
  let layersMs: number | undefined;
  let repro: ReproResult | null | undefined;
  if (opts.layers || opts.repro) {
    const t6 = performance.now();
    layers = await compareLayers(model, network, feeds, opts, { ortThreads: opts.ortThreads });
    layersMs = performance.now() - t6;
    if (opts.repro) repro = layers.firstDivergence ? await writeRepro(opts.repro, layers.firstDivergence, model, network, feeds, opts) : null;
  }
  return {
    model: modelPath,
    passed: outputs.every(o => o.passed),
    atol: opts.atol, rtol: opts.rtol, seed: opts.seed,
    inputs: model.graph.inputs.map((v, i) => ({ name: v.name, shape: [...inputs[i]!.shape], dtype: inputs[i]!.dtype, source: opts.inputs?.get(v.name) ?? `random(seed=${opts.seed})` })),
    outputs,
    ...(layers ? { layers } : {}),
    ...(repro !== undefined ? { repro } : {}),
    timings: { loadMs: t1 - t0, importMs: t2 - t1, referenceMs: t4 - t3, runtimeMs: t5 - t4, ...(layersMs !== undefined ? { layersMs } : {}) },
  };
}
