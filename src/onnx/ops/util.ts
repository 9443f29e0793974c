import type { Tensor } from '../../runtime/tensor.js';

/** Integer values of a 1-D (or scalar) tensor input such as a shape, axes or pads. */
export function intsOf(t: Tensor | undefined, what: string): number[] {
  if (!t) throw new Error(`${what} is missing`);
  return t.toArray().map(v => Math.trunc(v));
}

export const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);
