/**
 * Bytes → plain objects. Decoding is protobufjs through the `onnx-proto` package's generated ONNX schema; this module
 * turns its messages into typed values and Tensors. raw_data stays a view on the file's bytes whenever alignment allows.
 */
import { fstatSync, realpathSync, statSync, openSync, closeSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { DType, float16BitsToNumber, isInt } from '../runtime/dtype.js';
import { LAZY, Tensor, shapeSize } from '../runtime/tensor.js';
import type { TypedData } from '../runtime/dtype.js';
import { ModelLoadError } from '../errors.js';
import { kernels, transposeFromFile } from '../runtime/kernels/index.js';
import { pyStrings } from './scope.js';
import { readAt, readFileRange } from '../runtime/read-at.js';
import { BFLOAT16, bfloat16ToFloat32, hasBfloat16 } from './bfloat16.js';

const { onnx } = onnxProto;

/**
 * onnx-proto's schema predates the metadata_props of NodeProto (field 9) and ValueInfoProto (field 4), ONNX IR 10,
 * where torch 2.9+'s exporter writes each node's module path and class (`pkg.torch.onnx.name_scopes`, …) and the
 * onnxscript optimizer the state_dict names a folded constant came from (`pkg.onnxscript.optimizer.folded_from`); its
 * generated decoders skip them. This wraps each: the message is decoded as before, then its bytes are scanned once
 * more for that field's StringStringEntryProto entries.
 */
const { Reader } = protobuf;
function withMetadata(type: { decode: (r: unknown, l?: number) => unknown }, field: number): void {
  const decode = type.decode.bind(type);
  type.decode = (r: unknown, length?: number) => {
    // onnx-proto may carry its own protobufjs copy: a reader is recognised by shape, not class
    const isReader = (x: unknown): x is InstanceType<typeof Reader> => typeof (x as { uint32?: unknown }).uint32 === 'function';
    // bytes go to the original decoder as they are (it makes its own reader); only the scan uses this copy's Reader
    const buf = isReader(r) ? r.buf : (r as Uint8Array);
    const start = isReader(r) ? r.pos : 0;
    const end = length === undefined ? (isReader(r) ? r.len : buf.length) : start + length;
    const msg = decode(r, length) as { metadataProps?: { key: string; value: string }[] };
    const scan = Reader.create(buf.subarray(start, end));
    while (scan.pos < scan.len) {
      const tag = scan.uint32();
      if (tag >>> 3 === field && (tag & 7) === 2) {
        // StringStringEntryProto { string key = 1; string value = 2; }, read here (the scan reader is another
        // protobufjs copy than onnx-proto's, whose decoders refuse it)
        const stop = scan.uint32() + scan.pos;
        const e = { key: '', value: '' };
        while (scan.pos < stop) {
          const t = scan.uint32();
          if (t === 10) e.key = scan.string(); else if (t === 18) e.value = scan.string(); else scan.skipType(t & 7);
        }
        (msg.metadataProps ??= []).push(e);
      } else scan.skipType(tag & 7);
    }
    return msg;
  };
}
withMetadata(onnx.NodeProto as unknown as { decode: (r: unknown, l?: number) => unknown }, 9);
withMetadata(onnx.ValueInfoProto as unknown as { decode: (r: unknown, l?: number) => unknown }, 4);
type Long = { low: number; high: number; unsigned?: boolean; toNumber?: () => number };

export const toNum = (v: number | Long | null | undefined): number => {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v.toNumber === 'function') return v.toNumber();
  return v.high * 4294967296 + (v.low >>> 0);
};
const toBig = (v: number | Long): bigint => (typeof v === 'number' ? BigInt(v) : (BigInt(v.high) << 32n) | BigInt(v.low >>> 0));

/** ONNX TensorProto.DataType → runtime dtype; null for types msport does not compute with. */
// (bfloat16 is read as float32, exactly: bfloat16.ts says why)
const ONNX_DTYPES: Record<number, DType | undefined> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', [BFLOAT16]: 'float32' };
export const ONNX_DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};
export const DTYPE_TO_ONNX: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

