/** Minimal .npy reader/writer (format 1.0–3.0, little-endian, C order) for user-supplied inputs. */
import { readFileSync } from 'node:fs';
import { DType } from '../runtime/dtype.js';
import { Tensor, shapeSize } from '../runtime/tensor.js';
import { UsageError } from '../errors.js';

const DESCR: Record<string, DType> = { '<f4': 'float32', '<f8': 'float64', '<i8': 'int64', '<i4': 'int32', '|i1': 'int8', '|u1': 'uint8', '|b1': 'bool', '<f2': 'float16' };

/** `info.stored` receives the dtype the file holds (a float64 file is read as float32). */
export function readNpy(path: string, info?: { stored?: DType }): Tensor {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch { throw new UsageError(`cannot read input file ${path}`); }
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, info);
}

export function parseNpy(b: Uint8Array, what = 'npy', info?: { stored?: DType }): Tensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (b.length < 10 || magic.some((m, i) => b[i] !== m)) throw new UsageError(`${what}: not a .npy file (bad magic)`);
  const major = b[6]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (hstart + hlen > b.length) throw new UsageError(`${what}: truncated .npy header`);
  const header = Buffer.from(b.subarray(hstart, hstart + hlen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new UsageError(`${what}: unreadable .npy header`);
  if (fortran === 'True') throw new UsageError(`${what}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const dtype = DESCR[descr];
  if (!dtype) throw new UsageError(`${what}: dtype '${descr}' is not supported (use float32, float64, int64, int32, int8, uint8 or bool, little-endian)`);
  if (info) info.stored = dtype;
  const shape = shapeStr.split(',').map(s => s.trim()).filter(s => s.length).map(Number);
  if (shape.some(d => !Number.isInteger(d) || d < 0)) throw new UsageError(`${what}: bad shape (${shapeStr})`);
  const n = shapeSize(shape);
  const itemBytes = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1, float16: 2 }[dtype];
  const off = hstart + hlen;
  if (b.length - off !== n * itemBytes) throw new UsageError(`${what}: shape (${shape.join(', ')}) needs ${n * itemBytes} data bytes, file has ${b.length - off}`);
  const data = b.slice(off).buffer; // own, aligned copy
  switch (dtype) {
    case 'float32': return new Tensor(new Float32Array(data), shape, dtype);
    case 'float64': return new Tensor(Float32Array.from(new Float64Array(data)), shape, 'float32');
    case 'int64': return new Tensor(new BigInt64Array(data), shape, dtype);
    case 'int32': return new Tensor(new Int32Array(data), shape, dtype);
    case 'int8': return new Tensor(new Int8Array(data), shape, dtype);
    case 'uint8': case 'bool': return new Tensor(new Uint8Array(data), shape, dtype);
    case 'float16': throw new UsageError(`${what}: float16 .npy inputs are not supported yet; save as float32`);
  }
}

export function writeNpy(t: Tensor): Uint8Array {
  const descr = { float32: '<f4', float16: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', int8: '|i1', uint8: '|u1', bool: '|b1' }[t.dtype];
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${t.shape.join(', ')}${t.ndim === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(data, 10 + header.length);
  return out;
}
