/**
 * MindSpore checkpoint I/O: save_checkpoint / load_checkpoint / load_param_into_net over the `.ckpt` protobuf format
 * (see shared/reference/checkpoint-format.md).
 *
 * File layout written by MindSpore and by saveCheckpoint: one serialized `Checkpoint` message holding exactly one
 * `Value` per chunk, appended back to back (protobuf merges them into one `Checkpoint` whose `value` list is in write
 * order), optionally followed by the 17-byte CRC trailer `crc_num` + CRC32 as a 10-byte big-endian integer.
 *
 * Reading uses protobufjs (reflection, schema below); writing is a direct encoder so the bytes match Python's
 * `SerializeToString` exactly (fields in number order, unpacked `dims`) and large tensors need not be copied into one
 * protobuf buffer.
 */
import { readAt } from './read-at.js';
import { closeSync, constants as fsConstants, chmodSync, fstatSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import * as zlib from 'node:zlib';
import protobuf from 'protobufjs';
import { Cell } from './cell.js';
import { Parameter } from './parameter.js';
import { Tensor, shapeSize, shapeStr, Shape } from './tensor.js';
import { allocData, DType, float16BitsToNumber, msDTypeName, numberToFloat16Bits, roundToFloat16, TypedData } from './dtype.js';
import { ModelLoadError, MsportError, UsageError } from '../errors.js';

// ---------------------------------------------------------------------------------------------------------------------
// Schema (mindspore/ccsrc/utils/checkpoint.proto, proto2, no package), as a protobufjs JSON descriptor.

const CHECKPOINT_SCHEMA = {
  nested: {
    Checkpoint: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      nested: {
        Value: {
          oneofs: { value: { oneof: ['tensor', 'maptensor'] } },
          fields: {
            tag: { rule: 'required', type: 'string', id: 1 },
            tensor: { type: 'TensorProto', id: 2 },
            maptensor: { type: 'MapTensorProto', id: 3 },
          },
        },
      },
    },
    TensorProto: {
      fields: {
        // proto2 default: not packed (protobufjs JSON descriptors default to packed, so say it)
        dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
        tensor_type: { rule: 'required', type: 'string', id: 2 },
        tensor_content: { rule: 'required', type: 'bytes', id: 3 },
      },
    },
    MapTensorProto: { fields: { tensor: { rule: 'repeated', type: 'TensorProto', id: 1 } } },
  },
};

let schemaRoot: protobuf.Root | null = null;
/** The checkpoint schema as a protobufjs Root (types `Checkpoint`, `Checkpoint.Value`, `TensorProto`, `MapTensorProto`). */
export function checkpointSchema(): protobuf.Root {
  schemaRoot ??= protobuf.Root.fromJSON(CHECKPOINT_SCHEMA);
  return schemaRoot;
}

interface DecodedTensorProto { dims: (number | { toString(): string })[]; tensor_type: string; tensor_content: Uint8Array }
interface DecodedValue { tag: string; tensor?: DecodedTensorProto | null; maptensor?: unknown }

// ---------------------------------------------------------------------------------------------------------------------
// Constants and dtype tables

/** MindSpore SLICE_SIZE (512·1024 KiB): raw tensor bytes are cut into chunks of at most this many bytes. */
export const CKPT_SLICE_BYTES = 512 * 1024 * 1024;
const CRC_MAGIC = 'crc_num';
const CRC_TRAILER_BYTES = 17;

const ITEMSIZE: Record<DType, number> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

/** tensor_type string → runtime dtype (inverse of msDTypeName). */
const TENSOR_TYPE_TO_DTYPE: ReadonlyMap<string, DType> = new Map(
  (Object.entries(msDTypeName) as [DType, string][]).map(([d, name]) => [name, d]));

/** tensor_type strings MindSpore's loader accepts but the runtime has no dtype for. */
const MS_ONLY_TENSOR_TYPES = new Set(['Int16', 'UInt16', 'UInt32', 'UInt64', 'BFloat16', 'Int4']);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers shared with safetensors.ts

