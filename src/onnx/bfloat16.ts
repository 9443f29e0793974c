/**
 * bfloat16 exports (torch `model.to(torch.bfloat16)`) are checked in float32 on their bfloat16 weights. Neither engine
 * msport compares with computes bfloat16 on a CPU: onnxruntime 1.2x has no CPU kernel for a bfloat16 Mul, and
 * MindSpore 2.10's CPU refuses bfloat16 Exp, Rsqrt, Pow and Cos (measured). So both sides read every bfloat16 value
 * exactly as float32 (a bfloat16 is a float32 with its low 16 bits zero), a Cast to bfloat16 becomes a Cast to float32,
 * and onnxruntime runs the same upcast graph: the check judges the port's semantics, not bfloat16 rounding.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFileRange } from '../runtime/read-at.js';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export const BFLOAT16 = 16;
const FLOAT = 1;

/** float32 values of bfloat16 bits (little-endian pairs of bytes) */
export function bfloat16ToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 1;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
  return new Float32Array(bits.buffer);
}

export const UPCAST_NOTE = "bfloat16 model: onnxruntime's CPU has no bfloat16 kernels (Mul) and MindSpore 2.10's CPU none for Exp, Rsqrt, Pow, so both sides compute it in float32 on its bfloat16 weights (read exactly): the check judges the port's semantics, not bfloat16 rounding";

type Graph = onnxProto.onnx.IGraphProto;
type TensorMsg = onnxProto.onnx.ITensorProto;

/** Whether the graph (or a subgraph) holds a bfloat16 tensor, value, or Cast to bfloat16. */
export function hasBfloat16(g: Graph | null | undefined): boolean {
  if (!g) return false;
  if ((g.initializer ?? []).some(t => t.dataType === BFLOAT16)) return true;
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (v.type?.tensorType?.elemType === BFLOAT16) return true;
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) {
    if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === BFLOAT16) return true;
    if (a.t?.dataType === BFLOAT16 || hasBfloat16(a.g) || (a.graphs ?? []).some(hasBfloat16)) return true;
  }
  return false;
}

/**
 * Rewrite `g` in place as float32: bfloat16 initializers and constants to float32 values (an external one is read with
 * `read` and appended through `append`, which returns its new external-data entries), Casts to bfloat16 to float32,
 * bfloat16 value types to float32.
 */
function upcastGraph(g: Graph, read: (t: TensorMsg) => Uint8Array, append: (data: Float32Array) => onnxProto.onnx.IStringStringEntryProto[] | null): void {
  const tensor = (t: TensorMsg): void => {
    if (t.dataType !== BFLOAT16) return;
    const f = bfloat16ToFloat32(read(t));
    t.dataType = FLOAT;
    t.int32Data = [];
    const ext = t.dataLocation === 1 ? append(f) : null;
    if (ext) { t.externalData = ext; t.rawData = new Uint8Array(); } else { t.dataLocation = 0; t.externalData = []; t.rawData = new Uint8Array(f.buffer); }
  };
  for (const t of g.initializer ?? []) tensor(t);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    if (v.type?.tensorType?.elemType === BFLOAT16) v.type.tensorType.elemType = FLOAT;
  }
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) {
    if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === BFLOAT16) a.i = FLOAT;
    if (a.t) tensor(a.t);
    if (a.g) upcastGraph(a.g, read, append);
    for (const sg of a.graphs ?? []) upcastGraph(sg, read, append);
  }
}

/** An external-data file that upcast tensors are appended to, one at a time (a large model is never held whole). */
class UpcastData {
  private fd: number;
  private offset = 0;
  constructor(readonly file: string, private readonly location: string) { this.fd = openSync(file, 'w'); }
  append(f: Float32Array): onnxProto.onnx.IStringStringEntryProto[] {
    const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    for (let off = 0; off < bytes.byteLength;) off += writeSync(this.fd, bytes, off, bytes.byteLength - off, this.offset + off);
    const entry = [{ key: 'location', value: this.location }, { key: 'offset', value: String(this.offset) }, { key: 'length', value: String(bytes.byteLength) }];
    this.offset += bytes.byteLength;
    return entry.map(e => onnx.StringStringEntryProto.create(e));
  }
  close(): void { closeSync(this.fd); }
}

/** A tensor's stored bytes: raw_data, int32_data's bit patterns, or its range of an external file under `baseDir`. */
function storedBytes(t: TensorMsg, baseDir: string): Uint8Array {
  if (t.dataLocation !== 1) return t.rawData && t.rawData.length ? t.rawData : new Uint8Array(Uint16Array.from(t.int32Data ?? []).buffer);
  const kv = new Map((t.externalData ?? []).map(e => [e.key ?? '', e.value ?? '']));
  return readFileRange(resolve(baseDir, kv.get('location')!), Number(kv.get('offset') ?? 0), Number(kv.get('length')));
}

/**
 * Upcast `g` in place (upcastGraph), the tensors of a model whose folder is `baseDir`: external ones appended to the
 * data file `dir/location`, the others inline. Without `dir` (a model with no external data) all go inline.
 */
export function upcastModelGraph(g: Graph, baseDir: string, dir?: string, location = 'msport-upcast-float32.data'): void {
  if (!dir) { upcastGraph(g, t => storedBytes(t, baseDir), () => null); return; }
  const data = new UpcastData(join(dir, location), location);
  try { upcastGraph(g, t => storedBytes(t, baseDir), f => data.append(f)); } finally { data.close(); }
}
