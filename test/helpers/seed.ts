/** Helpers for the seed-document tests (test/seeds): value comparison and Python's print formats. */
import { expect } from 'vitest';
import { Tensor } from '../../src/runtime/tensor.js';

type Nested = number | Nested[];
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

/**
 * Compare against values a seed printed. Float32 values printed to ~8 significant digits carry a rounding error of at
 * most ~5e-8 relative, and float32 arithmetic adds a few ulps (6e-8 each), so the default tolerance is 1e-6
 * relative, with an absolute floor of `rtol` for values near zero. A nested `expected` checks the shape first; a flat
 * one compares the elements in row-major order.
 */
export function expectClose(actual: Tensor | number[], expected: Nested, rtol = 1e-6): void {
  if (actual instanceof Tensor && Array.isArray(expected) && Array.isArray(expected[0])) {
    const shape: number[] = [];
    for (let e: Nested = expected; Array.isArray(e); e = e[0]!) shape.push(e.length);
    expect(actual.shape, 'shape').toEqual(shape);
  }
  const a = actual instanceof Tensor ? actual.toArray() : actual, e = flat(expected);
  expect(a.length, 'element count').toBe(e.length);
  a.forEach((v, i) => {
    const tol = rtol * Math.max(1, Math.abs(e[i]!));
    expect(Math.abs(v - e[i]!), `element ${i}: ${v} vs ${e[i]}`).toBeLessThanOrEqual(tol);
  });
}

/** Python's `print([a, b])` of objects with a repr. */
export const pyList = (items: readonly unknown[]): string => `[${items.map(String).join(', ')}]`;
/** Python's `print((a, b))`; a one-element tuple keeps its trailing comma: `(a,)`. */
export const pyTuple = (items: readonly unknown[]): string => `(${items.map(String).join(', ')}${items.length === 1 ? ',' : ''})`;
/** Python's `print({'k': v})` of a str-keyed dict. */
export const pyDict = (entries: Iterable<readonly [string, unknown]>): string =>
  `{${[...entries].map(([k, v]) => `'${k}': ${String(v)}`).join(', ')}}`;

/**
 * The seed renders (web pages turned into text) collapse runs of spaces, and one was printed on Windows, whose C
 * runtime writes three exponent digits (`0.00000000e+000`). This puts a MindSpore repr into that shape: runs of
 * blanks become one space, no space follows `[`, and exponents get two digits.
 */
export function asRendered(s: string): string {
  return s.replace(/e([+-])0(\d\d)\b/g, 'e$1$2').replace(/[ \t]+/g, ' ').replace(/\[ /g, '[').replace(/ \n/g, '\n').trim();
}

/** w and b of seed 000's Network as its `parameters_and_names()` loop printed them; seed 001 uses the same shapes. */
export const SEED_000_W: number[][] = [
  [4.15680408e-02, -1.20311625e-01, 5.02573885e-02],
  [1.22175144e-04, -1.34980649e-01, 1.17642188e+00],
  [7.57667869e-02, -1.74758151e-01, -5.19092619e-01],
  [-1.67846107e+00, 3.27240258e-01, -2.06452996e-01],
  [5.72323874e-02, -8.27963874e-02, 5.94243526e-01],
];
export const SEED_000_B = [-1.2192779, -0.36789745, 0.0946381];