/** One error line: `<what> <file>: <detail>`. */
function loadError(file: string, detail: string): ModelLoadError {
  return new ModelLoadError(`checkpoint ${file}: ${detail}`);
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

const defaultWarn = (msg: string): void => { process.emitWarning(msg, { code: 'MSPORT_CHECKPOINT' }); };

/** Tensor element bytes as stored on disk: little-endian, C order; float16 as binary16 bits, bool as one 0/1 byte. */
export function tensorToBytes(t: Tensor): Uint8Array {
  const data = t.data;
  if (t.dtype === 'float16') {
    const out = new Uint8Array(data.length * 2);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) dv.setUint16(i * 2, numberToFloat16Bits(data[i] as number), true);
    return out;
  }
  if (t.dtype === 'bool') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
    return out;
  }
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || ITEMSIZE[t.dtype] === 1) return view;
  const out = new Uint8Array(view.length); // big-endian host: swap each element
  const k = ITEMSIZE[t.dtype];
  for (let i = 0; i < view.length; i += k) for (let j = 0; j < k; j++) out[i + j] = view[i + k - 1 - j]!;
  return out;
}

/** Inverse of tensorToBytes; `bytes.length` must be `n * itemsize`. Always copies. */
export function bytesToTypedData(bytes: Uint8Array, dtype: DType, n: number): TypedData {
  const k = ITEMSIZE[dtype];
  if (bytes.length !== n * k) throw new Error(`expected ${n * k} bytes, got ${bytes.length}`);
  if (dtype === 'float16') {
    const out = new Float32Array(n);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(dv.getUint16(i * 2, true));
    return out;
  }
  const copy = new Uint8Array(bytes.length);
  if (HOST_LITTLE_ENDIAN || k === 1) copy.set(bytes);
  else for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) copy[i + j] = bytes[i + k - 1 - j]!;
  switch (dtype) {
    case 'float32': return new Float32Array(copy.buffer, 0, n);
    case 'float64': return new Float64Array(copy.buffer, 0, n);
    case 'int64': return new BigInt64Array(copy.buffer, 0, n);
    case 'int32': return new Int32Array(copy.buffer, 0, n);
    case 'int8': return new Int8Array(copy.buffer, 0, n);
    case 'uint8': return copy;
    case 'bool': for (let i = 0; i < n; i++) copy[i] = copy[i] ? 1 : 0; return copy;
  }
}

export function itemSize(dtype: DType): number { return ITEMSIZE[dtype]; }

