/**
 * The value encoding of the conformance exchange format (conformance/README.md), read here and by
 * conformance/msbridge/values.py: JSON scalars and strings as they are, a JSON array is a Python tuple, and tagged
 * objects for what JSON lacks — {"list": [...]}, {"float": "nan"|"inf"|"-inf"}, {"tensor": key}, {"dtype": name},
 * {"cell": CellSpec}, {"init": name, "args": [...], "kwargs": {...}}. Each side decodes into its own objects.
 */
import { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface CellSpec { cls: string; args?: Json[]; kwargs?: Record<string, Json> }

/** A decoded value: what a factory receives for one Python argument. */
export type Value = null | boolean | number | string | Value[] | Tensor | { dtype: DType } | { cell: CellSpec } | InitValue;
export interface InitValue { init: string; args: Value[]; kwargs: Record<string, Value> }

export class BridgeError extends Error {}

export function decode(v: Json, tensor: (key: string) => Tensor): Value {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(x => decode(x, tensor));
  if ('list' in v) return (v.list as Json[]).map(x => decode(x, tensor));
  if ('float' in v) return Number(String(v.float).replace('inf', 'Infinity').replace('nan', 'NaN'));
  if ('tensor' in v) return tensor(String(v.tensor));
  if ('dtype' in v) return { dtype: String(v.dtype) as DType };
  if ('cell' in v) return { cell: v.cell as unknown as CellSpec };
  if ('init' in v) {
    const kw: Record<string, Value> = {};
    for (const [k, x] of Object.entries((v.kwargs ?? {}) as Record<string, Json>)) kw[k] = decode(x, tensor);
    return { init: String(v.init), args: ((v.args ?? []) as Json[]).map(x => decode(x, tensor)), kwargs: kw };
  }
  throw new BridgeError(`unknown tagged value ${JSON.stringify(v)}`);
}

/**
 * Python argument binding: positional values, then keywords, onto a signature's parameter names. An unknown keyword
 * or a name given twice is the TypeError Python would raise; names not given are absent (the constructor's default).
 */
export function bind(where: string, sig: readonly string[], args: readonly Value[], kwargs: Record<string, Value>): Record<string, Value> {
  if (args.length > sig.length) throw new BridgeError(`${where}() takes ${sig.length} arguments but ${args.length} were given`);
  const out: Record<string, Value> = {};
  args.forEach((a, i) => { out[sig[i]!] = a; });
  for (const [k, v] of Object.entries(kwargs)) {
    if (!sig.includes(k)) throw new BridgeError(`${where}() got an unexpected keyword argument '${k}'`);
    if (k in out) throw new BridgeError(`${where}() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  return out;
}

/** Read a bound argument with a type check; undefined when the caller left it to the default. */
export function num(a: Record<string, Value>, k: string): number | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean' || typeof v !== 'number') throw new BridgeError(`argument '${k}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}
export function ints(a: Record<string, Value>, k: string): number | number[] | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.every(x => typeof x === 'number')) return v as number[];
  throw new BridgeError(`argument '${k}' must be an int or a tuple of ints, got ${JSON.stringify(v)}`);
}
export function bool(a: Record<string, Value>, k: string): boolean | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new BridgeError(`argument '${k}' must be a bool, got ${JSON.stringify(v)}`);
  return v;
}
export function str(a: Record<string, Value>, k: string): string | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BridgeError(`argument '${k}' must be a str, got ${JSON.stringify(v)}`);
  return v;
}
export function tensorOrNull(a: Record<string, Value>, k: string): Tensor | null | undefined {
  const v = a[k];
  if (v === undefined || v === null) return v as undefined | null;
  if (!(v instanceof Tensor)) throw new BridgeError(`argument '${k}' must be a Tensor`);
  return v;
}
export function dtypeOf(a: Record<string, Value>, k: string): DType | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (v && typeof v === 'object' && 'dtype' in v) return v.dtype;
  throw new BridgeError(`argument '${k}' must be a mindspore dtype`);
}
