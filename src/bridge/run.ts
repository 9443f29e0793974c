/**
 * The msport side of the conformance exchange (conformance/README.md): each case directory holds `case.json` and
 * `tensors.safetensors`; this runs the case in the Cell runtime and writes `msport.json` and `msport.safetensors`
 * beside them, the same result layout conformance/msbridge writes for MindSpore. A case that fails records its
 * error instead of stopping the others.
 */
import { readFileSync, existsSync, readdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../runtime/tensor.js';
import { Parameter } from '../runtime/parameter.js';
import { Cell } from '../runtime/cell.js';
import { readSafetensors, saveSafetensors } from '../runtime/safetensors.js';
import { saveCheckpoint, readCheckpoint } from '../runtime/checkpoint.js';
import { setSeed } from '../runtime/random.js';
import { GradOperation } from '../runtime/grad.js';
import { isFloat, msDTypeName } from '../runtime/dtype.js';
import { initializer, resolveInit } from '../runtime/initializer.js';
import * as nn from '../runtime/nn/index.js';
import { BridgeError, bind, decode, Json, CellSpec, Value } from './values.js';
import { buildCell, makeInitializer } from './cells.js';
import { callOp } from './ops.js';
import { PROGRAMS } from './programs.js';
import { shapeStr } from '../runtime/tensor.js';

export interface CaseFile { id: string; kind: string; [k: string]: Json }

/** What a side reports for a case; tensors go to the side's safetensors file under the keys named here. */
export interface Result {
  error: string | null;
  /** the backward pass failed (the forward results stand) */
  grad_error?: string;
  repr?: string;
  params?: { name: string; shape: number[]; dtype: string; requires_grad: boolean; repr: string }[];
  outputs?: string[];
  info?: Record<string, Json>;
}

class CaseRun {
  readonly out = new Map<string, Tensor>();
  readonly result: Result = { error: null };
  private readonly tensors: Map<string, Parameter>;
  constructor(readonly dir: string, readonly c: CaseFile) {
    const f = join(dir, 'tensors.safetensors');
    this.tensors = existsSync(f) ? readSafetensors(f).params : new Map();
  }
  tensor = (key: string): Tensor => {
    const t = this.tensors.get(key);
    if (!t) throw new BridgeError(`case tensor '${key}' is missing`);
    return new Tensor(t.data, t.shape, t.dtype);
  };
  inputs(): Tensor[] { return ((this.c.inputs ?? []) as string[]).map(this.tensor); }
  /** A copy: optimizers and train-phase Cells update Parameters in place after this is recorded. */
  put(key: string, t: Tensor): void { this.out.set(key, new Tensor(t.data.slice(), t.shape, t.dtype)); }
  /** Parameters with MindSpore's names, shapes and dtypes, in the order the Cell yields them. */
  describe(net: Cell): void {
    this.result.repr = net.toString();
    this.result.params = net.parametersAndNames().map(([name, p]) => ({ name, shape: [...p.shape], dtype: msDTypeName[p.dtype], requires_grad: p.requiresGrad, repr: String(p) }));
  }
  /** Overwrite each Parameter with MindSpore's value of the same name (`param/<name>`); the names must agree. */
  loadWeights(net: Cell): void {
    const mine = new Map(net.parametersAndNames());
    const theirs = [...this.tensors.keys()].filter(k => k.startsWith('param/')).map(k => k.slice(6));
    const missing = theirs.filter(n => !mine.has(n)), extra = [...mine.keys()].filter(n => !theirs.includes(n));
    if (missing.length || extra.length) throw new BridgeError(`parameter names differ: MindSpore only [${missing}], msport only [${extra}]`);
    for (const [name, p] of mine) {
      const t = this.tensor(`param/${name}`);
      if (t.shape.join() !== p.shape.join()) throw new BridgeError(`parameter ${name}: MindSpore shape ${shapeStr(t.shape)}, msport ${shapeStr(p.shape)}`);
      p.setData(t);
    }
  }
}

const flat = (o: Tensor | Tensor[] | readonly unknown[]): Tensor[] =>
  (Array.isArray(o) ? (o as unknown[]).flatMap(x => (x === null ? [] : flat(x as Tensor | Tensor[]))) : [o as Tensor]);

function runCell(r: CaseRun): void {
  const c = r.c;
  const net = buildCell(c.cell as unknown as CellSpec, r.tensor);
  r.describe(net);
  if (c.forward === false) return;
  r.loadWeights(net);
  net.setTrain(c.train === true);
  const xs = r.inputs();
  const outs = flat(net.call(...xs));
  outs.forEach((t, i) => r.put(`out/${i}`, t));
  r.result.outputs = outs.map((_, i) => `out/${i}`);
  if (c.train === true) for (const [name, p] of net.parametersAndNames()) r.put(`after/${name}`, p);
  if (c.grad) withGradError(r, () => {
    const sens = outs.map((_, i) => r.tensor(`sens/${i}`));
    const weights = net.trainableParams();
    const before = net.parametersAndNames().map(([, p]) => [p, p.data.slice()] as const);
    for (const [p, d] of before) p.data = d.slice() as typeof d; // train-phase statistics must start where MindSpore's did
    r.loadWeights(net);
    // the runtime's GradOperation takes one sens Tensor per output, as a list
    const fn = (...a: Tensor[]) => net.call(...a);
    const go = new GradOperation({ getAll: true, getByList: true, sensParam: false });
    const g = gradWithSens(go, fn, weights, xs, sens);
    g.inputs.forEach((t, i) => { if (isFloat(xs[i]!.dtype)) r.put(`grad_in/${i}`, t); });
    weights.forEach((p, i) => r.put(`grad_param/${p.name}`, g.weights[i]!));
  });
}

/** A backward pass that fails is the case's grad_error; the forward results stand. */
function withGradError(r: CaseRun, f: () => void): void {
  try { f(); } catch (e) { r.result.grad_error = `${(e as Error).name === 'BridgeError' ? '' : `${(e as Error).name}: `}${(e as Error).message}`; }
}

import { backward } from '../runtime/autograd.js';
/** Gradients of the outputs weighted by `sens` (one per output) w.r.t. every input and `weights`. */
function gradWithSens(_go: GradOperation, fn: (...a: Tensor[]) => Tensor | Tensor[], weights: Parameter[], xs: Tensor[], sens: Tensor[]) {
  const leaves = xs.map(x => { const t = new Tensor(x.data, x.shape, x.dtype); t.requiresGrad = isFloat(x.dtype); return t; });
  for (const w of weights) w.grad = null;
  const outs = flat(fn(...leaves));
  const grads = backward(outs, sens);
  return {
    inputs: leaves.map(l => grads.get(l) ?? Tensor.zeros(l.shape, l.dtype)),
    weights: weights.map(w => w.grad ?? Tensor.zeros(w.shape, w.dtype)),
  };
}

function runOp(r: CaseRun): void {
  const c = r.c;
  const args = ((c.args ?? []) as Json[]).map(v => decode(v, r.tensor));
  const kwargs: Record<string, Value> = {};
  for (const [k, v] of Object.entries((c.kwargs ?? {}) as Record<string, Json>)) kwargs[k] = decode(v, r.tensor);
  const outs = flat(callOp(String(c.op), args, kwargs, bind));
  outs.forEach((t, i) => r.put(`out/${i}`, t));
  r.result.outputs = outs.map((_, i) => `out/${i}`);
  if (c.grad) withGradError(r, () => {
    const positions = args.map((a, i) => (a instanceof Tensor && isFloat(a.dtype) ? i : -1)).filter(i => i >= 0);
    const sens = outs.map((_, i) => r.tensor(`sens/${i}`));
    const fn = (...ts: Tensor[]) => { const a = [...args]; positions.forEach((p, k) => { a[p] = ts[k]!; }); return callOp(String(c.op), a, kwargs, bind); };
    const g = gradWithSens(new GradOperation(), fn, [], positions.map(p => args[p] as Tensor), sens);
    positions.forEach((p, k) => r.put(`grad_in/${p}`, g.inputs[k]!));
  });
}

function runInit(r: CaseRun): void {
  const c = r.c;
  setSeed(Number(c.seed ?? 0));
  if (c.cell) {
    const net = buildCell(c.cell as unknown as CellSpec, r.tensor);
    r.describe(net);
    for (const [name, p] of net.parametersAndNames()) r.put(`param/${name}`, p);
    return;
  }
  const v = decode(c.init as Json, r.tensor);
  const init = typeof v === 'string' || typeof v === 'number' ? resolveInit(v) : makeInitializer(v as never);
  const t = initializer(init, c.shape as number[], String(c.dtype ?? 'float32') as never);
  r.put('sample', new Tensor(t.data, t.shape, t.dtype));
}

function runCkptWrite(r: CaseRun): void {
  const c = r.c;
  setSeed(Number(c.seed ?? 0));
  const net = buildCell(c.cell as unknown as CellSpec, r.tensor);
  r.describe(net);
  const file = join(r.dir, c.format === 'safetensors' ? 'msport-written.safetensors' : 'msport-written.ckpt');
  const crcCheck = c.crc_check === true;
  const appendDict = (c.append_dict ?? undefined) as Record<string, number | boolean | string> | undefined;
  if (c.format === 'safetensors') saveSafetensors(net, file, { crcCheck }); else saveCheckpoint(net, file, { crcCheck, appendDict });
  for (const [name, p] of net.parametersAndNames()) r.put(`param/${name}`, p);
  r.result.info = { file };
}

function runCkptRead(r: CaseRun): void {
  const c = r.c;
  const file = join(r.dir, String(c.file));
  const crcCheck = c.crc_check === true;
  const read = c.format === 'safetensors' ? { ...readSafetensors(file, { crcCheck }), strings: new Map<string, string>() } : readCheckpoint(file, { crcCheck });
  const params = read.params;
  r.result.info = { strings: Object.fromEntries(read.strings) };
  r.result.params = [...params].map(([name, p]) => ({ name, shape: [...p.shape], dtype: msDTypeName[p.dtype], requires_grad: p.requiresGrad, repr: String(p) }));
  for (const [name, p] of params) r.put(`param/${name}`, p);
}

function runTrain(r: CaseRun): void {
  const c = r.c;
  const net = buildCell(c.cell as unknown as CellSpec, r.tensor);
  r.describe(net);
  r.loadWeights(net);
  const loss = buildCell(c.loss as unknown as CellSpec, r.tensor);
  const o = c.optimizer as { cls: string; kwargs?: Record<string, Json> };
  const kw: Record<string, Value> = {};
  for (const [k, v] of Object.entries(o.kwargs ?? {})) kw[k] = decode(v, r.tensor);
  const opt = makeOptimizer(o.cls, net.trainableParams(), kw);
  const step = new nn.TrainOneStepCell(new nn.WithLossCell(net, loss), opt);
  step.setTrain(true);
  const [data, label] = r.inputs() as [Tensor, Tensor];
  const record = (c.record ?? []) as number[];
  for (let k = 1; k <= Number(c.steps); k++) {
    const l = step.forward(data, label);
    if (record.includes(k)) {
      r.put(`loss/${k}`, l);
      for (const [name, p] of net.parametersAndNames()) r.put(`step${k}/${name}`, p);
    }
  }
}

const OPT_SIGS: Record<string, readonly string[]> = {
  SGD: ['learning_rate', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'loss_scale'],
  Momentum: ['learning_rate', 'momentum', 'weight_decay', 'loss_scale', 'use_nesterov'],
  Adam: ['learning_rate', 'beta1', 'beta2', 'eps', 'use_locking', 'use_nesterov', 'weight_decay', 'loss_scale', 'use_amsgrad'],
};
function makeOptimizer(cls: string, params: Parameter[], kw: Record<string, Value>) {
  const sig = OPT_SIGS[cls];
  if (!sig) throw new BridgeError(`msport has no nn.${cls}`);
  const a = bind(cls, sig, [], kw) as Record<string, number | boolean | undefined>;
  for (const k of ['use_locking', 'use_nesterov', 'use_amsgrad'] as const) if (cls === 'Adam' && a[k]) throw new BridgeError(`msport's Adam supports ${k}=False only`);
  const common = { learningRate: a.learning_rate as number | undefined, weightDecay: a.weight_decay as number | undefined, lossScale: a.loss_scale as number | undefined };
  if (cls === 'SGD') return new nn.SGD(params, { ...common, momentum: a.momentum as number | undefined, dampening: a.dampening as number | undefined, nesterov: a.nesterov as boolean | undefined });
  if (cls === 'Momentum') return new nn.Momentum(params, { ...common, learningRate: a.learning_rate as number, momentum: a.momentum as number, useNesterov: a.use_nesterov as boolean | undefined });
  return new nn.Adam(params, { ...common, beta1: a.beta1 as number | undefined, beta2: a.beta2 as number | undefined, eps: a.eps as number | undefined });
}

function runProgram(r: CaseRun): void {
  const p = PROGRAMS[String(r.c.program)];
  if (!p) throw new BridgeError(`msport has no program '${String(r.c.program)}'`);
  for (const [k, t] of p(r.tensor)) r.put(k, t);
}

/** repr(Tensor), str(Tensor) and repr(Parameter) of the case's input 0. */
function runTensorRepr(r: CaseRun): void {
  const t = r.inputs()[0]!;
  r.result.info = { repr: String(t), str: t.str(), param_repr: String(new Parameter(t, 'p')) };
}

const KINDS: Record<string, (r: CaseRun) => void> = { cell: runCell, op: runOp, init: runInit, ckpt_write: runCkptWrite, ckpt_read: runCkptRead, train: runTrain, program: runProgram, tensor_repr: runTensorRepr };

/** Run one case directory; returns the error message, or null. */
export function runCase(dir: string): string | null {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseFile;
  let r: CaseRun | null = null;
  try {
    setSeed(Number(c.seed ?? 0));
    r = new CaseRun(dir, c);
    const k = KINDS[c.kind];
    if (!k) throw new BridgeError(`unknown case kind '${c.kind}'`);
    k(r);
  } catch (e) {
    if (!r) r = { result: { error: null }, out: new Map() } as unknown as CaseRun;
    r.result.error = `${(e as Error).name === 'BridgeError' ? '' : `${(e as Error).name}: `}${(e as Error).message}`;
  }
  saveSafetensors(r.out, join(dir, 'msport.safetensors'));
  const tmp = join(dir, 'msport.json.tmp');
  writeFileSync(tmp, JSON.stringify(r.result, null, 1));
  renameSync(tmp, join(dir, 'msport.json'));
  return r.result.error;
}

/** Run every case directory under `root` (those holding a case.json). */
export function runAll(root: string): { cases: number; errors: number } {
  let cases = 0, errors = 0;
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'case.json'))) continue;
    cases++;
    if (runCase(dir) !== null) errors++;
  }
  return { cases, errors };
}
