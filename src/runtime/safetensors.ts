/**
 * safetensors I/O as MindSpore 2.4+ does it (save_checkpoint / load_checkpoint with format="safetensors"), see
 * shared/reference/checkpoint-format.md §4.
 *
 * File: u64 LE header length N, N bytes of UTF-8 JSON `{"__metadata__": {...}, "<name>": {"dtype", "shape",
 * "data_offsets": [begin, end]}, ...}` padded with spaces to a multiple of 8, then the tensor bytes (LE, C order),
 * covering the buffer exactly. The writer lays tensors out like the HF writer MindSpore calls (dtype alignment
 * descending, then name) and always stores `__metadata__: {"format": "ms"}`.
 */
import { resolve } from 'node:path';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Parameter } from './parameter.js';
import { Tensor, shapeSize, shapeStr } from './tensor.js';
import { DType } from './dtype.js';
import { ModelLoadError, MsportError, UsageError } from '../errors.js';
import { readFileRange } from './read-at.js';
import { bytesToTypedData, collectSaveEntries, crc32, itemSize, readWholeFile, SaveObject, tensorToBytes, writeFileAtomic } from './checkpoint.js';

/** safetensors dtype for each runtime dtype. */
const ST_DTYPE: Record<DType, string> = {
  bool: 'BOOL', uint8: 'U8', int8: 'I8', float16: 'F16', int32: 'I32', float32: 'F32', float64: 'F64', int64: 'I64',
};
const FROM_ST: ReadonlyMap<string, DType> = new Map((Object.entries(ST_DTYPE) as [DType, string][]).map(([d, s]) => [s, d]));
/** Accepted by MindSpore's reader but with no runtime dtype. */
const MS_ONLY_ST = new Set(['I16', 'U16', 'U32', 'U64', 'BF16']);
/** HF Dtype enum order (alignment ascending); the writer sorts by it descending, then by name. */
const ALIGN_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
const MAX_HEADER = 100_000_000;
const utf8 = new TextEncoder();

export interface SaveSafetensorsOptions {
  /** Extra `__metadata__` entries (string values), after `format: "ms"`. */
  metadata?: Record<string, string>;
  /** Store `crc_num` in the metadata: CRC32 chained over each name (UTF-8) and its bytes, in sorted-name order. */
  crcCheck?: boolean;
  /** Save only the parameters whose name it accepts. */
  choiceFunc?: (name: string) => boolean;
}

/** The path saveSafetensors writes to: `.safetensors` appended when missing. */
export function safetensorsPath(path: string): string {
  return path.endsWith('.safetensors') ? path : `${path}.safetensors`;
}

/** The complete file bytes (header and data) saveSafetensors writes, as parts. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, opts: Omit<SaveSafetensorsOptions, 'choiceFunc'> = {}): Uint8Array[] {
  const items = [...tensors].map(([name, t]) => ({ name, t, dtype: ST_DTYPE[t.dtype], bytes: tensorToBytes(t) }));
  const meta: Record<string, string> = { format: 'ms' };
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    if (typeof v !== 'string') throw new UsageError(`save_safetensors: metadata['${k}'] must be a string`);
    meta[k] = v;
  }
  if (opts.crcCheck) {
    let crc = 0;
    for (const it of [...items].sort((a, b) => cmp(a.name, b.name))) { crc = crc32(utf8.encode(it.name), crc); crc = crc32(it.bytes, crc); }
    meta.crc_num = String(crc);
  }
  items.sort((a, b) => ALIGN_ORDER.indexOf(b.dtype) - ALIGN_ORDER.indexOf(a.dtype) || cmp(a.name, b.name));
  // built by hand: JSON.stringify of an object would move integer-like names ("0") ahead of the others
  const fields: string[] = [];
  if (items.length > 0) fields.push(`"__metadata__":${JSON.stringify(meta)}`); // MindSpore passes no metadata when there is nothing to save
  let off = 0;
  for (const it of items) {
    fields.push(`${JSON.stringify(it.name)}:${JSON.stringify({ dtype: it.dtype, shape: [...it.t.shape], data_offsets: [off, off + it.bytes.length] })}`);
    off += it.bytes.length;
  }
  let json = `{${fields.join(',')}}`;
  const pad = (8 - (utf8.encode(json).length % 8)) % 8;
  json += ' '.repeat(pad);
  const hb = utf8.encode(json);
  const lenB = new Uint8Array(8);
  new DataView(lenB.buffer).setBigUint64(0, BigInt(hb.length), true);
  return [lenB, hb, ...items.map(it => it.bytes)];
}

/** Byte-wise (UTF-8 / code point) string order, as Rust's String Ord and Python's sorted() on str. */
function cmp(a: string, b: string): number {
  const x = [...a].map(c => c.codePointAt(0)!), y = [...b].map(c => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * save_checkpoint(save_obj, path, format="safetensors"): the same save objects as saveCheckpoint. Atomic write, file
 * left read-only (0400) as MindSpore does. Returns the path written (`.safetensors` added when missing).
 */
export function saveSafetensors(saveObj: SaveObject, path: string, opts: SaveSafetensorsOptions = {}): string {
  const file = resolve(safetensorsPath(path));
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`save_safetensors: ${file} is a directory, expected a file name`);
  } catch (e) {
    if (e instanceof MsportError) throw e;
  }
  const parts = encodeSafetensors(collectSaveEntries(saveObj, opts.choiceFunc, 'save_safetensors'), opts);
  writeFileAtomic(file, 'save_safetensors', write => { for (const p of parts) write(p); }, true);
  return file;
}