export function onnxDType(code: number, what: string): DType {
  const dt = ONNX_DTYPES[code];
  if (!dt) throw new ModelLoadError(`${what}: data type ${ONNX_DTYPE_NAMES[code] ?? code} is not supported`);
  return dt;
}

export type Dim = number | string;
export interface ValueInfo {
  name: string; dtype: DType | null; dtypeName: string; dims: Dim[] | null;
  /** an integer input that indexes a table (token ids into an embedding): values must stay below this */
  indexBound?: number;
}

/**
 * Integer graph inputs read by a Gather along axis 0 of an initializer (an embedding lookup): the table's first dim
 * bounds their values. `tableRows(name)` gives an initializer's dim 0, or undefined.
 */
export function indexBounds(nodes: readonly { opType: string; inputs: string[]; attrs?: Map<string, AttrValue> }[], inputNames: ReadonlySet<string>,
  tableRows: (name: string) => number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes) {
    if (n.opType !== 'Gather' || !inputNames.has(n.inputs[1] ?? '') || ((n.attrs?.get('axis') as number | undefined) ?? 0) !== 0) continue;
    const rows = tableRows(n.inputs[0] ?? '');
    if (rows !== undefined) out.set(n.inputs[1]!, Math.min(rows, out.get(n.inputs[1]!) ?? Infinity));
  }
  return out;
}

export type AttrValue = number | string | number[] | string[] | Tensor | Tensor[] | OnnxGraph | OnnxGraph[];
// protobufjs message types from onnx-proto
export type GraphProtoMsg = onnxProto.onnx.IGraphProto;
type TensorProtoMsg = onnxProto.onnx.ITensorProto;
type NodeProtoMsg = onnxProto.onnx.INodeProto;
type ValueInfoMsg = onnxProto.onnx.IValueInfoProto;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  /** for a node msport fused from a decomposed module: the original node names */
  fusedFrom?: string[];
  /** a fused node is built with the newest handler regardless of the model's opset */
  fusedOpset?: boolean;
  /** NodeProto.metadata_props (torch 2.9+ exporter: pkg.torch.onnx.name_scopes, class_hierarchy, …) */
  metadata?: Map<string, string>;
  /**
   * For a node with subgraphs (If, Loop): the enclosing graphs' values its subgraphs read by name (ONNX's implicit
   * inputs), so that ordering and lifetimes treat them as the node's inputs.
   */
  captures?: string[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  /** Graph inputs that are not initializers: what a user feeds. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  valueInfo: Map<string, ValueInfo>;
  /**
   * For a constant the onnxscript optimizer made (torch 2.9+ exports: a Linear's transposed weight `val_37`), the
   * state_dict names it was folded from (`encoder.layer.0.attention.self.query.weight`), from value_info metadata.
   */
  foldedFrom: Map<string, string[]>;
}

export interface OnnxModel {
  path: string | null;
  irVersion: number;
  producer: string;
  opsets: Map<string, number>;
  graph: OnnxGraph;
  /** The model's bytes, kept so the reference engine loads exactly what was checked. */
  bytes: Uint8Array;
  /** a bfloat16 export, read (and run by the reference) as float32: bfloat16.ts */
  upcastFrom?: 'bfloat16';
}

export function valueInfo(v: ValueInfoMsg): ValueInfo {
  const tt = v.type?.tensorType;
  const code = tt?.elemType ?? 0;
  // the dim oneof: a number, a symbolic name, or neither (an anonymous symbolic dim)
  const dims = tt?.shape
    ? (tt.shape.dim ?? []).map((d, i): Dim => {
      if ((d as { value?: string }).value !== 'dimValue') return d.dimParam || `${v.name}_dim${i}`;
      const n = toNum(d.dimValue as number | Long);
      if (n < 0 || !Number.isSafeInteger(n)) throw new ModelLoadError(`${v.name}: dim ${i} is ${n}; dims must be non-negative integers`);
      return n;
    })
    : null;
  return { name: v.name ?? '', dtype: ONNX_DTYPES[code] ?? null, dtypeName: ONNX_DTYPE_NAMES[code] ?? String(code), dims };
}

/** `tie` keeps the bytes a view is made on alive as long as the view (bytes resident in kernel memory). */
export interface DecodeCtx { baseDir: string | null; what: string; tie?: (view: object) => void }

