/**
 * The model onnxruntime runs as the reference. A train-mode export's Dropout draws a new random mask on every run, in
 * onnxruntime as in PyTorch and MindSpore, and no seed makes two frameworks draw the same one: compared through a
 * train-phase Dropout, every value after it differs. So the reference runs with every Dropout's training_mode set to
 * false (the identity, as in predict phase), the Cells on msport's side are Dropouts in predict phase too, and a port's
 * Dropout is judged by its drop rate instead (src/port/dropout.ts). Everything else (BatchNorm's batch statistics)
 * stays in train phase. onnxruntime's own optimizer (level basic and up) happens to remove every Dropout, train mode
 * or not (measured with onnxruntime-node 1.x: with optimizations off each run draws a new mask); the rewrite makes
 * the reference say so itself instead of depending on that.
 */
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import onnxProto from 'onnx-proto';
import { selfContainedBytes, OnnxModel } from '../onnx/proto.js';
import { trainableDropouts } from '../onnx/quirks.js';
import { upcastModelGraph } from '../onnx/bfloat16.js';

export { trainableDropouts };

const { onnx } = onnxProto;

/** The name of the `false` that replaces a Dropout's training_mode input. */
const OFF = 'msport::dropout_training_mode_off';

const cache = new WeakMap<OnnxModel, Uint8Array>();

/** Every train-mode Dropout of `m` (and its subgraphs) in predict phase, in place. */
function dropoutsOff(g: onnxProto.onnx.IGraphProto): void {
  let used = false;
  for (const n of g.node ?? []) {
    if (n.opType === 'Dropout' && !n.domain && (n.input?.length ?? 0) >= 3 && n.input![2]) { n.input![2] = OFF; used = true; }
    for (const a of n.attribute ?? []) { if (a.g) dropoutsOff(a.g); for (const s of a.graphs ?? []) dropoutsOff(s); }
  }
  // each graph that uses the name holds it (a subgraph may read outer names, but its own initializer is simplest)
  if (used && !(g.initializer ?? []).some(t => t.name === OFF)) {
    g.initializer = [...(g.initializer ?? []), { name: OFF, dataType: onnx.TensorProto.DataType.BOOL, dims: [], rawData: new Uint8Array([0]) }];
  }
}

/** The model's self-contained bytes, with every Dropout in predict phase (the same bytes when it has none). */
export function referenceBytes(model: OnnxModel): Uint8Array {
  const hit = cache.get(model);
  if (hit) return hit;
  const bytes = selfContainedBytes(model);
  if (!trainableDropouts(model).length) { cache.set(model, bytes); return bytes; }
  const m = onnx.ModelProto.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  dropoutsOff(m.graph!);
  const out = onnx.ModelProto.encode(m).finish();
  cache.set(model, out);
  return out;
}

/** What onnxruntime loads as the reference: bytes, or a model file; `dispose` removes what was written for it. */
export interface ReferenceSource { source: string | Uint8Array; dispose(): void }

/**
 * Hard links in `dir` to the data files at `locations` (relative to the model's folder `base`, which the decoder checked
 * they stay inside): a graph written in `dir` then reaches the weights as onnxruntime requires, without a copy.
 */
export function linkDataFiles(base: string, locations: Iterable<string>, dir: string): void {
  for (const loc of locations) {
    const link = join(dir, loc);
    mkdirSync(dirname(link), { recursive: true });
    linkSync(realpathSync(resolve(base, loc)), link);
  }
}

/** The external data files the model's initializers name (relative locations), in every graph. */
export function externalLocations(m: onnxProto.onnx.IModelProto): string[] {
  const out = new Set<string>();
  const visit = (g: onnxProto.onnx.IGraphProto): void => {
    for (const t of g.initializer ?? []) if (t.dataLocation === 1) for (const e of t.externalData ?? []) if (e.key === 'location' && e.value) out.add(e.value);
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) { if (a.g) visit(a.g); for (const s of a.graphs ?? []) visit(s); }
  };
  visit(m.graph ?? {});
  return [...out];
}

