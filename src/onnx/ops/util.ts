import type { Tensor } from '../../runtime/tensor.js';

/** Integer values of a 1-D (or scalar) tensor input such as a shape, axes or pads. */
export function intsOf(t: Tensor | undefined, what: string): number[] {
  if (!t) throw new Error(`${what} is missing`);
  return t.toArray().map(v => Math.trunc(v));
}

export const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/**
 * The shortest decimal that rounds to the same float32: ONNX stores float attributes as float32, so a PyTorch
 * `eps=1e-5` arrives as 9.999999747e-6; the Cell should carry the value the user wrote.
 */
export function shortestFloat32(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const d = +v.toPrecision(p);
    if (Math.fround(d) === Math.fround(v)) return d;
  }
  return v;
}
