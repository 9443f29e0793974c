/** Input loaders: seeded random data for each graph input, or user .npy files, checked against the graph's dims. */
import { allocData, isFloat, isInt, DType } from '../runtime/dtype.js';
import * as ops from '../runtime/functional.js';
import { Tensor, shapeSize } from '../runtime/tensor.js';
import { Rng } from '../runtime/random.js';
import type { ValueInfo } from '../onnx/proto.js';
import { UsageError } from '../errors.js';
import { readNpy } from './npy.js';
import { existsSync } from 'node:fs';

/**
 * `--input sr=16000`: a number instead of a file fills the input (shape from the model or --shape, the input's dtype),
 * for the scalars and flags a model branches on. A file of that name, if one exists, wins.
 */
export const isLiteralInput = (s: string): boolean => /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$|^[-+]?(?:inf|nan)$/i.test(s) && !existsSync(s);

/** Largest input msport generates (128 MiB of float32), to refuse absurd dims before allocating. */
const MAX_INPUT_ELEMENTS = 1 << 25;

/** Resolve an input's concrete shape: symbolic dims come from `--shape NAME=d0,d1,...`. */
export function resolveInputShape(v: ValueInfo, shapes: Map<string, number[]>): number[] {
  const given = shapes.get(v.name);
  if (!v.dims) {
    if (!given) throw new UsageError(`input '${v.name}' has no shape in the model; pass --shape ${v.name}=d0,d1,...`);
    return given;
  }
  if (given) {
    if (given.length !== v.dims.length) throw new UsageError(`--shape ${v.name}: model input has rank ${v.dims.length} [${v.dims.join(', ')}], got ${given.length} dims`);
    given.forEach((d, i) => {
      const m = v.dims![i];
      if (typeof m === 'number' && m !== d) throw new UsageError(`--shape ${v.name}: dim ${i} is fixed to ${m} in the model, got ${d}`);
    });
    return given;
  }
  const sym = v.dims.filter(d => typeof d !== 'number');
  if (sym.length) throw new UsageError(`input '${v.name}' has symbolic dims [${v.dims.join(', ')}]; pass --shape ${v.name}=${v.dims.map(d => (typeof d === 'number' ? d : 1)).join(',')}`);
  return v.dims as number[];
}

/**
 * Standard-normal floats, ints in [0, 10) — or in [0, table rows) for an input that indexes an embedding table (token
 * ids) — and random bools; seeded per input so adding an input doesn't shift others.
 */
export function randomInput(v: ValueInfo, shape: number[], seed: number, index: number): Tensor {
  if (!v.dtype) throw new UsageError(`input '${v.name}' has data type ${v.dtypeName}, which msport cannot generate`);
  const n = shapeSize(shape);
  if (n > MAX_INPUT_ELEMENTS) throw new UsageError(`input '${v.name}' shape [${shape}] has ${n} elements, more than msport generates (${MAX_INPUT_ELEMENTS})`);
  const rng = new Rng((seed * 1000003 + index * 7919) >>> 0);
  const data = allocData(v.dtype, n);
  const hi = v.indexBound ?? 10;
  for (let i = 0; i < n; i++) {
    if (isFloat(v.dtype)) data[i] = rng.normal();
    else if (data instanceof BigInt64Array) data[i] = BigInt(rng.int(0, hi));
    else data[i] = v.dtype === 'bool' ? rng.int(0, 2) : rng.int(0, hi);
  }
  return new Tensor(data, shape, v.dtype);
}

/**
 * A file's dtype against the input's: exact conversions are made and said (an int32 or uint8 array of token ids for an
 * int64 input; a float64 array for a float32 input, rounded as PyTorch's own `.float()` would), anything else (floats
 * for an integer input, integers for a float one) is refused.
 */
function castInput(name: string, file: string, t: Tensor, stored: DType, want: DType | undefined, notes?: Map<string, string>): Tensor {
  if (!want || (t.dtype === want && stored === want)) return t;
  if (stored === 'float64' && want === 'float32') { notes?.set(name, 'cast from float64'); return t; }
  if (isInt(t.dtype) && isInt(want) && want === 'int64') { notes?.set(name, `cast from ${t.dtype}`); return ops.cast(t, want); }
  throw new UsageError(`--input ${name}: ${file} holds ${stored}, the model expects ${want}${isFloat(want) ? ' (save it with .astype(np.float32))' : want === 'int64' ? ' (save it with .astype(np.int64))' : ''}`);
}

export function loadInputs(inputs: ValueInfo[], opts: { shapes: Map<string, number[]>; files: Map<string, string>; seed: number; notes?: Map<string, string> }): Tensor[] {
  for (const name of [...opts.shapes.keys(), ...opts.files.keys()]) {
    if (!inputs.some(i => i.name === name)) throw new UsageError(`the model has no input '${name}'; its inputs are: ${inputs.map(i => i.name).join(', ')}`);
  }
  return inputs.map((v, i) => {
    const file = opts.files.get(v.name);
    if (file && isLiteralInput(file)) return literalInput(v, resolveInputShape(v, opts.shapes), file);
    if (file) {
      const info: { stored?: DType } = {};
      const t = readNpy(file, info);
      const expected = v.dims;
      if (expected && (expected.length !== t.ndim || expected.some((d, k) => typeof d === 'number' && d !== t.shape[k]))) {
        throw new UsageError(`--input ${v.name}: ${file} has shape (${t.shape.join(', ')}), the model expects [${expected.join(', ')}]`);
      }
      return castInput(v.name, file, t, info.stored ?? t.dtype, v.dtype ?? undefined, opts.notes);
    }
    return randomInput(v, resolveInputShape(v, opts.shapes), opts.seed, i);
  });
}

function literalInput(v: ValueInfo, shape: number[], text: string): Tensor {
  if (!v.dtype) throw new UsageError(`input '${v.name}' has data type ${v.dtypeName}, which msport cannot fill`);
  const x = Number(text.replace(/inf/i, 'Infinity'));
  if (!isFloat(v.dtype) && !Number.isInteger(x)) throw new UsageError(`--input ${v.name}=${text}: the model expects ${v.dtype}, which holds whole numbers only`);
  if (v.dtype === 'bool' && x !== 0 && x !== 1) throw new UsageError(`--input ${v.name}=${text}: a bool input takes 0 or 1`);
  return Tensor.full(shape, x, v.dtype);
}
