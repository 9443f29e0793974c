/**
 * float16 tensors (held in float32 storage): every op's float16 result is rounded to binary16, as a half-precision
 * network's every op is in MindSpore and onnxruntime; and float16 values cross to onnxruntime as binary16 bits.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Tensor } from '../../src/runtime/tensor.js';
import * as F from '../../src/runtime/functional.js';
import { fromOrt, toOrt } from '../../src/compare/runners.js';
import { float16BitsToNumber, float16Exact, roundToFloat16 } from '../../src/runtime/dtype.js';

const f16 = (xs: number[]): Tensor => new Tensor(Float32Array.from(xs), [xs.length], 'float16');

describe('float16', () => {
  it('rounds each op result to binary16 (ties to even)', () => {
    // 1 + 2⁻¹² is halfway between 1 and 1 + 2⁻¹⁰ (float16's next value): ties to even gives 1; 1 + 3·2⁻¹² rounds up
    const y = F.add(f16([1, 1]), f16([2 ** -12, 3 * 2 ** -12]));
    expect(y.dtype).toBe('float16');
    expect(Array.from(y.data as Float32Array)).toEqual([1, 1 + 2 ** -10]);
    // a product of two float16 values is exact in float32 and rounded once: 1.5 · (1 + 2⁻¹⁰) = 1.5 + 1.5·2⁻¹⁰ → 1.5 + 2⁻⁹
    expect(Array.from(F.mul(f16([1.5]), f16([1 + 2 ** -10])).data as Float32Array)).toEqual([1.5 + 2 ** -9]);
    // beyond float16's range: infinity
    expect(Array.from(F.mul(f16([300]), f16([300])).data as Float32Array)).toEqual([Infinity]);
  });

  it("computes Sigmoid, SiLU and Softmax in MindSpore's float16 steps (values MindSpore 2.10 gave; conformance sweeps all)", () => {
    // exp(11.09) overflows float16: MindSpore's float16 Sigmoid is 0 and SiLU −0 there (float32-then-round: 1.5e-5, −1.7e-4)
    const s = F.sigmoid(f16([-11.09375, 0.000733375549316, 0]));
    expect(Array.from(s.data as Float32Array)).toEqual([0, 0.50048828125, 0.5]);
    const si = F.silu(f16([-11.09375, 1.927734375]));
    expect(Object.is((si.data as Float32Array)[0], -0)).toBe(true);
    expect((si.data as Float32Array)[1]).toBe(1.6826171875); // 1.683 from MindSpore (float32-then-round: 1.682)
    // a row's softmax: every step rounded, so the row need not sum to 1 exactly; it does to within float16's roundoff
    const p = F.softmax(new Tensor(Float32Array.from([1, 2, 3, 4]), [1, 4], 'float16'), -1).data as Float32Array;
    expect(Array.from(p).every(v => v === Math.fround(v))).toBe(true);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(4 * 2 ** -11);
  });

  it('keeps the sign of a float16 zero (−0 · x and an underflowing negative product are −0)', () => {
    const y = F.mul(f16([-0, 6e-8, 2]), f16([6.145, -0.4412, 3])).data as Float32Array;
    expect([Object.is(y[0], -0), Object.is(y[1], -0), y[2]]).toEqual([true, true, 6]);
  });

  it('rounds a float32 value through its bits exactly as the exact rounding does (every midpoint, 2^20 random bit patterns)', () => {
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    const same = (x: number): boolean => Object.is(roundToFloat16(x), float16Exact.round(x)) || (Number.isNaN(x) && Number.isNaN(roundToFloat16(x)));
    let bad = 0;
    // every binary16 value, the midpoints between neighbours (ties) and a float32 step either side of each
    for (let h = 0; h < 0x7c00; h++) {
      const a = float16Exact.decode(h), b = float16Exact.decode(h + 1);
      for (const s of [1, -1]) {
        const mid = Math.fround(s * (a + b) / 2);
        f[0] = mid; const m = u[0]!;
        for (const bits of [m - 1, m, m + 1]) { u[0] = bits; if (!same(f[0]!)) bad++; }
        if (!same(s * a)) bad++;
      }
    }
    let seed = 7;
    for (let i = 0; i < 1 << 20; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; u[0] = seed; if (!same(f[0]!)) bad++; }
    expect(bad).toBe(0);
    for (let h = 0; h < 65536; h++) if (!Object.is(float16BitsToNumber(h), float16Exact.decode(h)) && !Number.isNaN(float16Exact.decode(h))) bad++;
    expect(bad).toBe(0);
  });

  it('crosses to and from onnxruntime as binary16 bits', () => {
    const t = f16([1, -2.5, 65504, 2 ** -24]);
    const o = toOrt(t);
    expect(o.type).toBe('float16');
    expect(Array.from(o.data as Uint16Array)).toEqual([0x3c00, 0xc100, 0x7bff, 0x0001]);
    const back = fromOrt(new ort.Tensor('float16', new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001]), [4]));
    expect(back.dtype).toBe('float16');
    expect(Array.from(back.data as Float32Array)).toEqual([1, -2.5, 65504, 2 ** -24]);
  });
});
