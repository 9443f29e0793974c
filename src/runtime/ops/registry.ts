import { Tensor } from '../tensor.js';

/** Attribute bag of an op: plain JSON-like values, parsed before they reach a kernel. */
export type Attrs = Record<string, unknown>;

/**
 * One op: its forward and (when differentiable) its backward, side by side.
 * `backward` gets the output gradient and what forward saw, and returns one gradient per input (null = not differentiable
 * w.r.t. that input). Ops without a backward must say why in `noGrad`.
 */
export interface OpDef<A = Attrs> {
  name: string;
  forward(inputs: Tensor[], attrs: A): Tensor | Tensor[];
  backward?(dy: Tensor, inputs: Tensor[], out: Tensor, attrs: A): (Tensor | null)[];
  noGrad?: string;
}

export function defineOp<A = Attrs>(op: OpDef<A>): OpDef<A> {
  if (!op.backward && !op.noGrad) throw new Error(`op ${op.name}: give a backward or a noGrad reason`);
  return op;
}

const registry = new Map<string, OpDef<any>>();

export function registerOps(ops: readonly OpDef<any>[]): void {
  for (const op of ops) {
    if (registry.has(op.name)) throw new Error(`op ${op.name} registered twice`);
    registry.set(op.name, op);
  }
}

export function getOp(name: string): OpDef<any> {
  const op = registry.get(name);
  if (!op) throw new Error(`unknown op ${name}`);
  return op;
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}