// CRC-32 (IEEE, as binascii.crc32 / zlib.crc32). zlib.crc32 exists from Node 20.15; keep a table fallback for older 20.x.
let crcTable: Uint32Array | null = null;
function jsCrc32(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
/** CRC-32 of `data` chained from `value` (binascii.crc32(data, value)); unsigned. */
export function crc32(data: Uint8Array, value = 0): number {
  // zlib's crc32() returns 0 for a NULL buffer, which is what an empty view of a zero-length ArrayBuffer passes
  if (data.length === 0) return value >>> 0;
  // a namespace import: a named import of a missing builtin export would fail at link time on Node < 20.15
  return typeof zlib.crc32 === 'function' ? zlib.crc32(data, value) >>> 0 : jsCrc32(data, value);
}

/** Read a whole file into a plain Uint8Array (not a Buffer); not limited to readFileSync's 2 GiB. */
export function readWholeFile(path: string, what: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelLoadError(`${what} file not found: ${path}`);
    throw new ModelLoadError(`${what} ${path}: cannot open (${errText(e)})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ModelLoadError(`${what} ${path}: is a directory, expected a file`);
    const out = new Uint8Array(st.size);
    const got = readAt(fd, out, 0);
    if (got < out.length) throw new ModelLoadError(`${what} ${path}: file shrank while reading (${got} of ${out.length} bytes)`);
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a file atomically: a temp file in the destination folder, filled by `fill(write)`, fsynced, then renamed over
 * `path`. On any error the temp file is removed. `readOnly` ends with chmod 0400 as MindSpore does.
 */
export function writeFileAtomic(path: string, what: string, fill: (write: (bytes: Uint8Array) => void) => void, readOnly = false): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (e) {
    throw new MsportError('MSPORT_IO', `${what} ${path}: cannot create a file in ${dir} (${errText(e)})`);
  }
  let ok = false;
  try {
    const write = (bytes: Uint8Array): void => {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    };
    fill(write);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    ok = true;
  } catch (e) {
    if (e instanceof MsportError) throw e;
    throw new MsportError('MSPORT_IO', `${what} ${path}: write failed (${errText(e)})`);
  } finally {
    if (fd >= 0) try { closeSync(fd); } catch { /* already failing */ }
    if (!ok) try { unlinkSync(tmp); } catch { /* nothing to remove */ }
  }
  if (readOnly) try { chmodSync(path, 0o400); } catch { /* e.g. a filesystem without modes */ }
}

// ---------------------------------------------------------------------------------------------------------------------
// What to save

/** Anything saveCheckpoint accepts: a Cell, a Parameter list (e.g. trainableParams()), `{name, data}` items or a dict. */
export type SaveObject = Cell | readonly Parameter[] | readonly { name: string; data: Tensor }[] | ReadonlyMap<string, Tensor>;

/** One named entry of a checkpoint: a tensor, or a string (append_dict `str` values). */
export type CheckpointEntry = { tag: string; tensor: Tensor } | { tag: string; str: string };

/**
 * Flatten a save object into (name, Tensor) pairs in MindSpore order: a Cell's parametersAndNames(), list order, or map
 * order. A repeated name keeps its first position and its last value (MindSpore fills an OrderedDict by name).
 */
export function collectSaveEntries(saveObj: SaveObject, choiceFunc?: (name: string) => boolean, what = 'save_checkpoint'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const add = (name: unknown, data: unknown, where: string): void => {
    if (typeof name !== 'string') throw new UsageError(`${what}: ${where} has a non-string name`);
    if (!(data instanceof Tensor)) throw new UsageError(`${what}: ${where} ('${name}') is not a Tensor or Parameter`);
    if (choiceFunc && !choiceFunc(name)) return;
    out.set(name, data);
  };
  if (saveObj instanceof Cell) {
    for (const [, p] of saveObj.parametersAndNames()) add(p.name, p, 'parameter');
  } else if (saveObj instanceof Map) {
    for (const [k, v] of saveObj) add(k, v, 'map entry');
  } else if (Array.isArray(saveObj)) {
    saveObj.forEach((item: unknown, i) => {
      if (item instanceof Parameter) add(item.name, item, `item ${i}`);
      else if (item && typeof item === 'object' && 'name' in item && 'data' in item) add(item.name, item.data, `item ${i}`);
      else throw new UsageError(`${what}: item ${i} must be a Parameter or {name, data}`);
    });
  } else {
    throw new UsageError(`${what}: expected a Cell, a list of Parameters or {name, data} items, or a Map`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Encoder (the wire bytes of §2.1: `0A len(V) V`, V = `0A len tag 12 len(T) T`, T = `(08 dim)* 12 len type 1A len content`)

function varintLen(v: number): number {
  let n = 1;
  while (v >= 128) { v = Math.floor(v / 128); n++; }
  return n;
}

function putVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 128) { buf[pos++] = (v % 128) | 0x80; v = Math.floor(v / 128); }
  buf[pos++] = v;
  return pos;
}

const utf8 = new TextEncoder();

/**
 * The bytes of one serialized single-Value `Checkpoint` message, as [header, content]: the header is everything up to
 * and including the tensor_content length prefix, so the (possibly huge) content is written without a copy.
 */
export function encodeCheckpointRecord(tag: string, dims: readonly number[], tensorType: string, content: Uint8Array): [Uint8Array, Uint8Array] {
  const tagB = utf8.encode(tag);
  const typeB = utf8.encode(tensorType);
  let tLen = 0;
  for (const d of dims) tLen += 1 + varintLen(d);
  tLen += 1 + varintLen(typeB.length) + typeB.length + 1 + varintLen(content.length) + content.length;
  const vLen = 1 + varintLen(tagB.length) + tagB.length + 1 + varintLen(tLen) + tLen;
  const headerLen = 1 + varintLen(vLen) + vLen - content.length;
  const h = new Uint8Array(headerLen);
  let p = 0;
  h[p++] = 0x0a; p = putVarint(h, p, vLen); // Checkpoint.value
  h[p++] = 0x0a; p = putVarint(h, p, tagB.length); h.set(tagB, p); p += tagB.length; // Value.tag
  h[p++] = 0x12; p = putVarint(h, p, tLen); // Value.tensor
  for (const d of dims) { h[p++] = 0x08; p = putVarint(h, p, d); } // TensorProto.dims, unpacked
  h[p++] = 0x12; p = putVarint(h, p, typeB.length); h.set(typeB, p); p += typeB.length; // TensorProto.tensor_type
  h[p++] = 0x1a; p = putVarint(h, p, content.length); // TensorProto.tensor_content
  if (p !== headerLen) throw new Error(`internal: checkpoint record header is ${p} bytes, expected ${headerLen}`);
  return [h, content];
}

/** numpy.array(s).tobytes(): UTF-32LE code points, no BOM; '' becomes one NUL code point (dtype <U1). */
function strToUtf32(s: string): Uint8Array {
  const cps = [...s].map(c => c.codePointAt(0)!);
  if (cps.length === 0) cps.push(0);
  const out = new Uint8Array(cps.length * 4);
  const dv = new DataView(out.buffer);
  cps.forEach((cp, i) => dv.setUint32(i * 4, cp, true));
  return out;
}

function utf32ToStr(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cps: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) cps.push(dv.getUint32(i, true));
  while (cps.length && cps[cps.length - 1] === 0) cps.pop(); // numpy strips trailing NULs
  return String.fromCodePoint(...cps.map(c => (c <= 0x10ffff ? c : 0xfffd)));
}

/**
 * All records of a checkpoint, in order, each as the parts to append. A tensor's raw bytes are cut every `sliceBytes`
 * bytes, each piece a record with the same tag, full dims and tensor_type (MindSpore `_write_parameter_bytes_data`).
 * A tensor with no bytes still gets one record (MindSpore would write none and silently drop it).
 */
export function* checkpointRecords(entries: Iterable<CheckpointEntry>, sliceBytes = CKPT_SLICE_BYTES): Generator<Uint8Array[]> {
  if (!(Number.isInteger(sliceBytes) && sliceBytes > 0)) throw new UsageError(`save_checkpoint: slice size must be a positive integer, got ${sliceBytes}`);
  for (const e of entries) {
    if ('str' in e) {
      // _write_parameter_data: dims [0], tensor_type "str" (a str this large is not split here)
      yield encodeCheckpointRecord(e.tag, [0], 'str', strToUtf32(e.str));
      continue;
    }
    const bytes = tensorToBytes(e.tensor);
    const type = msDTypeName[e.tensor.dtype];
    let off = 0;
    do {
      const end = Math.min(off + sliceBytes, bytes.length);
      yield encodeCheckpointRecord(e.tag, e.tensor.shape, type, bytes.subarray(off, end));
      off = end;
    } while (off < bytes.length);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// save_checkpoint

export interface SaveCheckpointOptions {
  /**
   * Extra entries written after the parameters, in key order (MindSpore append_dict). A JS integer becomes a 0-d Int64
   * tensor, any other number a 0-d Float32, a boolean a 0-d Bool, a string a `str` entry; pass a Tensor for any other
   * dtype (JS cannot tell `3` from `3.0`).
   */
  appendDict?: Record<string, number | boolean | string | Tensor>;
  /** Append the `crc_num` + CRC32 trailer (MindSpore 2.4+; older loaders cannot read such a file). */
  crcCheck?: boolean;
  /** Save only the parameters whose name it accepts (MindSpore choice_func). */
  choiceFunc?: (name: string) => boolean;
  /** Chunk size in bytes; MindSpore's is fixed at 512 MiB. Only for tests. @internal */
  sliceBytes?: number;
}

/** The entries saveCheckpoint writes, in file order (parameters, then appendDict). */
export function checkpointEntries(saveObj: SaveObject, opts: Pick<SaveCheckpointOptions, 'appendDict' | 'choiceFunc'> = {}): CheckpointEntry[] {
  const entries = new Map<string, CheckpointEntry>();
  for (const [tag, tensor] of collectSaveEntries(saveObj, opts.choiceFunc)) entries.set(tag, { tag, tensor });
  for (const [tag, v] of Object.entries(opts.appendDict ?? {})) {
    let e: CheckpointEntry;
    if (typeof v === 'string') e = { tag, str: v };
    else if (typeof v === 'boolean') e = { tag, tensor: Tensor.scalar(v ? 1 : 0, 'bool') };
    else if (typeof v === 'number') e = { tag, tensor: Tensor.scalar(v, Number.isInteger(v) ? 'int64' : 'float32') };
    else if (v instanceof Tensor) e = { tag, tensor: v };
    else throw new UsageError(`save_checkpoint: appendDict['${tag}'] must be a number, boolean, string or Tensor`);
    entries.set(tag, e);
  }
  return [...entries.values()];
}

/** The path saveCheckpoint writes to: `.ckpt` appended when missing. */
export function checkpointPath(path: string): string {
  return path.endsWith('.ckpt') ? path : `${path}.ckpt`;
}

/**
 * mindspore.save_checkpoint(save_obj, ckpt_file_name, append_dict=, crc_check=, choice_func=) for format="ckpt".
 * Writes atomically (temp file in the same folder, then rename) and, like MindSpore, leaves the file read-only (0400).
 * Returns the path written (with `.ckpt` added when missing).
 */
export function saveCheckpoint(saveObj: SaveObject, path: string, opts: SaveCheckpointOptions = {}): string {
  const file = resolve(checkpointPath(path));
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`save_checkpoint: ${file} is a directory, expected a file name`);
  } catch (e) {
    if (e instanceof MsportError) throw e;
  }
  const entries = checkpointEntries(saveObj, opts);
  const records = checkpointRecords(entries, opts.sliceBytes ?? CKPT_SLICE_BYTES);
  writeFileAtomic(file, 'save_checkpoint', write => {
    let crc = 0;
    for (const parts of records) {
      for (const part of parts) {
        if (opts.crcCheck) crc = crc32(part, crc);
        write(part);
      }
    }
    if (opts.crcCheck) write(crcTrailer(crc));
  }, true);
  return file;
}

/** `crc_num` followed by the CRC as a 10-byte big-endian unsigned integer. */
export function crcTrailer(crc: number): Uint8Array {
  const t = new Uint8Array(CRC_TRAILER_BYTES);
  t.set(utf8.encode(CRC_MAGIC), 0);
  new DataView(t.buffer).setUint32(13, crc >>> 0, false);
  return t;
}

// ---------------------------------------------------------------------------------------------------------------------
// load_checkpoint

export interface LoadCheckpointOptions {
  /** Accepted for signature parity with MindSpore; loading a file ignores it (it only matters when a net is given). */
  strictLoad?: boolean;
  /** Drop entries whose tag starts with one of these (deprecated in MindSpore; overrides choiceFunc). */
  filterPrefix?: string | readonly string[];
  /** Keep only entries whose tag starts with one of these (deprecated in MindSpore; overrides choiceFunc). */
  specifyPrefix?: string | readonly string[];
  /** Keep an entry when it returns true; used only when neither prefix option is given. */
  choiceFunc?: (name: string) => boolean;
  /** Verify the CRC trailer; a file without one only warns (as in MindSpore). */
  crcCheck?: boolean;
  /** Receives warnings (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

export interface CheckpointContents {
  /** Tensor entries as Parameters named by tag, in file order (a repeated non-adjacent tag keeps its first position). */
  params: Map<string, Parameter>;
  /** `str` entries (append_dict strings), decoded. */
  strings: Map<string, string>;
  /** Entries read but not representable: MapParameter (`maptensor`) and `random_op` state. */
  skipped: { tag: string; reason: string }[];
}

function prefixList(v: string | readonly string[] | undefined, opt: string): readonly string[] | null {
  if (v === undefined || v === null) return null;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`load_checkpoint: ${opt} must be a string or a non-empty list of strings`);
  for (const p of list) if (typeof p !== 'string' || p === '') throw new UsageError(`load_checkpoint: ${opt} must not contain empty or non-string prefixes`);
  return list;
}

function dimsOf(file: string, tag: string, raw: DecodedTensorProto['dims']): number[] {
  return raw.map(d => {
    const n = typeof d === 'number' ? d : Number(d.toString());
    if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw loadError(file, `entry '${tag}' has invalid dims [${raw.map(String).join(', ')}]`);
    return n;
  });
}

/** Split off a `crc_num` trailer when present (always, like MindSpore) and verify it when asked. */
function stripCrc(file: string, buf: Uint8Array, crcCheck: boolean, warn: (m: string) => void): Uint8Array {
  const hasTrailer = buf.length >= CRC_TRAILER_BYTES
    && new TextDecoder().decode(buf.subarray(buf.length - CRC_TRAILER_BYTES, buf.length - 10)) === CRC_MAGIC;
  if (!hasTrailer) {
    if (crcCheck) warn(`checkpoint ${file}: no crc_num trailer, the CRC cannot be checked`);
    return buf;
  }
  const body = buf.subarray(0, buf.length - CRC_TRAILER_BYTES);
  if (crcCheck) {
    const t = buf.subarray(buf.length - 10);
    let stored = 0n;
    for (const b of t) stored = (stored << 8n) | BigInt(b);
    const actual = crc32(body);
    if (stored !== BigInt(actual)) throw loadError(file, `CRC check failed (stored ${stored}, computed ${actual}); the file is damaged`);
  }
  return body;
}

interface PendingChunk { tag: string; dims: number[]; type: string; parts: Uint8Array[] }

/**
 * Parse a `.ckpt` file into tensors, strings and skipped entries. load_checkpoint without the net: see loadCheckpoint.
 * Adjacent entries with the same tag are chunks of one tensor and are joined (dims and tensor_type from the last
 * chunk); the joined content must be exactly prod(dims)·itemsize bytes (MindSpore does not check; we refuse).
 */
export function readCheckpoint(path: string, opts: LoadCheckpointOptions = {}): CheckpointContents {
  const warn = opts.onWarning ?? defaultWarn;
  if (!path.endsWith('.ckpt')) throw new UsageError(`load_checkpoint: the checkpoint file name must end with .ckpt: ${path}`);
  const specify = prefixList(opts.specifyPrefix, 'specifyPrefix');
  const filter = prefixList(opts.filterPrefix, 'filterPrefix');
  const file = resolve(path);
  const body = stripCrc(file, readWholeFile(file, 'checkpoint'), opts.crcCheck ?? false, warn);

  const keep = (tag: string): boolean => {
    if (specify || filter) {
      let ok = true;
      if (specify) ok = specify.some(p => tag.startsWith(p));
      if (filter && filter.some(p => tag.startsWith(p))) ok = false;
      return ok;
    }
    return opts.choiceFunc ? Boolean(opts.choiceFunc(tag)) : true;
  };

  const out: CheckpointContents = { params: new Map(), strings: new Map(), skipped: [] };
  let pending: PendingChunk | null = null;
  const flush = (): void => {
    if (!pending) return;
    const { tag, type, parts } = pending;
    let { dims } = pending;
    pending = null;
    const total = parts.reduce((s, p) => s + p.length, 0);
    const joined = parts.length === 1 ? parts[0]! : new Uint8Array(total);
    if (parts.length > 1) { let o = 0; for (const p of parts) { joined.set(p, o); o += p.length; } }
    if (type === 'str') { out.strings.set(tag, utf32ToStr(joined)); return; }
    const dtype = TENSOR_TYPE_TO_DTYPE.get(type)!;
    // MindSpore's loader reads dims [0] as a scalar; here only when the content is one element, so an empty
    // tensor of shape [0] keeps its shape instead of becoming a scalar with uninitialised memory.
    if (dims.length === 1 && dims[0] === 0 && total === ITEMSIZE[dtype]) dims = [];
    const n = shapeSize(dims);
    if (total !== n * ITEMSIZE[dtype]) {
      throw loadError(file, `entry '${tag}' has ${total} content bytes but shape ${shapeStr(dims)} ${type} needs ${n * ITEMSIZE[dtype]}`);
    }
    out.params.set(tag, new Parameter(new Tensor(bytesToTypedData(joined, dtype, n), dims, dtype), tag));
  };

  const Value = checkpointSchema().lookupType('Checkpoint.Value');
  const reader = protobuf.Reader.create(body);
  let index = 0;
  let lastTag: string | null = null;
  const where = (): string => (lastTag === null ? `at entry #${index}` : `at entry #${index} (after '${lastTag}')`);
  while (reader.pos < reader.len) {
    let key: number, len: number, start: number;
    try {
      key = reader.uint32();
      if (key >>> 3 === 0) throw new Error(`invalid field number 0 at byte ${reader.pos - 1}`);
      if (key !== 0x0a) { reader.skipType(key & 7); continue; } // not Checkpoint.value: unknown field, skip as protobuf does
      len = reader.uint32();
      start = reader.pos;
    } catch (e) {
      throw loadError(file, `truncated or not a MindSpore checkpoint ${where()}: ${errText(e)}`);
    }
    if (start + len > reader.len) {
      throw loadError(file, `truncated ${where()}: the entry needs ${len} bytes, ${reader.len - start} remain`);
    }
    let v: DecodedValue;
    try {
      v = Value.decode(body.subarray(start, start + len)) as unknown as DecodedValue;
    } catch (e) {
      const partial = (e as { instance?: { tag?: unknown } }).instance?.tag;
      const name = typeof partial === 'string' && partial ? `entry '${partial}'` : `entry #${index}`;
      throw loadError(file, `corrupted ${name}${lastTag === null ? '' : ` (after '${lastTag}')`}: ${errText(e)}`);
    }
    reader.pos = start + len;
    index++;
    const tag = v.tag;
    lastTag = tag;
    if (pending && pending.tag !== tag) flush();
    if (!keep(tag)) continue;
    if (!v.tensor) {
      if (v.maptensor) { out.skipped.push({ tag, reason: 'MapParameter (maptensor) entries are not supported' }); continue; }
      throw loadError(file, `entry '${tag}' has neither tensor nor maptensor`);
    }
    const t = v.tensor;
    const type = t.tensor_type;
    if (type === 'random_op') { out.skipped.push({ tag, reason: 'random_op (RNG state) entry' }); continue; }
    if (type !== 'str' && !TENSOR_TYPE_TO_DTYPE.has(type)) {
      if (MS_ONLY_TENSOR_TYPES.has(type)) throw loadError(file, `entry '${tag}' has tensor_type '${type}', which the msport runtime does not support`);
      throw loadError(file, `entry '${tag}' has unknown tensor_type '${type}'`);
    }
    const dims = dimsOf(file, tag, t.dims);
    if (pending && pending.tag === tag) { pending.parts.push(t.tensor_content); pending.dims = dims; pending.type = type; }
    else pending = { tag, dims, type, parts: [t.tensor_content] };
  }
  flush();

  if (out.params.size + out.strings.size === 0 && out.skipped.length === 0) {
    throw loadError(file, index === 0 ? (body.length === 0 ? 'contains no entries' : 'contains no checkpoint entries (not a MindSpore checkpoint?)')
      : 'no entries left after filterPrefix/specifyPrefix/choiceFunc');
  }
  return out;
}

/**
 * mindspore.load_checkpoint(ckpt_file_name, strict_load=, filter_prefix=, specify_prefix=, choice_func=, crc_check=)
 * without `net`: returns the tensor entries as Parameters keyed and named by tag. `str` entries (append_dict strings)
 * are not in the Map — use readCheckpoint to get them; MapParameter and `random_op` entries are skipped.
 * Load into a Cell with loadParamIntoNet.
 */
export function loadCheckpoint(path: string, opts: LoadCheckpointOptions = {}): Map<string, Parameter> {
  return readCheckpoint(path, opts).params;
}

// ---------------------------------------------------------------------------------------------------------------------
// load_param_into_net

const FLOAT_KINDS: ReadonlySet<DType> = new Set(['float16', 'float32', 'float64']);
const SIGNED_INT_KINDS: ReadonlySet<DType> = new Set(['int8', 'int32', 'int64']);

/** Cast element data between dtypes of the same kind (astype: float rounding, int wrap-around). */
function castData(src: Tensor, dtype: DType): TypedData {
  const out = allocData(dtype, src.size);
  const s = src.data;
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < s.length; i++) out[i] = typeof s[i] === 'bigint' ? s[i] as bigint : BigInt(Math.trunc(s[i] as number));
  } else if (s instanceof BigInt64Array) {
    const bits = dtype === 'int32' ? 32 : 8;
    for (let i = 0; i < s.length; i++) out[i] = Number(BigInt.asIntN(bits, s[i]!));
  } else if (dtype === 'float16') {
    for (let i = 0; i < s.length; i++) out[i] = roundToFloat16(s[i] as number);
  } else {
    for (let i = 0; i < s.length; i++) out[i] = s[i] as number; // typed-array stores round (float) or wrap (int)
  }
  return out;
}