type ViewCtor<T> = { new (buf: ArrayBufferLike, off: number, len: number): T; new (len: number): T; BYTES_PER_ELEMENT: number };

/**
 * raw_data as a Tensor: a view on the file's bytes when they are aligned for the element type, else an
 * UnalignedTensor that copies them out when read.
 */
function rawTensor<T extends Float32Array | Int32Array | BigInt64Array | Float64Array>(Ctor: ViewCtor<T>, bytes: Uint8Array, n: number, dims: number[], dtype: DType, ctx: DecodeCtx): Tensor {
  const need = n * Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== need) throw new ModelLoadError(`tensor data has ${bytes.byteLength} bytes, expected ${need}`);
  ctx.tie?.(bytes);
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Tensor(tied(new Ctor(bytes.buffer, bytes.byteOffset, n), ctx), dims, dtype);
  return new UnalignedTensor(bytes, () => {
    const copy = new Uint8Array(need);
    copy.set(bytes);
    return new Ctor(copy.buffer, 0, n);
  }, dims, dtype);
}

function tied<T extends object>(view: T, ctx: DecodeCtx): T {
  ctx.tie?.(view);
  return view;
}

/**
 * An initializer whose bytes sit at an offset its typed array cannot view: copied out of the file's bytes when read,
 * the copy held weakly, so a weight read once (transposed into a Dense weight at import) is not kept in memory a
 * second time; whoever keeps the array (a Parameter) keeps the copy alive, and a later read returns that same copy.
 */
export class UnalignedTensor extends Tensor {
  private copy: WeakRef<TypedData> | null = null;
  private assigned = false;
  constructor(private readonly bytes: Uint8Array, private readonly make: () => TypedData, shape: number[], dtype: DType) { super(LAZY, shape, dtype); }
  override get unalignedBytes(): Uint8Array | null { return this.assigned || this.copy?.deref() ? null : this.bytes; }
  override get data(): TypedData {
    if (this.assigned) return this._data;
    let d = this.copy?.deref();
    if (!d) { d = this.make(); this.copy = new WeakRef(d); }
    return d;
  }
  override set data(d: TypedData) { this.assigned = true; this._data = d; }
}

/** Where an initializer's external data is: the file (real path, inside the model's folder) and the byte range. */
interface ExternalRange { file: string; offset: number; length: number }

function readRange({ file, offset, length }: ExternalRange, name: string): Uint8Array {
  try {
    return readFileRange(file, offset, length);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code ? `tensor ${name}: cannot read external data ${file}: ${(e as Error).message}` : `tensor ${name}: external data ${(e as Error).message}`);
  }
}

/**
 * An initializer held in external data (a large model's weights): its range of the data file is read when its values
 * are first used, and those values are held weakly — whoever keeps the array (a Parameter) keeps it, and a later read
 * returns the same array while it lives. So a weight transposed at import (a torch 2.9+ export's [in, out] Linear
 * weight) is in memory once, as the Parameter's copy, not also as the file's, and bytes nothing holds are read again
 * from the file (the page cache) rather than kept.
 */
export class ExternalTensor extends Tensor {
  private cache: WeakRef<TypedData> | null = null;
  private assigned = false;
  /** `float32InFile`: the file holds the values as float32 (not a bfloat16 read as float32), so kernels may read it */
  constructor(private readonly range: ExternalRange, private readonly decode: (bytes: Uint8Array) => TypedData, shape: number[], dtype: DType, readonly initializerName: string,
    private readonly float32InFile = dtype === 'float32') {
    super(LAZY, shape, dtype);
  }
  /** the data file and byte range (a streamed block reads only its own) */
  get external(): Readonly<ExternalRange> { return this.range; }
  /**
   * A float32 matrix's transpose made in kernel memory straight from the file (kernels/index.ts transposeFromFile):
   * the form an [in, out] Linear weight takes at import. null when the kernels cannot (the caller transposes `data`).
   */
  transposedInKernelMemory(): Tensor | null {
    if (this.assigned || this.dtype !== 'float32' || !this.float32InFile || this.shape.length !== 2) return null;
    const [R, C] = this.shape as [number, number];
    let fd: number;
    try { fd = openSync(this.range.file, 'r'); } catch (e) { throw new ModelLoadError(`tensor ${this.initializerName}: cannot read external data ${this.range.file}: ${(e as Error).message}`); }
    try {
      const view = transposeFromFile(fd, this.range.offset, R, C);
      return view ? new Tensor(view, [C, R], 'float32') : null;
    } catch (e) {
      throw new ModelLoadError(`tensor ${this.initializerName}: ${(e as Error).message}`);
    } finally { closeSync(fd); }
  }
  override get data(): TypedData {
    if (this.assigned) return this._data;
    let d = this.cache?.deref();
    if (!d) { d = this.decode(readRange(this.range, this.initializerName)); this.cache = new WeakRef(d); }
    return d;
  }
  override set data(d: TypedData) { this.assigned = true; this._data = d; }
}

