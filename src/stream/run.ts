/**
 * `check --stream`: the model run block by block (partition.ts). For each block, onnxruntime runs the block as a
 * session of its own on the reference's values at its inputs, and msport imports only that block into Cells and runs
 * it twice over — on its own upstream values (chained: what a port computes end to end) and, with --layers, layer by
 * layer on the reference's (compareLayers). Each block's weights are read from the external data only while it runs
 * and released after, so peak memory is bounded by the largest block, not the model. Values cross block boundaries
 * in memory (activations: small beside the weights) and are dropped after their last reader.
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { modelFromFile, type OnnxModel, type ValueInfo } from '../onnx/proto.js';
import { writeRepro, type ReproResult } from '../compare/repro.js';
import { importModel, type ExportNote } from '../onnx/import.js';
import { compareLayers, layerValueNames, type LayerComparison, type LayerReport } from '../compare/layers.js';
import { preflight, type Problem } from '../compare/preflight.js';
import { NOISE_FACTOR } from '../compare/noise.js';
import type { Tolerance } from '../compare/comparator.js';
import { fromOrt, toOrt } from '../compare/runners.js';
import { ModelLoadError } from '../errors.js';
import { noGrad } from '../runtime/autograd.js';
import { Tensor } from '../runtime/tensor.js';
import { kernels } from '../runtime/kernels/index.js';
import { partitionBlocks, type Block } from './partition.js';
import { applyWeightSource, type WeightSource } from '../compare/weights.js';
import { BlockFolder } from './submodel.js';

export interface StreamOptions extends Tolerance {
  /** compare every layer on this sample */
  layersOn?: number;
  allowTrain?: boolean;
  threads?: number;
  layerTolerances?: ReadonlyMap<string, Tolerance>;
  /** --weights: each block's Parameters loaded from this file (by name) after its import */
  weights?: WeightSource;
  /**
   * --repro: run onnxruntime's blocks up to `block` only (msport's are not needed), then write `layer` of that block
   * as a standalone reproduction on the reference's values at the block's inputs, and stop
   */
  repro?: { block: number; layer: string; dir: string };
}

export interface StreamedRun {
  /** per sample: onnxruntime's values of the model's outputs, block after block on its own values */
  refOuts: Map<string, Tensor>[];
  /** per sample: msport's, block after block on its own values */
  msOuts: Map<string, Tensor>[];
  layers: LayerReport | null;
  problems: Problem[];
  exportNotes: ExportNote[];
  blocks: { name: string; nodes: number; ms: number }[];
  referenceMs: number; runtimeMs: number; layersMs: number;
  /** every block's Parameters (name → shape), and those loaded from `weights` */
  params: Map<string, readonly number[]>;
  loaded: Set<string>;
  /** with layersOn: the block each compared layer is in (for --repro) */
  layerBlocks: Map<string, number>;
  /** with `repro`: the reproduction written */
  repro?: ReproResult;
}

/** The block's part of the model as an OnnxModel msport imports (its nodes keep their metadata: scopes, classes). */
function blockModel(model: OnnxModel, block: Block, inputs: ValueInfo[], outputs: string[]): OnnxModel {
  const g = model.graph;
  const read = new Set(block.nodes.flatMap(n => [...n.inputs, ...(n.captures ?? [])]));
  return {
    ...model,
    graph: {
      ...g, nodes: block.nodes, inputs,
      outputs: outputs.map(name => g.valueInfo.get(name) ?? { name, dtype: null, dtypeName: '', dims: null } as unknown as ValueInfo),
      initializers: new Map([...g.initializers].filter(([k]) => read.has(k))),
    },
  };
}

