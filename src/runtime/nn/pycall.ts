/**
 * Writing a Cell as the Python calls that build it: the MindSpore 2.10 constructor call a user types and the PyTorch
 * call of the module it stands for. Each Cell class writes its own (`emitCall`, beside the class); these are the
 * shared spelling rules, so every call is printed the way Python would print its values.
 */

export interface CellCall {
  ms: string;
  torch: string;
  /** argument → the value this layer needs (the mapping rule's default-difference arguments only) */
  values: Record<string, unknown>;
  /** how a call's results are unpacked into names, for a Cell returning nested tuples (`y, (h, c) = self.lstm(x)`) */
  results?: (names: string[]) => string;
}

/** A float as Python's repr prints it: 1e-05, 0.9, 1.0. */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e16) return `${v}`;
  const [m, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** A value as Python source: booleans as True/False, strings quoted, a tuple of equal entries as the one entry. */
export const py = (v: unknown): string => {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return v.length > 1 && v.every(x => x === v[0]) ? py(v[0]) : `(${v.map(py).join(', ')})`;
  return String(v);
};
/** An argument exactly as the Cell was given it (a tuple stays a tuple, even of equal entries): MindSpore prints it so. */
export const asGiven = (v: number | readonly number[]): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')}${v.length === 1 ? ',' : ''})`);
/** A value printed verbatim (already Python source). */
export const raw = (v: string) => ({ toString: () => v });
/** An int when all entries agree, else the tuple. */
export const tup = (a: readonly number[]): number | number[] => (a.every(x => x === a[0]) ? a[0]! : [...a]);
/** One named argument: name, value, and the default it is left out at (always written when no default is given). */
export type Named = [string, unknown, unknown?];
/** An argument list: the positional values, then each named one whose value differs from its default. */
export const args = (positional: unknown[], named: Named[]): string =>
  [...positional.map(py), ...named.filter(([, v, dflt]) => dflt === undefined || py(v) !== py(dflt)).map(([k, v]) => `${k}=${py(v)}`)].join(', ');
/** The call of a Cell with no constructor arguments. */
export const plainCall = (ms: string, torch: string): CellCall => ({ ms: `nn.${ms}()`, torch: `nn.${torch}()`, values: {} });