/** Below this many bytes an external initializer is read at load: small constants are read often during import. */
const LAZY_EXTERNAL_MIN_BYTES = 1 << 20;

function externalRange(t: TensorProtoMsg, ctx: DecodeCtx): ExternalRange {
  const kv = new Map((t.externalData ?? []).map(e => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new ModelLoadError(`tensor ${t.name}: external data has no location`);
  if (!ctx.baseDir) throw new ModelLoadError(`tensor ${t.name}: external data needs the model's folder, but the model was not read from a file`);
  if (isAbsolute(location)) throw new ModelLoadError(`tensor ${t.name}: external data location '${location}' is absolute; only paths inside the model's folder are read`);
  const file = resolve(ctx.baseDir, location);
  let real: string;
  try { real = realpathSync(file); } catch { throw new ModelLoadError(`tensor ${t.name}: external data file not found: ${file}`); }
  const baseReal = realpathSync(ctx.baseDir);
  if (!real.startsWith(baseReal + sep)) throw new ModelLoadError(`tensor ${t.name}: external data location '${location}' escapes the model's folder`);
  const offset = Number(kv.get('offset') ?? 0);
  const size = statSync(real).size;
  const length = kv.has('length') ? Number(kv.get('length')) : size - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) throw new ModelLoadError(`tensor ${t.name}: external data range ${offset}+${length} exceeds ${location} (${size} bytes)`);
  return { file: real, offset, length };
}

function externalBytes(t: TensorProtoMsg, ctx: DecodeCtx): Uint8Array {
  return readRange(externalRange(t, ctx), t.name ?? '');
}

export function decodeTensor(t: TensorProtoMsg, ctx: DecodeCtx): Tensor {
  const name = t.name ?? '';
  const code = t.dataType ?? 0;
  const dtype = onnxDType(code, `tensor ${name || ctx.what}`);
  const dims = (t.dims ?? []).map(d => toNum(d as number | Long));
  if (dims.some(d => !Number.isInteger(d) || d < 0)) throw new ModelLoadError(`tensor ${name}: invalid dims [${dims}]`);
  const n = shapeSize(dims);
  let raw: Uint8Array | null = null;
  const elemBytes: Record<DType, number> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };
  const size = code === BFLOAT16 ? 2 : elemBytes[dtype];
  const sizeError = (bytes: number): ModelLoadError => new ModelLoadError(`tensor ${name}: shape [${dims}] needs ${n * size} bytes of ${ONNX_DTYPE_NAMES[code]} but the data has ${bytes}`);
  if (t.dataLocation === 1) {
    const range = externalRange(t, ctx);
    if (range.length !== n * size) throw sizeError(range.length);
    if (range.length >= LAZY_EXTERNAL_MIN_BYTES) {
      return new ExternalTensor(range, bytes => decodeTensor({ name, dataType: code, dims: t.dims, rawData: bytes }, { ...ctx, tie: undefined }).data, dims, dtype, name, code === 1);
    }
    raw = readRange(range, name);
  } else if (t.rawData && t.rawData.length > 0) raw = t.rawData;
  if (raw && raw.byteLength !== n * size) throw sizeError(raw.byteLength);
  try {
    if (code === BFLOAT16) {
      // raw_data holds the bits; int32_data one bit pattern per value
      const bits = raw ?? Uint8Array.from(checked(t.int32Data ?? [], n, name).flatMap(v => [v & 0xff, (v >> 8) & 0xff]));
      return new Tensor(bfloat16ToFloat32(bits), dims, 'float32');
    }
    switch (dtype) {
      case 'float32':
        return raw ? rawTensor(Float32Array, raw, n, dims, dtype, ctx) : new Tensor(checked(Float32Array.from(t.floatData ?? []), n, name), dims, dtype);
      case 'float64':
        return raw ? rawTensor(Float64Array, raw, n, dims, dtype, ctx) : new Tensor(checked(Float64Array.from(t.doubleData ?? []), n, name), dims, dtype);
      case 'float16': {
        // stored as float32 holding binary16 values; typed data lives in int32_data as bit patterns
        const out = new Float32Array(n);
        if (raw) { const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength); for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(dv.getUint16(2 * i, true)); }
        else { const src = checked(t.int32Data ?? [], n, name); for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(src[i]!); }
        return new Tensor(out, dims, dtype);
      }
      case 'int64':
        return raw ? rawTensor(BigInt64Array, raw, n, dims, dtype, ctx) : new Tensor(checked(BigInt64Array.from((t.int64Data ?? []).map(v => toBig(v as number | Long))), n, name), dims, dtype);
      case 'int32':
        return raw ? rawTensor(Int32Array, raw, n, dims, dtype, ctx) : new Tensor(checked(Int32Array.from(t.int32Data ?? []), n, name), dims, dtype);
      case 'int8':
        return new Tensor(raw ? tied(new Int8Array(raw.buffer, raw.byteOffset, n), ctx) : checked(Int8Array.from(t.int32Data ?? []), n, name), dims, dtype);
      case 'uint8': case 'bool':
        return new Tensor(raw ? tied(new Uint8Array(raw.buffer, raw.byteOffset, n), ctx) : checked(Uint8Array.from(t.int32Data ?? []), n, name), dims, dtype);
    }
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(`tensor ${name}: ${(e as Error).message}`);
  }
}