export async function runStreamed(model: OnnxModel, feeds: Map<string, Tensor>[], opts: StreamOptions): Promise<StreamedRun> {
  const blocks = partitionBlocks(model);
  const folder = new BlockFolder(model);
  const graphOutputs = new Set(model.graph.outputs.map(o => o.name));
  // what each block must hand on: values read by a later block, or the model's outputs
  const readLater: Set<string>[] = blocks.map(() => new Set());
  const later = new Set<string>(graphOutputs);
  for (let k = blocks.length - 1; k >= 0; k--) {
    readLater[k] = new Set(later);
    for (const n of folder.blockInputs(blocks[k]!)) later.add(n);
  }
  const refEnv = feeds.map(f => new Map(f));
  const msEnv = feeds.map(f => new Map(f));
  const problems: Problem[] = [], exportNotes: ExportNote[] = [], info: StreamedRun['blocks'] = [];
  const layerParts: LayerReport[] = [];
  const params = new Map<string, readonly number[]>(), loaded = new Set<string>();
  const layerBlocks = new Map<string, number>();
  let reproResult: ReproResult | undefined;
  let referenceMs = 0, runtimeMs = 0, layersMs = 0;
  // after block k, values no later block reads are dropped (the model's outputs stay)
  const dropUnread = (k: number): void => {
    for (const env of [...refEnv, ...msEnv]) for (const n of [...env.keys()]) if (!readLater[k]!.has(n) && !graphOutputs.has(n)) env.delete(n);
  };
  try {
    for (const [k, block] of blocks.entries()) {
      const t0 = performance.now();
      const inputNames = folder.blockInputs(block);
      const produced = new Set(block.nodes.flatMap(n => n.outputs.filter(Boolean)));
      const handOn = [...produced].filter(n => readLater[k]!.has(n));
      // msport's Cells for this block (its weights read now), and the values --layers compares
      const inputs: ValueInfo[] = inputNames.map(name => {
        const t = refEnv[0]!.get(name)!;
        return { name, dtype: t.dtype, dtypeName: t.dtype, dims: [...t.shape] } as ValueInfo;
      });
      if (opts.repro && k < opts.repro.block) {
        // reproducing a later block's layer: only onnxruntime's values are carried on
        await referenceBlock(folder.write(k, block, refEnv[0]!, handOn), block.name, inputNames, handOn, refEnv, opts.threads);
        dropUnread(k);
        continue;
      }
      const bm = blockModel(model, block, inputs, handOn);
      if (opts.repro && k === opts.repro.block) {
        // the block's Cells as the run imported them (the model's node metadata names the layers), and the block as
        // onnxruntime runs it, from its file (the nodes the reproduction is cut from)
        const file = folder.write(k, block, refEnv[0]!, handOn);
        const bmFile = modelFromFile(file);
        const feedsK = new Map(inputNames.map(n => [n, refEnv[0]!.get(n)!]));
        const net = importModel(bm).network;
        if (opts.weights) applyWeightSource(net, opts.weights);
        reproResult = await writeRepro(opts.repro.dir, opts.repro.layer, bmFile, net, feedsK, opts);
        break;
      }
      // the block's weights in kernel memory go when the block is done (endResidentScope below), so peak memory is
      // the largest block's whether or not the garbage collector has run
      kernels.beginResidentScope();
      try {
        const imported = importModel(bm);
        const { network } = imported;
        for (const [n, p] of network.parametersDict()) params.set(n, p.shape);
        const got = opts.weights ? applyWeightSource(network, opts.weights) : undefined;
        for (const n of got ?? []) loaded.add(n);
        // with --weights the file's names are compared once for the whole model (check.ts), not block by block
        problems.push(...preflight(bm, imported, { allowTrain: opts.allowTrain, ...(got ? { weightsLoaded: got } : {}) }).filter(p => !got || p.kind !== 'unloaded-parameter'));
        // a model-wide note (bfloat16) once, however many blocks say it
        for (const n of imported.exportNotes) if (!exportNotes.some(e => e.kind === n.kind && e.message === n.message)) exportNotes.push(n);
        const expose = opts.layersOn !== undefined ? layerValueNames(network).filter(n => !handOn.includes(n)) : [];
        // onnxruntime: the block alone, on the reference's values
        const file = folder.write(k, block, refEnv[0]!, [...handOn, ...expose]);
        const ref = await referenceBlock(file, block.name, inputNames, handOn, refEnv, opts.threads,
          opts.layersOn !== undefined ? { sample: opts.layersOn, names: expose.concat(handOn) } : undefined);
        referenceMs += ref.ms;
        const layerRef = ref.kept;
        // msport: chained, on its own upstream values
        for (const [s, env] of msEnv.entries()) {
          const tm = performance.now();
          const outs = noGrad(() => network.execute(network.inputNames.map(n => env.get(n)!)));
          runtimeMs += performance.now() - tm;
          // a value handed on never stays a view on this block's kernel memory (freed at the block's end)
          network.outputNames.forEach((n, j) => env.set(n, detached(outs[j]!)));
          if (s === opts.layersOn && layerRef) {
            const tl = performance.now();
            const refFeeds = new Map(inputNames.map(n => [n, refEnv[s]!.get(n)!]));
            const chained = new Map(inputNames.map(n => [n, env.get(n)!]));
            const part = await compareLayers(bm, network, refFeeds, opts, { reference: layerRef, chainedFeeds: chained, layerTolerances: opts.layerTolerances });
            for (const l of part.layers) if (l.kind !== 'scope') layerBlocks.set(l.name, k);
            layerParts.push(part);
            layersMs += performance.now() - tl;
          }
        }
      } finally {
        kernels.endResidentScope();
      }
      dropUnread(k);
      info.push({ name: block.name, nodes: block.nodes.length, ms: performance.now() - t0 });
    }
  } finally {
    folder.dispose();
  }
  return {
    refOuts: refEnv.map(e => new Map([...graphOutputs].map(n => [n, e.get(n)!]))),
    msOuts: msEnv.map(e => new Map([...graphOutputs].filter(n => e.has(n)).map(n => [n, e.get(n)!]))),
    layers: layerParts.length ? joinLayers(layerParts, opts.layerTolerances) : null,
    problems, exportNotes, blocks: info, referenceMs, runtimeMs, layersMs, params, loaded, layerBlocks,
    ...(reproResult ? { repro: reproResult } : {}),
  };
}