/**
 * The reference model with `outputs` also declared as graph outputs (intermediate values for --layers) and Dropouts
 * off. A model whose weights are in external data is given to onnxruntime as a file — the file itself when nothing
 * changes, else the graph (small) written out with the weights reached through hard links to the model's data files —
 * so onnxruntime reads the weights from disk: no copy of them is made in this process, and a model over protobuf's
 * 2 GB limit loads at all. (onnxruntime refuses data reached through a symbolic link outside the model's folder; where
 * a hard link cannot be made — another filesystem — the graph is written beside the model for the moment the session
 * loads, as a hidden file removed right after.)
 */
export function referenceSource(model: OnnxModel, outputs: readonly string[] = []): ReferenceSource {
  if (model.upcastFrom) return upcastReference(model, outputs);
  const graphOnly = onnx.ModelProto.decode(Buffer.from(model.bytes.buffer, model.bytes.byteOffset, model.bytes.byteLength));
  const locations = model.path ? externalLocations(graphOnly) : [];
  const dropouts = trainableDropouts(model).length > 0;
  if (locations.length && !outputs.length && !dropouts) return { source: model.path!, dispose: () => {} };
  const m = locations.length ? graphOnly : onnx.ModelProto.decode(Buffer.from(referenceBytes(model)));
  if (locations.length) dropoutsOff(m.graph!);
  const have = new Set((m.graph!.output ?? []).map(o => o.name));
  for (const n of outputs) if (!have.has(n)) { m.graph!.output!.push(onnxProto.onnx.ValueInfoProto.create({ name: n })); have.add(n); }
  if (!locations.length) return { source: outputs.length ? onnx.ModelProto.encode(m).finish() : referenceBytes(model), dispose: () => {} };
  const bytes = onnx.ModelProto.encode(m).finish();
  const base = dirname(resolve(model.path!));
  const dir = mkdtempSync(join(tmpdir(), 'msport-ref-'));
  try {
    linkDataFiles(base, locations, dir);
    const file = join(dir, 'reference.onnx');
    writeFileSync(file, bytes);
    return { source: file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
  const beside = join(base, `.msport-ref-${process.pid}-${Date.now()}.onnx`);
  try {
    writeFileSync(beside, bytes, { flag: 'wx' });
  } catch (e) {
    throw new ModelLoadError(`onnxruntime must read ${basename(model.path!)}'s external data from its folder, and msport can neither link it into ${tmpdir()} nor write a temporary graph beside it: ${(e as Error).message}`);
  }
  return { source: beside, dispose: () => rmSync(beside, { force: true }) };
}

/**
 * A bfloat16 export as onnxruntime can run it: the same graph in float32 (bfloat16.ts), written to a folder of its own
 * with its upcast external weights appended tensor by tensor to one data file there (twice the bfloat16 bytes, on
 * disk, never all in memory) and hard links to any float32 data files.
 */
function upcastReference(model: OnnxModel, outputs: readonly string[]): ReferenceSource {
  const m = onnx.ModelProto.decode(Buffer.from(model.bytes.buffer, model.bytes.byteOffset, model.bytes.byteLength));
  const locations = model.path ? externalLocations(m) : [];
  dropoutsOff(m.graph!);
  const have = new Set((m.graph!.output ?? []).map(o => o.name));
  for (const n of outputs) if (!have.has(n)) { m.graph!.output!.push(onnxProto.onnx.ValueInfoProto.create({ name: n })); have.add(n); }
  const base = model.path ? dirname(resolve(model.path)) : '';
  if (!locations.length) {
    upcastModelGraph(m.graph!, base);
    return { source: onnx.ModelProto.encode(m).finish(), dispose: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'msport-ref-'));
  try {
    linkDataFiles(base, locations, dir);
    upcastModelGraph(m.graph!, base, dir);
    const file = join(dir, 'reference.onnx');
    writeFileSync(file, onnx.ModelProto.encode(m).finish());
    return { source: file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new ModelLoadError(`the float32 reference of bfloat16 ${basename(model.path!)} could not be written in ${tmpdir()}: ${(e as Error).message.split('\n')[0]} (set TMPDIR to a folder on the model's filesystem with room for twice its weights)`);
  }
}
