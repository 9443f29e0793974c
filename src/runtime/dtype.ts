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

/**
 * Round a number to the nearest binary16 value (ties to even), returned as a number: how msport emulates float16
 * compute. A value a Float32Array holds (every op result) goes through its bits and a table; any other double is
 * rounded once from its exact value (never through float32, which could round a second time).
 */
export function roundToFloat16(v: number): number {
  return Math.fround(v) === v ? F16_VALUES[f32ToFloat16Bits(v)]! : roundToFloat16Exact(v);
}

function roundToFloat16Exact(v: number): number {
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
  return F16_VALUES[h & 0xffff]!;
}

function float16BitsToNumberSlow(h: number): number {
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
  if (Math.fround(v) === v) return f32ToFloat16Bits(v);
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

/** every binary16 value, by bit pattern */
const F16_VALUES = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = float16BitsToNumberSlow(h);
  return t;
})();

const u32 = new Uint32Array(f32.buffer);

/** binary16 bits of a float32 value, rounded to nearest even from its bits (exact: `x` must be a float32 value) */
export function f32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 112; // binary16's biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // a subnormal binary16 (or zero): m·2⁻²⁴, m = the significand shifted right by 14 − e, ties to even
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e, half = 1 << (shift - 1), rem = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rem > half || (rem === half && (m & 1))) m++;
    return sign | m; // m = 0x400 is the smallest normal's bits
  }
  let m = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) { m = 0; e++; if (e >= 31) return sign | 0x7c00; }
  }
  return sign | (e << 10) | m;
}

/** the exact (slow) forms, for tests */
export const float16Exact = { round: (v: number): number => roundToFloat16Exact(v), decode: (h: number): number => float16BitsToNumberSlow(h) };