function checked<T extends { length: number }>(a: T, n: number, name: string): T {
  if (a.length !== n) throw new ModelLoadError(`tensor ${name}: shape needs ${n} values but ${a.length} are stored`);
  return a;
}

function decodeAttr(a: onnxProto.onnx.IAttributeProto, ctx: DecodeCtx): AttrValue {
  const missing = (a.type === 4 && !a.t) || (a.type === 5 && !a.g);
  if (missing) throw new ModelLoadError(`attribute ${a.name}: declared type ${a.type} but holds no value of that type`);
  switch (a.type) {
    case 1: return a.f ?? 0;
    case 2: return toNum(a.i as number | Long);
    case 3: return Buffer.from(a.s ?? new Uint8Array()).toString('utf8');
    case 4: return decodeTensor(a.t!, { ...ctx, what: `attribute ${a.name}` });
    case 5: return decodeGraph(a.g!, { ...ctx, what: `subgraph ${a.name}` });
    case 6: return [...(a.floats ?? [])];
    case 7: return (a.ints ?? []).map(v => toNum(v as number | Long));
    case 8: return (a.strings ?? []).map(s => Buffer.from(s).toString('utf8'));
    case 9: return (a.tensors ?? []).map(t => decodeTensor(t, ctx));
    case 10: return (a.graphs ?? []).map(g => decodeGraph(g, { ...ctx, what: `subgraph ${a.name}` }));
    default: throw new ModelLoadError(`attribute ${a.name}: attribute type ${a.type} is not supported`);
  }
}

function decodeNode(n: NodeProtoMsg, ctx: DecodeCtx, index: number): OnnxNode {
  const attrs = new Map<string, AttrValue>();
  for (const a of n.attribute ?? []) attrs.set(a.name ?? '', decodeAttr(a, { ...ctx, what: `node ${n.name}` }));
  const metadata = metadataOf(n);
  const subgraphs = [...attrs.values()].flatMap(v => (isGraph(v) ? [v] : Array.isArray(v) && v.length && isGraph(v[0]) ? (v as OnnxGraph[]) : []));
  const captures = [...new Set(subgraphs.flatMap(freeNames))];
  return {
    name: n.name || `${n.opType}_${index}`,
    opType: n.opType ?? '',
    domain: n.domain === 'ai.onnx' ? '' : n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attrs,
    ...(metadata ? { metadata } : {}),
    ...(captures.length ? { captures } : {}),
  };
}

