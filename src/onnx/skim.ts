/**
 * The graph's inputs read from an `.onnx` file without reading its weights: the protobuf is walked field by field
 * with small positioned reads, and only the input ValueInfos and the initializers' names are decoded. `msport check`
 * makes its inputs this way so that onnxruntime can run (and free its copy of the weights) before msport reads its own.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { ModelLoadError } from '../errors.js';
import { valueInfo, withBounds, type ValueInfo, type AttrValue } from './proto.js';

/** The first varint of a field's value bytes: an unpacked int64 dim, or the first of a packed run. */
function firstVarint(bytes: Uint8Array): number {
  let v = 0, mul = 1;
  for (const b of bytes) { v += (b & 0x7f) * mul; mul *= 128; if (b < 0x80) break; }
  return v;
}

const { onnx } = onnxProto;
// field numbers from onnx.proto
const MODEL_GRAPH = 7, GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, TENSOR_NAME = 8, TENSOR_DIMS = 1;
const WINDOW = 1 << 16;

/** Positioned reads through a small window: a walk that skips megabytes of weights touches only the fields it decodes. */
class FileWindow {
  private readonly buf = Buffer.allocUnsafe(WINDOW);
  private start = 0;
  private end = 0;
  constructor(private readonly fd: number, readonly size: number) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) this.fill(pos);
    return this.buf[pos - this.start]!;
  }

  bytes(pos: number, len: number): Uint8Array {
    if (len > WINDOW) {
      const out = Buffer.allocUnsafe(len);
      if (readSync(this.fd, out, 0, len, pos) !== len) throw new Error('truncated field');
      return out;
    }
    if (pos < this.start || pos + len > this.end) this.fill(pos);
    if (pos + len > this.end) throw new Error('truncated field');
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }

  private fill(pos: number): void {
    if (pos >= this.size) throw new Error('truncated message');
    this.start = pos;
    this.end = pos + readSync(this.fd, this.buf, 0, Math.min(WINDOW, this.size - pos), pos);
  }
}

interface Field { field: number; wire: number; start: number; end: number }

/** The fields of the message in [pos, end): number, wire type and the byte range of its value. */
function* fields(f: FileWindow, pos: number, end: number): Generator<Field> {
  const varint = (): number => {
    let v = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = f.byte(pos++);
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error('malformed varint');
  };
  while (pos < end) {
    const tag = varint();
    const field = Math.floor(tag / 8), wire = tag % 8;
    let start = pos;
    switch (wire) {
      case 0: start = pos; varint(); break; // the varint's own bytes are the value range
      case 1: pos += 8; break;
      case 2: { const len = varint(); start = pos; pos += len; break; }
      case 5: pos += 4; break;
      default: throw new Error(`wire type ${wire}`);
    }
    if (pos > end) throw new Error('truncated field');
    yield { field, wire, start, end: pos };
  }
}

/** The graph's inputs (initializers listed as inputs left out, as decodeGraph does), or a ModelLoadError. */
export function graphInputsFromFile(path: string): ValueInfo[] {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code === 'ENOENT' ? `model file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ModelLoadError(`${path} is a folder, not an .onnx file`);
    const f = new FileWindow(fd, st.size);
    // a message field given more than once is the merge of its parts
    const graphs = [...fields(f, 0, st.size)].filter(fl => fl.field === MODEL_GRAPH && fl.wire === 2);
    if (!graphs.length) throw new ModelLoadError(`${path}: not an ONNX model (no graph)`);
    const inputs: ValueInfo[] = [];
    const initializerNames = new Set<string>();
    const rows = new Map<string, number>();
    // Gather nodes only (small messages): which integer inputs index a table
    const gathers: { opType: string; inputs: string[]; attrs: Map<string, AttrValue> }[] = [];
    for (const g of graphs.flatMap(graph => [...fields(f, graph.start, graph.end)])) {
      if (g.wire !== 2) continue;
      if (g.field === GRAPH_INPUT) inputs.push(valueInfo(onnx.ValueInfoProto.decode(f.bytes(g.start, g.end - g.start))));
      else if (g.field === GRAPH_NODE) {
        const n = onnx.NodeProto.decode(f.bytes(g.start, g.end - g.start));
        if (n.opType === 'Gather') gathers.push({ opType: 'Gather', inputs: [...(n.input ?? [])], attrs: new Map((n.attribute ?? []).filter(a => a.name === 'axis').map(a => [a.name!, Number(a.i ?? 0)])) });
      } else if (g.field === GRAPH_INITIALIZER) {
        let name = '', dim0: number | undefined;
        for (const t of fields(f, g.start, g.end)) {
          if (t.field === TENSOR_NAME && t.wire === 2) name = Buffer.from(f.bytes(t.start, t.end - t.start)).toString('utf8');
          // dims: an unpacked varint (the first is dim 0) or a packed run
          else if (t.field === TENSOR_DIMS && dim0 === undefined) dim0 = firstVarint(f.bytes(t.start, t.end - t.start));
        }
        initializerNames.add(name);
        if (dim0 !== undefined) rows.set(name, dim0);
      }
    }
    return withBounds(inputs.filter(v => !initializerNames.has(v.name)), gathers, n => rows.get(n));
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(`${path}: not a readable ONNX model (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
