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
import onnxProto from 'onnx-proto';
import { selfContainedBytes, OnnxModel } from '../onnx/proto.js';
import { trainableDropouts } from '../onnx/quirks.js';

export { trainableDropouts };

const { onnx } = onnxProto;

/** The name of the `false` that replaces a Dropout's training_mode input. */
const OFF = 'msport::dropout_training_mode_off';

const cache = new WeakMap<OnnxModel, Uint8Array>();

/** The model's self-contained bytes, with every Dropout in predict phase (the same bytes when it has none). */
export function referenceBytes(model: OnnxModel): Uint8Array {
  const hit = cache.get(model);
  if (hit) return hit;
  const bytes = selfContainedBytes(model);
  if (!trainableDropouts(model).length) { cache.set(model, bytes); return bytes; }
  const m = onnx.ModelProto.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const off = (g: onnxProto.onnx.IGraphProto): void => {
    let used = false;
    for (const n of g.node ?? []) {
      if (n.opType === 'Dropout' && !n.domain && (n.input?.length ?? 0) >= 3 && n.input![2]) { n.input![2] = OFF; used = true; }
      for (const a of n.attribute ?? []) { if (a.g) off(a.g); for (const s of a.graphs ?? []) off(s); }
    }
    // each graph that uses the name holds it (a subgraph may read outer names, but its own initializer is simplest)
    if (used && !(g.initializer ?? []).some(t => t.name === OFF)) {
      g.initializer = [...(g.initializer ?? []), { name: OFF, dataType: onnx.TensorProto.DataType.BOOL, dims: [], rawData: new Uint8Array([0]) }];
    }
  };
  off(m.graph!);
  const out = onnx.ModelProto.encode(m).finish();
  cache.set(model, out);
  return out;
}
