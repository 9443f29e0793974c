/** Element types the runtime stores. float16 tensors are stored widened to float32 (values rounded to binary16). */
export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** MindSpore prints dtypes in CamelCase (`Float32`, `Int64`, `Bool`); reprs must match it exactly. */
export const msDTypeName: Record<DType, string> = {
  float32: 'Float32', float16: 'Float16', float64: 'Float64', int64: 'Int64', int32: 'Int32',
  int8: 'Int8', uint8: 'UInt8', bool: 'Bool',
};

export function allocData(dtype: DType, size: number): TypedData {
  switch (dtype) {
    case 'float32': case 'float16': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int64': return new BigInt64Array(size);
    case 'int32': return new Int32Array(size);
    case 'int8': return new Int8Array(size);
    case 'uint8': case 'bool': return new Uint8Array(size);
  }
}

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float16' || d === 'float64';
export const isInt = (d: DType): boolean => d === 'int64' || d === 'int32' || d === 'int8' || d === 'uint8';

const f32 = new Float32Array(1);

/** Round a float32 value to the nearest binary16 value (ties to even), returned as a number. Used to emulate float16 compute. */
export function roundToFloat16(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  if (a >= 65520) return v > 0 ? Infinity : -Infinity;
  // a zero keeps its sign, −0 included (v·0: a float16 product or sum that underflows is a signed zero in MindSpore)
  if (a < 2 ** -24 * 0.5) return v * 0;
  // spacing of binary16 values around a: 2^(e-10) for normals, 2^-24 for subnormals
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) < 1e-12 && r % 2 === 1) r -= 1; // ties to even
  return Math.sign(v) * r * ulp;
}

/** Decode an IEEE binary16 bit pattern. */
export function float16BitsToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Encode a number as IEEE binary16 bits (round to nearest even). */
export function numberToFloat16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const r = roundToFloat16(v);
  const s = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return s | 0x7c00;
  if (a === 0) return s;
  if (a < 2 ** -14) return s | Math.round(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return s | ((e + 15) << 10) | m;
}

/** Round to float32 exactly as a Float32Array store would. */
export function roundToFloat32(v: number): number {
  f32[0] = v;
  return f32[0]!;
}