export const isGraph = (v: unknown): v is OnnxGraph => typeof v === 'object' && v !== null && 'nodes' in v && 'initializers' in v;

/** The names a subgraph reads from the graphs around it: read (or output) inside, defined nowhere inside. */
export function freeNames(g: OnnxGraph): string[] {
  const defined = new Set<string>([...g.inputs.map(i => i.name), ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const free = new Set<string>();
  for (const n of g.nodes) for (const i of [...n.inputs, ...(n.captures ?? [])]) if (i && !defined.has(i)) free.add(i);
  for (const o of g.outputs) if (!defined.has(o.name)) free.add(o.name);
  return [...free];
}

function metadataOf(n: NodeProtoMsg): Map<string, string> | null {
  const props = (n as { metadataProps?: { key: string; value: string }[] }).metadataProps;
  return props && props.length ? new Map(props.map(e => [e.key, e.value])) : null;
}

export function withBounds(inputs: ValueInfo[], nodes: readonly { opType: string; inputs: string[]; attrs?: Map<string, AttrValue> }[], tableRows: (name: string) => number | undefined): ValueInfo[] {
  const b = indexBounds(nodes, new Set(inputs.filter(v => v.dtype && isInt(v.dtype)).map(v => v.name)), tableRows);
  return inputs.map(v => (b.has(v.name) ? { ...v, indexBound: b.get(v.name)! } : v));
}

export function decodeGraph(g: GraphProtoMsg, ctx: DecodeCtx): OnnxGraph {
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', decodeTensor(t, ctx));
  const nodes = (g.node ?? []).map((n, i) => decodeNode(n, ctx, i));
  const valueInfoMap = new Map<string, ValueInfo>();
  const foldedFrom = new Map<string, string[]>();
  for (const v of g.valueInfo ?? []) {
    valueInfoMap.set(v.name ?? '', valueInfo(v));
    const f = (v as { metadataProps?: { key: string; value: string }[] }).metadataProps?.find(e => e.key === 'pkg.onnxscript.optimizer.folded_from');
    if (f) foldedFrom.set(v.name ?? '', pyStrings(f.value));
  }
  return {
    name: g.name ?? '',
    nodes,
    inputs: withBounds((g.input ?? []).filter(v => !initializers.has(v.name ?? '')).map(valueInfo), nodes, n => initializers.get(n)?.shape[0]),
    outputs: (g.output ?? []).map(valueInfo),
    initializers,
    valueInfo: valueInfoMap,
    foldedFrom,
  };
}

function decodeProto(bytes: Uint8Array, path: string | null): onnxProto.onnx.ModelProto {
  try {
    // decoding a Buffer makes protobufjs return bytes fields as views (BufferReader), so raw_data is not copied
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return onnx.ModelProto.decode(buf);
  } catch (e) {
    throw new ModelLoadError(`${path ?? 'model'}: not a readable ONNX model (${(e as Error).message})`);
  }
}

const selfContained = new WeakMap<OnnxModel, Uint8Array>();
/**
 * The model's bytes with external data (torch 2.9+ writes weights to `<model>.onnx.data`) inlined as raw_data: what
 * onnxruntime needs when it is handed bytes (for --layers, report) rather than the file, since it would resolve the
 * data file against the working directory. The model's own bytes when nothing is external.
 */
export function selfContainedBytes(model: OnnxModel): Uint8Array {
  const hit = selfContained.get(model);
  if (hit) return hit;
  const m = onnx.ModelProto.decode(Buffer.from(model.bytes.buffer, model.bytes.byteOffset, model.bytes.byteLength));
  const ctx: DecodeCtx = { baseDir: model.path ? dirname(resolve(model.path)) : null, what: 'model' };
  let changed = false;
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    t.rawData = externalBytes(t, ctx);
    t.externalData = [];
    t.dataLocation = 0;
    changed = true;
  }
  const out = changed ? onnx.ModelProto.encode(m).finish() : model.bytes;
  selfContained.set(model, out);
  return out;
}

/** Decode a model from bytes; `path` lets external data be found beside it. */
export function modelFromBytes(bytes: Uint8Array, path: string | null = null): OnnxModel {
  return modelFromProto(decodeProto(bytes, path), bytes, path);
}

function modelFromProto(m: onnxProto.onnx.ModelProto, bytes: Uint8Array, path: string | null, tie?: (view: object) => void): OnnxModel {
  if (!m.graph) throw new ModelLoadError(`${path ?? 'model'}: not an ONNX model (no graph)`);
  const opsets = new Map<string, number>();
  for (const o of m.opsetImport ?? []) opsets.set(o.domain === 'ai.onnx' ? '' : o.domain ?? '', toNum(o.version as number | Long));
  if (!opsets.has('')) opsets.set('', 1);
  tie?.(bytes);
  const ctx: DecodeCtx = { baseDir: path ? dirname(resolve(path)) : null, what: 'model', ...(tie ? { tie } : {}) };
  return { path, irVersion: toNum(m.irVersion as number | Long), producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(), opsets, graph: decodeGraph(m.graph, ctx), bytes,
    ...(hasBfloat16(m.graph) ? { upcastFrom: 'bfloat16' as const } : {}) };
}

/** Element size of the dtypes whose raw_data is viewed in place (viewAs), by ONNX data type. */
const VIEWED_ELEMENT_BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8, 11: 8 };
/** Below this many bytes that a shift would bring into alignment, copying those tensors costs less than the shift. */
const SHIFT_MIN_BYTES = 1 << 20;