export interface LoadSafetensorsOptions {
  /** Keep a tensor when it returns true. */
  choiceFunc?: (name: string) => boolean;
  /** Verify the `crc_num` metadata (see SaveSafetensorsOptions.crcCheck); a file without it only warns. */
  crcCheck?: boolean;
  onWarning?: (message: string) => void;
}

export interface SafetensorsContents {
  params: Map<string, Parameter>;
  /** `__metadata__`, or null when absent. */
  metadata: Record<string, string> | null;
}

function bad(file: string, detail: string): ModelLoadError {
  return new ModelLoadError(`safetensors ${file}: ${detail}`);
}

interface HeaderEntry { name: string; st: string; shape: number[]; begin: number; end: number }

/** The header of a safetensors file of `fileBytes` bytes whose first 8 + n bytes are `head`: validated as the HF reader. */
function parseHeader(file: string, head: Uint8Array, fileBytes: number): { metadata: Record<string, string> | null; infos: HeaderEntry[]; dataStart: number } {
  if (fileBytes < 8 || head.length < 8) throw bad(file, `file is ${fileBytes} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(file, `header length ${n64} is larger than ${MAX_HEADER}`);
  const n = Number(n64);
  if (8 + n > fileBytes || 8 + n > head.length) throw bad(file, `truncated: header needs ${n} bytes, ${fileBytes - 8} remain`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(file, `header is not valid UTF-8 JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad(file, 'header is not a JSON object');
  const h = header as Record<string, unknown>;
  let metadata: Record<string, string> | null = null;
  if (Object.hasOwn(h, '__metadata__')) {
    const m = h.__metadata__;
    if (!m || typeof m !== 'object' || Array.isArray(m) || Object.values(m).some(v => typeof v !== 'string')) {
      throw bad(file, '__metadata__ must be an object of strings');
    }
    metadata = m as Record<string, string>;
  }
  const dataStart = 8 + n;
  const infos = Object.entries(h).filter(([k]) => k !== '__metadata__').map(([name, v]) => {
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const isUint = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!info || typeof info !== 'object' || typeof info.dtype !== 'string' || !Array.isArray(info.shape) || !info.shape.every(isUint)
      || !Array.isArray(info.data_offsets) || info.data_offsets.length !== 2 || !info.data_offsets.every(isUint)) {
      throw bad(file, `tensor '${name}' needs dtype, shape (non-negative integers) and data_offsets [begin, end]`);
    }
    const [begin, end] = info.data_offsets as [number, number];
    return { name, st: info.dtype, shape: info.shape as number[], begin, end };
  });
  // validate as the HF reader: sorted by offset, contiguous from 0, sizes matching, covering the buffer exactly
  let pos = 0;
  for (const it of [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (it.begin !== pos || it.end < it.begin) throw bad(file, `tensor '${it.name}' has data_offsets [${it.begin}, ${it.end}], expected to start at ${pos}`);
    pos = it.end;
  }
  if (dataStart + pos !== fileBytes) throw bad(file, `tensor data ends at byte ${dataStart + pos} but the file has ${fileBytes} bytes (truncated or trailing data)`);
  return { metadata, infos, dataStart };
}

/** A tensor's values from its bytes, as the msport runtime holds them (checked against its dtype and shape). */
function tensorOf(file: string, it: HeaderEntry, data: Uint8Array, metadata: Record<string, string> | null): Tensor {
  if (metadata && Object.hasOwn(metadata, it.name)) throw bad(file, `tensor '${it.name}' is stored as ${metadata[it.name]} (metadata), which the msport runtime does not support`);
  const dtype = FROM_ST.get(it.st);
  if (!dtype) {
    if (MS_ONLY_ST.has(it.st)) throw bad(file, `tensor '${it.name}' has dtype ${it.st}, which the msport runtime does not support`);
    throw bad(file, `tensor '${it.name}' has unknown dtype '${it.st}'`);
  }
  const count = shapeSize(it.shape);
  if (data.length !== count * itemSize(dtype)) throw bad(file, `tensor '${it.name}' has ${data.length} bytes but shape ${shapeStr(it.shape)} ${it.st} needs ${count * itemSize(dtype)}`);
  return new Tensor(bytesToTypedData(data, dtype, count), it.shape, dtype);
}

/**
 * A safetensors file's tensors by name, each read from the file when asked for (a streamed check reads a block's
 * weights only while the block runs): only the header is read here.
 */
export function safetensorsIndex(path: string): { shapes: Map<string, readonly number[]>; read: (name: string) => Tensor } {
  const file = resolve(path);
  let fd: number;
  try { fd = openSync(file, 'r'); } catch (e) { throw new UsageError(`safetensors ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`); }
  let parsed: ReturnType<typeof parseHeader>;
  try {
    const size = fstatSync(fd).size;
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const head = Buffer.alloc(Math.min(8 + Math.min(n, MAX_HEADER + 1), size));
    readSync(fd, head, 0, head.length, 0);
    parsed = parseHeader(file, head, size);
  } finally { closeSync(fd); }
  const { metadata, infos, dataStart } = parsed;
  const byName = new Map(infos.map(it => [it.name, it]));
  return {
    shapes: new Map(infos.map(it => [it.name, it.shape])),
    read: name => {
      const it = byName.get(name);
      if (!it) throw new UsageError(`safetensors ${file}: no tensor '${name}'`);
      let data: Uint8Array;
      try { data = readFileRange(file, dataStart + it.begin, it.end - it.begin); } catch (e) { throw bad(file, `tensor '${name}': ${(e as Error).message}`); }
      return tensorOf(file, it, data, metadata);
    },
  };
}

/** Parse a safetensors file: header, metadata and every tensor (names in sorted order, as MindSpore's loader). */
export function readSafetensors(path: string, opts: LoadSafetensorsOptions = {}): SafetensorsContents {
  const file = resolve(path);
  const buf = readWholeFile(file, 'safetensors');
  const { metadata, infos, dataStart } = parseHeader(file, buf, buf.length);

  const sorted = infos.sort((a, b) => cmp(a.name, b.name));
  const params = new Map<string, Parameter>();
  let crc = 0;
  for (const it of sorted) {
    const data = buf.subarray(dataStart + it.begin, dataStart + it.end);
    if (opts.crcCheck) { crc = crc32(utf8.encode(it.name), crc); crc = crc32(data, crc); }
    if (opts.choiceFunc && !opts.choiceFunc(it.name)) continue;
    params.set(it.name, new Parameter(tensorOf(file, it, data, metadata), it.name));
  }
  if (opts.crcCheck) {
    const stored = metadata?.crc_num;
    if (stored === undefined) (opts.onWarning ?? (m => process.emitWarning(m, { code: 'MSPORT_CHECKPOINT' })))(`safetensors ${file}: no crc_num in the metadata, the CRC cannot be checked`);
    else if (stored !== String(crc)) throw bad(file, `CRC check failed (stored ${stored}, computed ${crc}); the file is damaged`);
  }
  return { params, metadata };
}

/**
 * load_checkpoint(path, format="safetensors") without a net: tensors as Parameters keyed and named by tensor name, in
 * sorted-name order. Load into a Cell with loadParamIntoNet.
 */
export function loadSafetensors(path: string, opts: LoadSafetensorsOptions = {}): Map<string, Parameter> {
  if (!path.endsWith('.safetensors')) throw new UsageError(`load_safetensors: the file name must end with .safetensors: ${path}`);
  return readSafetensors(path, opts).params;
}