/** True when `ckpt` is `net` plus trailing 1s, e.g. (12, 2048, 1, 1) for (12, 2048) (MindSpore _special_process_par). */
function isTrailingOnes(net: Shape, ckpt: Shape): boolean {
  if (ckpt.length <= net.length) return false;
  for (let i = 0; i < net.length; i++) if (net[i] !== ckpt[i]) return false;
  for (let i = net.length; i < ckpt.length; i++) if (ckpt[i] !== 1) return false;
  return true;
}

export interface LoadParamResult {
  /** Net parameters that got no value, in net order. */
  paramNotLoad: string[];
  /** Checkpoint entries no net parameter used, in map order. */
  ckptNotLoad: string[];
}

/**
 * mindspore.load_param_into_net(net, parameter_dict, strict_load=False).
 *
 * Each net parameter takes the entry with its exact name. With strictLoad false, parameters still missing are retried
 * with the prefix MindSpore infers (a checkpoint name ending with a missing name gives the prefix, e.g. `network.`),
 * and float↔float or signed-int↔signed-int dtype differences are cast (with a warning). A shape difference is an error,
 * except a checkpoint shape that is the net shape plus trailing 1s, which is reshaped. Any other dtype difference is an
 * error. Missing parameters never throw (names starting with `accu_grads` are not even reported).
 *
 * Differences from MindSpore: everything is checked before any parameter changes (MindSpore can fail half-way), data
 * is copied, and checkpoint entries used through the prefix fallback are not reported in ckptNotLoad.
 */
