/**
 * Spelling ONNX node arguments in MindSpore 2.10 Python, for the op writers beside each handler (convert): a value
 * known at import is written as the literal a person types (a shape tuple, an axis), a value computed at run time
 * as the Python that reads it.
 */
import type { PyArg } from '../handler.js';
import type { DType } from '../../runtime/dtype.js';
import { pyFloat } from '../../runtime/nn/pycall.js';

/** MindSpore's name of a dtype (`ms.float32`, `ms.bool_`). */
export const msDtype = (d: DType): string => `ms.${d === 'bool' ? 'bool_' : d}`;

/** The integers of a constant argument (a shape, axes), or undefined when only known at run time. */
export const intsKnown = (a: PyArg | undefined): number[] | undefined => (a?.value ? a.value.toArray().map(v => Math.trunc(v)) : undefined);

/** A tuple literal: `(1, -1)`, `(3,)`. */
export const tuple = (v: readonly (number | string)[]): string => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;

/** Integers as a Python tuple: the literal when known, else the run-time tensor's values. */
export const intsPy = (a: PyArg): string => {
  const k = intsKnown(a);
  return k ? tuple(k) : `tuple(${a.expr}.tolist())`;
};

/** A number as Python prints it, for the given dtype. */
export const num = (v: number, d: DType): string => (d.startsWith('float') ? (Number.isFinite(v) ? pyFloat(v) : `float('${pyFloat(v)}')`) : d === 'bool' ? (v ? 'True' : 'False') : String(v));

/** An operand of Python arithmetic: a constant scalar as a number (`x * 0.5`), anything else as its expression. */
export const operand = (a: PyArg): string => (a.value && a.value.ndim === 0 ? num(a.value.item(), a.value.dtype as DType) : a.expr);

/** A call with its arguments (undefined ones left out). */
export const call = (fn: string, ...args: (string | undefined)[]): string => `${fn}(${args.filter(a => a !== undefined).join(', ')})`;

/** Indexing along one axis: `x[:, :, i]` — Python's own syntax, as a port writes it. */
export const index = (x: string, axis: number, what: string): string => (axis >= 0 ? `${x}[${[...Array(axis).fill(':'), what].join(', ')}]` : `${x}[..., ${[what, ...Array(-axis - 1).fill(':')].join(', ')}]`);
