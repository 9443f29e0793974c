/**
 * `--weights`: run the checked Cell tree with a MindSpore checkpoint (.ckpt or .safetensors) instead of the ONNX
 * initializers — "does my converted checkpoint reproduce PyTorch?". Names are checked before numbers: every missing,
 * unexpected or misshapen entry is listed with its nearest candidate, using the mapping rules' parameter renames
 * (`bn1.weight` ↔ `bn1.gamma`) before plain edit distance.
 */
import { extname } from 'node:path';
import { loadCheckpoint } from '../runtime/checkpoint.js';
import { loadSafetensors, safetensorsIndex } from '../runtime/safetensors.js';
import type { Tensor } from '../runtime/tensor.js';
import type { OnnxNetwork } from '../onnx/network.js';
import { allRules } from '../mappings/index.js';
import { UsageError } from '../errors.js';
import type { Problem } from './preflight.js';

export function readWeights(path: string): Map<string, Tensor> {
  const ext = extname(path).toLowerCase();
  if (ext === '.ckpt') return loadCheckpoint(path);
  if (ext === '.safetensors') return loadSafetensors(path);
  throw new UsageError(`--weights: ${path} is neither a .ckpt nor a .safetensors file`);
}

/** A weights file's names and shapes, and each tensor when asked for. */
export interface WeightSource { file: string; shapes: ReadonlyMap<string, readonly number[]>; read(name: string): Tensor }

/**
 * The weights file for a streamed check: a .safetensors file is indexed (its header) and each tensor read when its
 * block runs; a .ckpt (one protobuf message, as MindSpore itself reads it) is read whole.
 */
export function weightSource(path: string): WeightSource {
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') return { file: path, ...safetensorsIndex(path) };
  return sourceOf(path, readWeights(path));
}

/** Weights already in memory as a source. */
const sourceOf = (file: string, weights: ReadonlyMap<string, Tensor>): WeightSource =>
  ({ file, shapes: new Map([...weights].map(([k, t]) => [k, t.shape])), read: name => weights.get(name)! });

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** every rename the mapping rules know, both ways: `gamma` ↔ `weight`, `moving_variance` ↔ `running_var`, ... */
const renames: [string, string][] = allRules.flatMap(r => (r.params ?? []).filter(p => p.torch !== p.ms).flatMap(p => [[p.torch, p.ms], [p.ms, p.torch]] as [string, string][]));

function nearest(name: string, pool: string[]): string | undefined {
  const dot = name.lastIndexOf('.');
  const prefix = name.slice(0, dot + 1), leaf = name.slice(dot + 1);
  for (const [from, to] of renames) if (leaf === from && pool.includes(prefix + to)) return prefix + to;
  let best: string | undefined, bestD = Infinity;
  for (const p of pool) {
    const d = editDistance(name, p);
    if (d < bestD) { best = p; bestD = d; }
  }
  return bestD <= Math.max(3, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Names and shapes before numbers: every Parameter the weights do not fill, every entry no Parameter is called, every
 * shape that differs — each with its nearest candidate. `where` names the side the Parameters are on.
 */
export function compareNames(params: ReadonlyMap<string, readonly number[]>, weights: ReadonlyMap<string, readonly number[]>, where = 'the network'): Problem[] {
  const problems: Problem[] = [];
  const unexpected = [...weights.keys()].filter(k => !params.has(k));
  const missing = [...params.keys()].filter(k => !weights.has(k));
  // failing a close spelling, the one entry of the same leaf name and shape (`fc.weight` for `classifier.weight`)
  const sameShape = (name: string, pool: string[], shapes: ReadonlyMap<string, readonly number[]>, own: ReadonlyMap<string, readonly number[]>): string | undefined => {
    const leaf = name.slice(name.lastIndexOf('.') + 1), shape = own.get(name)!.join();
    const hits = pool.filter(p => p.slice(p.lastIndexOf('.') + 1) === leaf && shapes.get(p)!.join() === shape);
    return hits.length === 1 ? hits[0] : undefined;
  };
  for (const name of missing) {
    const candidate = nearest(name, unexpected) ?? sameShape(name, unexpected, weights, params);
    problems.push({ kind: 'missing-weight', name, message: `${name} is not in the weights file${candidate ? `; nearest entry: ${candidate}` : ''}`, ...(candidate ? { candidate } : {}) });
  }
  for (const name of unexpected) {
    const candidate = nearest(name, missing) ?? sameShape(name, missing, params, weights);
    problems.push({ kind: 'unexpected-weight', name, message: `the weights file has ${name}, which no Parameter of ${where} is called${candidate ? `; nearest Parameter: ${candidate}` : ''}`, ...(candidate ? { candidate } : {}) });
  }
  for (const [name, shape] of params) {
    const w = weights.get(name);
    if (w && w.join() !== shape.join()) problems.push({ kind: 'misshapen-weight', name, message: `${name} has shape (${w.join(', ')}) in the weights file, ${where} needs (${shape.join(', ')})` });
  }
  return problems;
}

/** Compare the file's names and shapes with the network's Parameters and load every entry that matches. */
export function applyWeights(network: OnnxNetwork, weights: Map<string, Tensor>): { problems: Problem[]; loaded: Set<string> } {
  const source = sourceOf('', weights);
  // checkpoint keys are Parameter names
  const problems = compareNames(new Map([...network.parametersDict()].map(([k, p]) => [k, p.shape])), source.shapes);
  return { problems, loaded: applyWeightSource(network, source) };
}

/** Load every Parameter of `network` the source holds by name, at its shape: the names loaded. */
export function applyWeightSource(network: OnnxNetwork, source: WeightSource): Set<string> {
  const loaded = new Set<string>();
  for (const [name, p] of network.parametersDict()) {
    const shape = source.shapes.get(name);
    if (!shape || shape.join() !== p.shape.join()) continue;
    p.setData(source.read(name));
    loaded.add(name);
  }
  return loaded;
}