/**
 * The shift (0…7 bytes) of the file's bytes in memory that leaves the most raw_data bytes aligned for viewing in
 * place: protobuf places each tensor at whatever offset the fields before it end on, so a 400 MB weight is as
 * likely misaligned as not, and a misaligned one is copied.
 */
function bestShift(m: onnxProto.onnx.ModelProto, base: number): number {
  const aligned = new Array<number>(8).fill(0);
  for (const t of m.graph?.initializer ?? []) {
    const e = VIEWED_ELEMENT_BYTES[t.dataType ?? 0];
    const raw = t.rawData;
    if (!e || !raw || raw.byteLength === 0) continue;
    for (let p = 0; p < 8; p++) if ((raw.byteOffset - base + p) % e === 0) aligned[p]! += raw.byteLength;
  }
  let best = 0;
  for (let p = 1; p < 8; p++) if (aligned[p]! > aligned[best]! + SHIFT_MIN_BYTES) best = p;
  return best;
}

/** Load `.onnx` from disk (the file is only read; the copy in memory is placed so its tensors can be viewed). */
export function modelFromFile(path: string): OnnxModel {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code === 'ENOENT' ? `model file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  let buf: Buffer, size: number;
  let tie: ((view: object) => void) | undefined;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ModelLoadError(`${path} is a folder, not an .onnx file`);
    size = st.size;
    // 7 spare bytes to shift into (bestShift). In kernel memory when the backend has room, so kernels read the
    // weights where they are; else an ArrayBuffer of its own, so views never share Node's pool
    const resident = kernels.residentBytes(size + 7);
    if (resident) tie = resident.tie;
    buf = resident ? Buffer.from(resident.bytes.buffer, resident.bytes.byteOffset, size + 7) : Buffer.allocUnsafeSlow(size + 7);
    const got = readAt(fd, buf.subarray(0, size), 0);
    if (got < size) throw new ModelLoadError(`cannot read ${path}: file shrank while reading (${got} of ${size} bytes)`);
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code === 'EISDIR' ? `${path} is a folder, not an .onnx file` : `cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
  let bytes = buf.subarray(0, size);
  let m = decodeProto(bytes, path);
  const shift = bestShift(m, bytes.byteOffset);
  if (shift) {
    buf.copyWithin(shift, 0, size);
    bytes = buf.subarray(shift, shift + size);
    m = decodeProto(bytes, path);
  }
  return modelFromProto(m, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, tie);
}