const detached = (t: Tensor): Tensor => (t.data instanceof Float32Array && kernels.owns(t.data) ? new Tensor(t.data.slice(), t.shape, t.dtype) : t);

/**
 * onnxruntime on one block file: its values handed on into each sample's environment; `keep` returns those of one
 * sample (the per-layer reference). Returns the time its runs took.
 */
async function referenceBlock(file: string, name: string, inputNames: string[], handOn: string[], refEnv: Map<string, Tensor>[], threads?: number,
  keep?: { sample: number; names: string[] }): Promise<{ ms: number; kept: Map<string, Tensor> | null }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads ?? 0, graphOptimizationLevel: 'all', logSeverityLevel: 4 });
  } catch (e) {
    throw new ModelLoadError(`onnxruntime cannot load block ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
  let ms = 0, kept: Map<string, Tensor> | null = null;
  try {
    for (const [s, env] of refEnv.entries()) {
      const t0 = performance.now();
      const f: Record<string, ort.Tensor> = {};
      for (const n of inputNames) f[n] = toOrt(env.get(n)!);
      const out = await session.run(f);
      ms += performance.now() - t0;
      for (const n of handOn) env.set(n, fromOrt(out[n] as ort.Tensor));
      if (s === keep?.sample) kept = new Map(keep.names.map(n => [n, fromOrt(out[n] as ort.Tensor)]));
    }
  } finally {
    await session.release();
  }
  return { ms, kept };
}

/** The blocks' per-layer reports as one, in model order: the first divergence is the first block's that has one. */
function joinLayers(parts: LayerReport[], accepted?: ReadonlyMap<string, Tolerance>): LayerReport {
  // a module scope that spans blocks (`model`, `model.layers`) is rolled up in each: one entry, where it last closes,
  // over all of them (as the whole model's roll-up would be)
  const all = parts.flatMap(p => p.layers);
  const lastAt = new Map<string, number>();
  all.forEach((l, i) => { if (l.kind === 'scope') lastAt.set(l.name, i); });
  const layers: LayerComparison[] = [];
  all.forEach((l, i) => {
    if (l.kind !== 'scope') { layers.push(l); return; }
    if (lastAt.get(l.name) !== i) return;
    const same = all.filter(x => x.kind === 'scope' && x.name === l.name);
    if (same.length === 1) { layers.push(l); return; }
    layers.push({
      ...l, tensors: same.flatMap(x => x.tensors),
      maxAbsDiff: Math.max(...same.map(x => x.maxAbsDiff)), maxRelDiff: Math.max(...same.map(x => x.maxRelDiff)),
      mismatches: same.reduce((a, x) => a + x.mismatches, 0), size: same.reduce((a, x) => a + x.size, 0), passed: same.every(x => x.passed),
      introducesError: same.some(x => x.introducesError), ms: same.reduce((a, x) => a + x.ms, 0),
      histogram: { ...l.histogram, counts: l.histogram.counts.map((_, k) => same.reduce((a, x) => a + x.histogram.counts[k]!, 0)), nonFinite: same.reduce((a, x) => a + x.histogram.nonFinite, 0) },
    });
  });
  // as compareLayers names it over the whole model: the first layer failing on the reference's inputs, or, where a
  // later block's values fail, the first one beyond NOISE_FACTOR× its noise floor (a block that passes cannot see that)
  const failing = layers.some(l => !l.passed);
  const first = parts.find(p => p.firstDivergence)?.firstDivergence
    ?? (failing ? all.find(l => l.kind !== 'scope' && l.noiseRatio !== null && l.noiseRatio > NOISE_FACTOR && !accepted?.has(l.name))?.name : undefined);
  return {
    layers,
    firstDivergence: first ?? null,
    firstDivergenceCause: first ? 'introduced' : parts.some(p => p.firstDivergenceCause === 'accumulated') || failing ? 'accumulated' : null,
    noiseFactor: parts[0]!.noiseFactor,
    referenceRuns: parts.reduce((a, p) => a + p.referenceRuns, 0),
  };
}
