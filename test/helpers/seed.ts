/** Helpers for the seed-document tests (test/seeds): value comparison and Python's print formats. */
import { readFileSync } from 'node:fs';
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
export const SEED_000_W: number[][] = JSON.parse(readFileSync(new URL('../seeds/seed-inputs.json', import.meta.url), 'utf8'))['000'].w;
export const SEED_000_B: number[] = JSON.parse(readFileSync(new URL('../seeds/seed-inputs.json', import.meta.url), 'utf8'))['000'].b;

/**
 * What MindSpore 2.10 prints for a seed example: test/seeds/golden.json, written and checked against real MindSpore
 * by conformance/test_seeds.py (run in MindSpore, never copied by hand).
 */
export function golden<T = unknown>(key: string): T {
  const all = JSON.parse(readFileSync(new URL('../seeds/golden.json', import.meta.url), 'utf8')) as Record<string, { value: T }>;
  const g = all[key];
  if (!g) throw new Error(`test/seeds/golden.json has no '${key}': add it to conformance/seed_programs.py`);
  return g.value;
}

/** The seed examples' inputs, shared with conformance/seed_programs.py. */
export const seedInputs = JSON.parse(readFileSync(new URL('../seeds/seed-inputs.json', import.meta.url), 'utf8')) as
  { '000': { w: number[][]; b: number[] }; '002': { x: number[][]; y: number[][] } };

/** An unnamed Parameter is `Parameter#<n>` in MindSpore 2.10, n a process-wide counter. */
export const anyGeneratedName = (s: string): string => s.replace(/Parameter#\d+/g, 'Parameter#<n>');
