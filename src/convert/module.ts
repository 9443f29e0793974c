/**
 * The checked Cell tree written as a MindSpore 2.10 Python module: one `nn.Cell` class per PyTorch module scope
 * (structurally identical instances share one class), `__init__` made of the emitter's calls (`Cell.emitCall`), and
 * `construct` the module's own data flow — its child Cells called as the PyTorch module called them, functional steps
 * written by their ops' writers (`Step.py`). What cannot be written is collected, never dropped.
 */
import { Cell } from '../runtime/cell.js';
import { Parameter } from '../runtime/parameter.js';
import { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import { OnnxNetwork, ScopeCell, Step } from '../onnx/network.js';
import type { Body } from '../onnx/network.js';
import type { PyArg } from '../onnx/handler.js';
import { callOf } from '../report/calls.js';
import { pyFloat } from '../runtime/nn/pycall.js';
import { msDtype, tuple } from '../onnx/ops/py.js';
import { shortestFloat32 } from '../onnx/ops/util.js';
import { buildClasses, Instance } from './classes.js';
import { rule } from '../mappings/index.js';
import type { TorchApi } from '../mappings/index.js';

/** A value as the checked network computed it: what a writer may need where the graph does not state it. */
export interface Observed { dtype: DType; rank: number; shape: readonly number[] }

/** A step msport cannot write as MindSpore code, with why. */
export interface Unwritable { opType: string; node: string; scope: string; reason: string }

export interface PortModule {
  /** the Python source */
  code: string;
  /** the root class's name */
  className: string;
  /** the classes written, in order (the root last) */
  classes: string[];
  /** every tensor the port's checkpoint must hold, by MindSpore name: the network's Parameters and the buffers the code declares */
  checkpoint: Map<string, Tensor>;
  unwritable: Unwritable[];
}

class CannotWrite extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield']);
/** names a local variable must not take: the module's imports and `self` */
const TAKEN_LOCALS = new Set(['self', 'ms', 'nn', 'ops', 'np']);
const pyName = (s: string): string => {
  let n = s.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'x';
  if (/^\d/.test(n)) n = `x${n}`;
  return PY_KEYWORDS.has(n) || TAKEN_LOCALS.has(n) ? `${n}_` : n;
};
const camel = (s: string): string => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map(w => w[0]!.toUpperCase() + w.slice(1)).join('') || 'Block';

/** A number or a small tensor as a Python literal of MindSpore. */
function literal(t: Tensor): string | undefined {
  const v = (x: number): string => (t.dtype.startsWith('float') ? (Number.isFinite(x) ? pyFloat(t.dtype === 'float32' ? shortestFloat32(x) : x) : `float('${pyFloat(x)}')`)
    : t.dtype === 'bool' ? (x ? 'True' : 'False') : String(x));
  // int64 values beyond 2^53 (INT64_MAX as 'no limit') are printed from the exact integers
  const exact = t.data instanceof BigInt64Array ? Array.from(t.data, b => b.toString()) : undefined;
  if (t.ndim === 0) return `ms.Tensor(${exact ? exact[0] : v(t.item())}, ${msDtype(t.dtype as DType)})`;
  if (t.size > 16) return undefined;
  const flat = exact ?? t.toArray().map(v);
  const arr = t.ndim === 1 ? `[${flat.join(', ')}]` : `np.array([${flat.join(', ')}]).reshape(${tuple(t.shape)})`;
  return `ms.Tensor(${arr}, ${msDtype(t.dtype as DType)})`;
}

/**
 * How `self` reaches a descendant Cell or Parameter: attributes; positions inside the containers written inline
 * (SequentialCell / CellList index by position); getattr for a key Python cannot spell as an attribute.
 */
function accessor(root: Cell, rel: string[], network: Cell): string {
  let expr = 'self', cell: Cell | undefined = root;
  for (const seg of rel) {
    const keys = cell ? [...cell._cells.keys()] : [];
    const inline = cell !== undefined && cell !== network && keys.length > 0 && keys.every(k => /^\d+$/.test(k));
    if (inline && /^\d+$/.test(seg)) expr += `[${keys.indexOf(seg)}]`;
    else if (IDENT.test(seg) && !PY_KEYWORDS.has(seg)) expr += `.${seg}`;
    else expr = `getattr(${expr}, '${seg}')`;
    cell = cell?._cells.get(seg);
  }
  return expr;
}

interface Item { kind: 'step'; step: Step; index: number } 
interface CallItem { kind: 'call'; path: string; index: number }
type Entry = Item | CallItem;

export function writeModule(network: OnnxNetwork, opts: { className?: string; header?: string; observed?: ReadonlyMap<string, Observed> } = {}): PortModule {
  const cells = new Map<string, Cell>(network.cellsAndNames().map(([n, c]) => [n, c]));
  cells.set('', network);
  const isScope = (c: Cell | undefined): boolean => c instanceof ScopeCell || c === network;
  const paramPath = new Map<Tensor, string>(network.parametersAndNames().map(([n, p]) => [p as Tensor, n]));
  const steps = network.steps;
  const split = (p: string): string[] => (p ? p.split('.') : []);
  const parentOf = (p: string): string => split(p).slice(0, -1).join('.');
  /** the deepest scope Cell holding a step */
  const ownerOf = (s: Step): string => {
    let p = s.cell ? parentOf(s.cellName!) : s.scope;
    while (p && !isScope(cells.get(p))) p = parentOf(p);
    return p;
  };
  const owner = new Map<Step, string>(steps.map(s => [s, ownerOf(s)]));
  const within = (p: string, scope: string): boolean => scope === '' || p === scope || p.startsWith(`${scope}.`);
  // a scope's steps and its values in and out depend on the network alone: computed once per scope
  const subtrees = new Map<string, Step[]>();
  const subtree = (scope: string): Step[] => subtrees.get(scope) ?? subtrees.set(scope, steps.filter(s => within(owner.get(s)!, scope))).get(scope)!;
  const producer = new Map<string, number>();
  steps.forEach((s, i) => s.outputs.forEach(o => o && producer.set(o, i)));
  const consumers = new Map<string, number[]>();
  steps.forEach((s, i) => s.inputs.forEach(v => v && (consumers.get(v) ?? consumers.set(v, []).get(v)!).push(i)));
  const graphOut = new Set(network.outputNames);
  const isConst = (v: string): boolean => network.constants.has(v) && !producer.has(v);

  /** A scope's values in and out, as a call of it sees them. */
  const signatures = new Map<string, { ins: string[]; outs: string[] }>();
  const signature = (scope: string): { ins: string[]; outs: string[] } => signatures.get(scope) ?? signatures.set(scope, computeSignature(scope)).get(scope)!;
  const computeSignature = (scope: string): { ins: string[]; outs: string[] } => {
    const mine = subtree(scope), set = new Set(mine);
    const made = new Set(mine.flatMap(s => s.outputs.filter(Boolean)));
    const ins: string[] = [];
    for (const s of mine) for (const v of s.inputs) if (v && !made.has(v) && !isConst(v) && !ins.includes(v)) ins.push(v);
    const outs: string[] = [];
    for (const s of mine) for (const v of s.outputs) if (v && (graphOut.has(v) || (consumers.get(v) ?? []).some(i => !set.has(steps[i]!)))) outs.push(v);
    return { ins, outs };
  };

  const unwritable: Unwritable[] = [];
  const checkpoint = new Map<string, Tensor>(network.parametersAndNames().map(([n, p]) => [n, p as Tensor]));
  const instances: Instance[] = [];
  const flattened = new Set<string>();

  /** The entries a scope's construct runs: its own steps and calls of its child scopes (flattened ones inlined). */
  const entriesOf = (scope: string): Entry[] => {
    const out: Entry[] = [];
    const childOf = (p: string): string | undefined => {
      // the child scope of `scope` on the way to p, unless flattened (then its own entries are ours)
      const rest = split(p).slice(split(scope).length);
      let cur = scope;
      for (const seg of rest) {
        cur = cur ? `${cur}.${seg}` : seg;
        if (!flattened.has(cur)) return cur;
      }
      return undefined;
    };
    const seen = new Set<string>();
    steps.forEach((s, i) => {
      const o = owner.get(s)!;
      if (!within(o, scope)) return;
      const child = o === scope ? undefined : childOf(o);
      if (child === undefined) out.push({ kind: 'step', step: s, index: i });
      else if (!seen.has(child)) { seen.add(child); out.push({ kind: 'call', path: child, index: i }); }
    });
    return out;
  };

  /** A scope whose steps cannot run as one call (interleaved with its parent's, or called twice) is inlined. */
  const order = (scope: string): Entry[] => {
    for (;;) {
      const entries = entriesOf(scope);
      const avail = new Set(signature(scope).ins);
      // a child that reads a Parameter outside itself, or a numeric-keyed container (ModuleList) that is not a chain
      // of its members, is not a call of its own
      let bad: string | undefined = (entries.find(e => e.kind === 'call' && (readsOutside(e.path) || (numericKeys(e.path) && !isChain(e.path)))) as CallItem | undefined)?.path;
      for (const e of bad === undefined ? entries : []) {
        const { ins, outs } = e.kind === 'call' ? signature(e.path) : { ins: e.step.inputs.filter(v => v && !isConst(v)), outs: e.step.outputs.filter(Boolean) };
        const missing = ins.find(v => !avail.has(v));
        if (missing !== undefined) {
          if (e.kind === 'call') { bad = e.path; break; }
          const p = producer.get(missing);
          const holder = p === undefined ? undefined : entries.find(x => x.kind === 'call' && within(owner.get(steps[p]!)!, x.path)) as CallItem | undefined;
          if (!holder) throw new Error(`value ${missing} read before it is computed`);
          bad = holder.path;
          break;
        }
        outs.forEach(v => avail.add(v));
      }
      if (bad === undefined) return entries;
      flattened.add(bad);
    }
  };

  const numericKeys = (scope: string): boolean => { const ks = [...cells.get(scope)!._cells.keys()]; return ks.length > 0 && ks.every(k => /^\d+$/.test(k)); };
  const readsOutside = (scope: string): boolean => subtree(scope).some(s => s.inputs.some(v => {
    const t = v && isConst(v) ? network.constants.get(v) : undefined;
    const p = t && paramPath.get(t);
    return p !== undefined && !within(parentOf(p), scope);
  }));
  /** nn.SequentialCell semantics: one value in, one out, each member called once in order on the previous one's output */
  const isChain = (scope: string): boolean => {
    const sig = signature(scope);
    if (sig.ins.length !== 1 || sig.outs.length !== 1) return false;
    const depth = split(scope).length;
    const groups: { key: string; steps: Step[] }[] = [];
    for (const s of subtree(scope)) {
      const key = split(s.cell ? s.cellName! : owner.get(s)!)[depth];
      if (key === undefined || (!s.cell && owner.get(s) === scope)) return false;
      if (groups.at(-1)?.key !== key) groups.push({ key, steps: [] });
      groups.at(-1)!.steps.push(s);
    }
    const keys = [...cells.get(scope)!._cells.keys()];
    if (groups.map(g => g.key).join() !== keys.join()) return false;
    let cur = sig.ins[0]!;
    for (const g of groups) {
      const child = scope ? `${scope}.${g.key}` : g.key;
      const gs = isScope(cells.get(child)) ? signature(child) : { ins: g.steps[0]!.inputs.filter(v => v && !isConst(v)), outs: g.steps[0]!.outputs.filter(Boolean) };
      if (g.steps.length > 1 && !isScope(cells.get(child))) return false;
      if (isScope(cells.get(child)) && numericKeys(child) && !isChain(child)) return false;
      if (gs.ins.length !== 1 || gs.ins[0] !== cur || gs.outs.length !== 1) return false;
      cur = gs.outs[0]!;
    }
    return cur === sig.outs[0];
  };

  /** A numeric-keyed scope is written inline as MindSpore's container: SequentialCell when called, CellList when not. */
  const containerCall = (scope: string): string => {
    const cell = cells.get(scope)!;
    const members = [...cell._cells].map(([k, c]) => {
      const p = scope ? `${scope}.${k}` : k;
      return [k, isScope(c) ? (numericKeys(p) ? containerCall(p) : writeScope(p)) : leafCall(c, p)] as const;
    });
    const contiguous = members.every(([k], i) => k === String(i));
    const item = (c: string): string => c.split('\n').map(l => `    ${l}`).join('\n');
    const list = `[\n${members.map(([, c]) => `${item(c)},`).join('\n')}\n]`;
    if (contiguous) return `nn.${flattened.has(scope) || subtree(scope).length === 0 ? 'CellList' : 'SequentialCell'}(${list})`;
    usesOrderedDict = true;
    return `nn.SequentialCell(OrderedDict([\n${members.map(([k, c]) => item(c.startsWith('# ') ? `${c.slice(0, c.indexOf('\n') + 1)}('${k}', ${c.slice(c.indexOf('\n') + 1)})` : `('${k}', ${c})`) + ',').join('\n')}\n]))`;
  };
  let usesOrderedDict = false;

  const written = new Map<string, string>();
  /** Writes one scope as an instance of its class; returns the placeholder its builder will replace (classes.ts). */
  const writeScope = (scope: string): string => {
    const done = written.get(scope);
    if (done) return done;
    const cell = cells.get(scope)!;
    // a scope no main-graph step runs in (its Cells are called only inside If branches) is a holder of Cells
    if (scope !== '' && !flattened.has(scope) && subtree(scope).length === 0) flattened.add(scope);
    const flat = flattened.has(scope);
    const entries = flat ? [] : order(scope);
    const { ins, outs } = scope === '' ? { ins: network.inputNames, outs: network.outputNames } : signature(scope);
    const buffers: [attr: string, t: Tensor][] = [];
    const bufferOf = new Map<string, string>();
    // value → Python name; names are reused once their value is dead (x = self.bn1(x))
    const nameOf = new Map<string, string>();
    const lastUse = new Map<string, number>();
    entries.forEach((e, k) => {
      const reads = e.kind === 'call' ? signature(e.path).ins : e.step.inputs;
      for (const v of reads) if (v) lastUse.set(v, k);
    });
    for (const v of outs) lastUse.set(v, Infinity);
    let fresh = 0;
    const taken = new Set<string>();
    const newName = (): string => { let n: string; do n = fresh === 0 ? 'x' : `x${fresh}`, fresh++; while (taken.has(n)); return n; };
    const inNames = ins.map((v, i) => {
      const n = scope === '' ? pyName(v) : ins.length === 1 ? 'x' : `x${i}`;
      taken.add(n); nameOf.set(v, n); return n;
    });
    if (scope !== '') fresh = ins.length === 1 ? 1 : ins.length;
    const free: string[] = [];
    const argWith = (names: ReadonlyMap<string, string>, consts: ReadonlyMap<string, Tensor>) => (v: string): PyArg => {
      if (!v) return { expr: 'None', given: false };
      const n = names.get(v);
      const seen = opts.observed?.get(v);
      if (n) return { expr: n, given: true, ...(seen ? { dtype: seen.dtype, rank: seen.rank, shape: seen.shape } : {}) };
      const t = consts.get(v);
      if (!t) throw new CannotWrite(`value ${v} is not computed before it is read`);
      const param = paramPath.get(t);
      return {
        given: true, value: t,
        get expr(): string {
          if (param !== undefined) {
            if (!within(param, scope) || param === scope) throw new CannotWrite(`reads Parameter ${param} of an enclosing module`);
            return accessor(cell, split(param).slice(split(scope).length), network);
          }
          const lit = literal(t);
          if (lit !== undefined) return lit;
          let b = bufferOf.get(v);
          if (!b) { b = `buffer_${buffers.length}`; buffers.push([b, t]); bufferOf.set(v, b); checkpoint.set(scope ? `${scope}.${b}` : b, t); }
          return `self.${b}`;
        },
      };
    };
    const argOf = argWith(nameOf, network.constants);
    const cellExpr = (path: string): string => {
      if (!within(path, scope) || path === scope) throw new CannotWrite(`calls Cell ${path} outside module ${scope || 'the model'}`);
      return accessor(cell, split(path).slice(split(scope).length), network);
    };
    const indent4 = (ls: string[]): string[] => (ls.length ? ls : ['pass']).map(l => `    ${l}`);
    /** The statements of one step, its outputs assigned to `lhs` ('_' for unused ones). */
    const stepLines = (s: Step, arg: (v: string) => PyArg, lhs: string[], names: Map<string, string>): string[] => {
      const target = (results?: (n: string[]) => string): string => (results ? results(lhs) : lhs.every(n => n === '_') ? '_' : lhs.length === 1 ? lhs[0]! : lhs.join(', '));
      if (s.cell) {
        if (s.wrapPy) {
          try { return s.wrapPy(s.inputs.map(arg), cellExpr(s.cellName!), lhs); } catch (err) {
            if (err instanceof CannotWrite) throw err;
            throw new CannotWrite(`msport cannot write this ${s.cell.clsName} call as MindSpore code yet (${(err as Error).message})`);
          }
        }
        if (s.wrapped) throw new CannotWrite(`the ${s.cell.clsName} Cell's outputs are rearranged for the ONNX node`);
        return [`${target(callOf(s.cell).results)} = ${cellExpr(s.cellName!)}(${s.inputs.filter(Boolean).map(v => arg(v).expr).join(', ')})`];
      }
      if (s.bodies && s.node.opType === 'If') {
        // an ONNX If is Python's if: each branch computes, then assigns the node's outputs
        const branch = (b: Body): string[] => {
          const w = writeBody(b, names, []);
          return [...w.lines, ...(lhs.every(n => n === '_') ? [] : [`${target()} = ${w.outs.join(', ')}`])];
        };
        return [`if ${arg(s.inputs[0]!).expr}:`, ...indent4(branch(s.bodies[0]!)), 'else:', ...indent4(branch(s.bodies[1]!))];
      }
      if (s.bodies && s.node.opType === 'Loop') {
        // an ONNX Loop is Python's while over the trip count and the condition; carried values are reassigned each turn
        const body = s.bodies[0]!;
        const carried = body.inputNames.length - 2;
        if (body.outputNames.length !== carried + 1) throw new CannotWrite('msport cannot write an ONNX Loop with scan outputs as MindSpore code yet');
        const [m, c] = [s.inputs[0] ? arg(s.inputs[0]) : undefined, s.inputs[1] ? arg(s.inputs[1]) : undefined];
        const it = newName(), cond = newName();
        const vars = Array.from({ length: carried }, () => newName());
        [it, cond, ...vars].forEach(n => taken.add(n));
        const w = writeBody(body, names, [[body.inputNames[0]!, `ms.Tensor(${it}, ms.int64)`], [body.inputNames[1]!, cond], ...body.inputNames.slice(2).map((v, i) => [v, vars[i]!] as [string, string])]);
        // a trip count of INT64_MAX (TorchScript's `while`) is no limit
        const limit = m?.given && !(m.value && m.value.item() >= 2 ** 53) ? `${it} < int(${m.expr})` : '';
        const test = [limit, `bool(${cond})`].filter(Boolean).join(' and ');
        return [
          `${it} = 0`, `${cond} = ${c?.given ? c.expr : 'True'}`,
          ...(carried ? [`${vars.join(', ')} = ${s.inputs.slice(2, 2 + carried).map(v => arg(v).expr).join(', ')}`] : []),
          `while ${test}:`, ...indent4([...w.lines, `${[cond, ...vars].join(', ')} = ${w.outs.join(', ')}`, `${it} += 1`]),
          ...(lhs.every(n => n === '_') || !carried ? [] : [`${target()} = ${vars.join(', ')}`]),
        ];
      }
      if (!s.py) throw new CannotWrite(`msport cannot write ONNX ${s.node.opType} as MindSpore code yet`);
      try { return [`${target()} = ${s.py(s.inputs.map(arg))}`]; } catch (err) {
        if (err instanceof CannotWrite) throw err;
        throw new CannotWrite(`msport cannot write this ONNX ${s.node.opType} as MindSpore code yet (${(err as Error).message})`);
      }
    };
    /** A subgraph's statements: its values get fresh names; it reads the enclosing ones by theirs. */
    const writeBody = (body: Body, outer: ReadonlyMap<string, string>, bind: [string, string][]): { lines: string[]; outs: string[] } => {
      const names = new Map(outer);
      for (const [v, e] of bind) names.set(v, e);
      const arg = argWith(names, body.constants);
      const out: string[] = [];
      for (const st of body.steps) {
        const lhs = st.outputs.map(v => { if (!v) return '_'; const n = newName(); taken.add(n); return n; });
        out.push(...stepLines(st, arg, lhs, names));
        st.outputs.forEach((v, j) => { if (v) names.set(v, lhs[j]!); });
      }
      return { lines: out, outs: body.outputNames.map(v => arg(v).expr) };
    };
    const lines: string[] = [];
    entries.forEach((e, k) => {
      const reads = e.kind === 'call' ? signature(e.path).ins : e.step.inputs;
      const writes = e.kind === 'call' ? signature(e.path).outs : e.step.outputs;
      // the call reads its inputs by their names before the outputs may take a dying input's name
      const rhs = e.kind === 'call' ? (() => {
        if (!numericKeys(e.path)) writeScope(e.path);
        return `${cellExpr(e.path)}(${reads.map(v => argOf(v).expr).join(', ')})`;
      })() : undefined;
      // names of inputs that die here go back to the pool before the outputs take theirs
      const before = new Map(nameOf);
      for (const v of new Set(reads)) if (v && lastUse.get(v) === k && nameOf.has(v)) free.push(nameOf.get(v)!);
      const used = writes.map(v => v && ((lastUse.get(v) ?? -1) > k));
      const lhs = writes.map((v, j) => {
        if (!used[j]) return '_';
        const n = free.length ? free.shift()! : newName();
        taken.add(n); nameOf.set(v, n); return n;
      });
      if (rhs !== undefined) { lines.push(`${lhs.every(n => n === '_') ? '_' : lhs.join(', ')} = ${rhs}`); return; }
      // a step's inputs are read under the names they had before this step
      lines.push(...stepLines((e as Item).step, argWith(before, network.constants), lhs, before));
    });
    if (!flat) lines.push(`return ${outs.map(v => argOf(v).expr).join(', ')}`);

    // __init__: the child Cells (leaf calls from the emitter, scopes as their classes), own Parameters, buffers
    const init: string[] = [];
    for (const [key, child] of cell._cells) {
      const childPath = scope ? `${scope}.${key}` : key;
      const rhs = isScope(child) ? (numericKeys(childPath) ? containerCall(childPath) : writeScope(childPath)) : leafCall(child, childPath);
      const [comment, expr] = rhs.startsWith('# ') ? [rhs.slice(0, rhs.indexOf('\n') + 1), rhs.slice(rhs.indexOf('\n') + 1)] : ['', rhs];
      // setattr, not insert_child_to_cell: only attribute assignment prefixes the child's Parameter names
      init.push(comment + (IDENT.test(key) && !PY_KEYWORDS.has(key) ? `self.${key} = ${expr}` : `setattr(self, '${key}', ${expr})`));
    }
    for (const [key, p] of cell._params) {
      init.push(`self.${key} = ms.Parameter(ops.zeros(${tuple(p.shape)}, ${msDtype(p.dtype)}), name='${key}'${(p as Parameter).requiresGrad ? '' : ', requires_grad=False'})`);
    }
    for (const [b, t] of buffers) init.push(`self.${b} = ms.Parameter(ops.zeros(${tuple(t.shape)}, ${msDtype(t.dtype as DType)}), name='${b}', requires_grad=False)`);

    const base = scope === '' ? opts.className ?? (['Network', 'Cell', 'SequentialCell', 'CellList', 'CellDict'].includes(cell.clsName) ? 'Net' : cell.clsName)
      // without the PyTorch class (TorchScript exports): the attribute's name without its number (`denselayer3` →
      // Denselayer), or Block for a member of a container (`layer1.0`), so that alike modules can share a class
      : ['Cell', 'SequentialCell', 'CellList', 'CellDict'].includes(cell.clsName) ? (/^\d+$/.test(split(scope).at(-1)!) ? 'Block' : camel(split(scope).at(-1)!.replace(/_?\d+$/, '')))
      : cell.clsName;
    const indent = (l: string) => l.split('\n').map(x => `        ${x}`).join('\n');
    const torchClass = cell instanceof ScopeCell || cell instanceof OnnxNetwork ? cell.torchClass : undefined;
    instances.push({ scope, base, ...(torchClass ? { torchClass } : {}), init,
      construct: flat ? [] : [`    def construct(self, ${inNames.join(', ')}):`, ...lines.map(indent)] });
    const placeholder = `\u0000${scope}\u0000`;
    written.set(scope, placeholder);
    return placeholder;
  };

  /**
   * A leaf Cell's constructor call; where an argument is written only because MindSpore's default differs from
   * PyTorch's, a comment line above it names the arguments and the mapping rule.
   */
  const leafCall = (c: Cell, path: string): string => {
    const call = callOf(c);
    if (call.torch === '?') throw new CannotWrite(`msport cannot write nn.${c.clsName} as a call yet (${path})`);
    const api = steps.find(s => s.cellName === path)?.torchApi as TorchApi | null | undefined;
    // an argument written with a value other than MindSpore's default (as the rule states it)
    const written = (arg: string): string | undefined => new RegExp(`\\b${arg}=('[^']*'|\\([^)]*\\)|[^,)]+)`).exec(call.ms)?.[1];
    const norm = (v: unknown): string => String(v).replace(/'/g, '').toLowerCase();
    const args = api ? (rule(api).defaults ?? []).filter(d => { const w = written(d.arg); return w !== undefined && norm(w) !== norm(d.ms); }).map(d => d.arg) : [];
    return `${args.length ? `# ${args.join(', ')}: MindSpore's default${args.length > 1 ? 's differ' : ' differs'} from ${api}'s (msport api ${api})\n` : ''}${call.ms}`;
  };

  let className = '', failure = '';
  try {
    className = writeScope('');
  } catch (err) {
    if (!(err instanceof CannotWrite)) throw err;
    failure = err.message;
  }
  // every step that cannot be written, listed at once (not just the first)
  const walk = (list: Step[], consts: ReadonlyMap<string, Tensor>): void => {
    for (const s of list) {
      const loopScans = s.node.opType === 'Loop' && s.bodies && s.bodies[0]!.outputNames.length !== s.bodies[0]!.inputNames.length - 1;
      const reason = s.cell ? (s.wrapped && !s.wrapPy ? `the ${s.cell.clsName} Cell's outputs are rearranged for the ONNX node` : s.wrapPy ? probe(s, consts, opts.observed) : null)
        : s.bodies ? (loopScans ? 'msport cannot write an ONNX Loop with scan outputs as MindSpore code yet' : null)
        : !s.py ? `msport cannot write ONNX ${s.node.opType} as MindSpore code yet` : probe(s, consts, opts.observed);
      if (reason) unwritable.push({ opType: s.node.opType, node: s.node.name, scope: s.scope, reason });
      for (const b of s.bodies ?? []) walk(b.steps, b.constants);
    }
  };
  walk(network.steps, network.constants);
  if (!className && !unwritable.length) unwritable.push({ opType: '', node: '', scope: '', reason: failure });
  const header = opts.header ? `${opts.header}\n` : '';
  const built = className ? buildClasses(instances) : { classes: [], build: new Map<string, string>() };
  const root = built.classes.at(-1)?.name ?? '';
  const code = `${header}${usesOrderedDict ? 'from collections import OrderedDict\n\n' : ''}import numpy as np\nimport mindspore as ms\nfrom mindspore import nn, ops\n\n\n${built.classes.map(c => c.text).join('\n\n\n')}\n`;
  return { code, className: root, classes: built.classes.map(c => c.name), checkpoint, unwritable };
}

/**
 * Whether a step's writer (a functional op's, or a wrapped Cell call's) accepts its arguments: constants as the
 * writer sees them, the rest as names with what the checked run observed of them.
 */
function probe(s: Step, consts: ReadonlyMap<string, Tensor>, observed?: ReadonlyMap<string, Observed>): string | null {
  const args = s.inputs.map((v): PyArg => (v ? { expr: 'v', given: true, ...(consts.has(v) ? { value: consts.get(v)! } : {}), ...observed?.get(v) } : { expr: 'None', given: false }));
  try {
    if (s.wrapPy) s.wrapPy(args, 'self.cell', s.outputs.map(() => 'v'));
    else s.py!(args);
    return null;
  } catch (e) {
    return `msport cannot write this ${s.wrapPy ? `${s.cell!.clsName} call` : `ONNX ${s.node.opType}`} as MindSpore code yet (${(e as Error).message})`;
  }
}