export function loadParamIntoNet(net: Cell, paramDict: ReadonlyMap<string, Tensor>, strictLoad = false,
  opts: { onWarning?: (message: string) => void } = {}): LoadParamResult {
  if (!(net instanceof Cell)) throw new UsageError('load_param_into_net: net must be a Cell');
  if (!(paramDict instanceof Map)) throw new UsageError('load_param_into_net: paramDict must be a Map of name → Parameter');
  const warn = opts.onWarning ?? defaultWarn;
  const netParams = net.parametersAndNames().map(([, p]) => p);
  const plan: [Parameter, string][] = [];
  const missing: Parameter[] = [];
  for (const p of netParams) {
    if (paramDict.has(p.name)) plan.push([p, p.name]);
    else if (!p.name.startsWith('accu_grads')) missing.push(p);
  }

  if (missing.length > 0 && !strictLoad) {
    // _load_dismatch_prefix_params: find a checkpoint name ending with a missing name, take its prefix, retry all
    for (;;) {
      let prefix: string | null = null;
      outer: for (const p of missing) {
        for (const k of paramDict.keys()) {
          if (k.endsWith(p.name) && k !== p.name) { prefix = k.slice(0, k.length - p.name.length); break outer; }
        }
      }
      if (prefix === null) break;
      warn(`load_param_into_net: net parameters not found by name; loading them with the checkpoint prefix '${prefix}'`);
      const before = missing.length;
      for (let i = 0; i < missing.length; i++) {
        const p = missing[i]!;
        if (paramDict.has(prefix + p.name)) { plan.push([p, prefix + p.name]); missing.splice(i--, 1); }
      }
      if (missing.length === before || missing.length === 0) break;
    }
  }

  const casts: string[] = [];
  const updates: [Parameter, Tensor][] = plan.map(([p, key]) => {
    const src = paramDict.get(key)!;
    if (!(src instanceof Tensor)) throw new UsageError(`load_param_into_net: entry '${key}' is not a Tensor or Parameter`);
    const same = src.shape.length === p.shape.length && src.shape.every((d, i) => d === p.shape[i]);
    if (!same && !isTrailingOnes(p.shape, src.shape)) {
      throw new ModelLoadError(`load_param_into_net: '${p.name}' has shape ${shapeStr(p.shape)} in the net but ${shapeStr(src.shape)} in the checkpoint${key === p.name ? '' : ` ('${key}')`}`);
    }
    let data: TypedData;
    if (src.dtype === p.dtype) data = src.data.slice();
    else {
      const castable = !strictLoad && ((FLOAT_KINDS.has(src.dtype) && FLOAT_KINDS.has(p.dtype)) || (SIGNED_INT_KINDS.has(src.dtype) && SIGNED_INT_KINDS.has(p.dtype)));
      if (!castable) {
        throw new ModelLoadError(`load_param_into_net: '${p.name}' has dtype ${msDTypeName[p.dtype]} in the net but ${msDTypeName[src.dtype]} in the checkpoint${key === p.name ? '' : ` ('${key}')`}${strictLoad ? ' (strictLoad)' : ''}`);
      }
      data = castData(src, p.dtype);
      casts.push(`load_param_into_net: '${key}' converted from ${msDTypeName[src.dtype]} to ${msDTypeName[p.dtype]}`);
    }
    return [p, new Tensor(data, p.shape, p.dtype)];
  });
  for (const [p, t] of updates) p.setData(t);
  for (const c of casts) warn(c);
  const used = new Set(plan.map(([, key]) => key));
  return { paramNotLoad: missing.map(p => p.name), ckptNotLoad: [...paramDict.keys()].filter(k => !used.has(k)) };
}
