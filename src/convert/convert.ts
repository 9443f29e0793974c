/**
 * `msport convert`: the checked Cell tree handed over as the port itself — the MindSpore module (module.ts), its
 * weights under the MindSpore names, the inputs and onnxruntime outputs of the check, and a generated test that
 * rebuilds the net in real MindSpore and compares. The folder appears whole or not at all.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { check, CheckResult } from '../check.js';
import type { Tolerance } from '../compare/comparator.js';
import { writeNpy } from '../compare/npy.js';
import { saveCheckpoint } from '../runtime/checkpoint.js';
import { saveSafetensors } from '../runtime/safetensors.js';
import { MsportError, UsageError } from '../errors.js';
import { writeModule, Unwritable, Observed } from './module.js';
import type { Tensor } from '../runtime/tensor.js';
import { portReadme, portTest } from './files.js';

export interface ConvertOptions extends Tolerance {
  out: string;
  className?: string;
  format?: 'ckpt' | 'safetensors';
  force?: boolean;
  seed: number;
  shapes?: Map<string, number[]>;
  inputs?: Map<string, string>;
  /** --accept-noise: a model whose outputs differ from onnxruntime's by float noise only (a float16 export) is
   * written, and its test holds the port to msport's checked outputs */
  acceptNoise?: boolean;
}

export interface ConvertResult {
  model: string;
  dir: string;
  /** the module's file stem (`resnet18` → resnet18.py, test_resnet18.py) */
  name: string;
  className: string;
  classes: string[];
  files: { path: string; bytes: number }[];
  lines: number;
  parameters: number;
  buffers: number;
  /** msport's own check of the Cell tree the code was written from */
  check: { passed: boolean; atol: number; rtol: number; seed: number; outputs: { name: string; maxAbsDiff: number; passed: boolean }[] };
  ms: number;
  /** what the user should know to run the port (a large .ckpt: MindSpore's load_checkpoint limit) */
  notes?: string[];
}

/** Steps msport cannot write as MindSpore code: the port would be incomplete, so nothing is written (exit 3). */
export class UnwritableError extends MsportError {
  readonly steps: Unwritable[];
  constructor(steps: Unwritable[]) {
    const byReason = new Map<string, number>();
    for (const s of steps) byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
    super('MSPORT_UNWRITABLE', `cannot write the port: ${[...byReason].map(([r, n]) => `${r}${n > 1 ? ` x${n}` : ''}`).join('; ')}`, 3);
    this.steps = steps;
  }
}

/** A Python module name from the model file: `resnet18.noopt.onnx` → `resnet18_noopt`. */
export function moduleName(model: string): string {
  const n = basename(model).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  return /^\d/.test(n) || !n ? `model_${n}` : n;
}

function refuseNonEmpty(dir: string, force: boolean | undefined): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
  if (readdirSync(dir).length && !force) throw new UsageError(`${dir} is not empty (pass --force to replace it)`);
}

export async function convert(modelPath: string, opts: ConvertOptions): Promise<ConvertResult> {
  const t0 = performance.now();
  const dir = resolve(opts.out);
  refuseNonEmpty(dir, opts.force);
  const r: CheckResult = await check(modelPath, { atol: opts.atol, rtol: opts.rtol, seed: opts.seed, samples: 1, shapes: opts.shapes, inputs: opts.inputs, keep: true,
    ...(opts.acceptNoise ? { acceptNoise: true } : {}) });
  const kept = r.kept!;
  const name = moduleName(modelPath);
  // the dtype and rank of every value, from one run on the checked inputs: a writer may need them (ONNX Div truncates
  // integers; a negative axis needs the rank) where the graph does not state them
  const observed = new Map<string, Observed>();
  const see = (n: string, t: Tensor): void => { observed.set(n, { dtype: t.dtype, rank: t.ndim, shape: [...t.shape] }); };
  kept.inputOrder.forEach(n => see(n, kept.inputs.get(n)!));
  const msOuts = kept.network.execute(kept.inputOrder.map(n => kept.inputs.get(n)!), (step, outs) => step.outputs.forEach((o, k) => { if (o && outs[k]) see(o, outs[k]!); }));
  const mod = writeModule(kept.network, { observed, className: opts.className, header: `"""MindSpore 2.10 port of ${basename(modelPath)}, written by msport convert from the Cell tree it checked."""` });
  if (mod.unwritable.length) throw new UnwritableError(mod.unwritable);
  const ext: 'ckpt' | 'safetensors' = opts.format === 'safetensors' ? 'safetensors' : 'ckpt';

  // everything goes into a sibling temp folder first, which then takes the output's place in one rename
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.msport-${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const files: { path: string; bytes: number }[] = [];
  try {
    mkdirSync(join(tmp, 'data'), { recursive: true });
    const put = (rel: string, data: string | Uint8Array): void => {
      writeFileSync(join(tmp, rel), data);
      files.push({ path: rel, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength });
    };
    put(`${name}.py`, mod.code);
    const weightsFile = mod.checkpoint.size ? `${name}.${ext}` : '';
    if (weightsFile) {
      const weights = join(tmp, weightsFile);
      if (ext === 'safetensors') saveSafetensors(mod.checkpoint, weights);
      else saveCheckpoint(mod.checkpoint, weights);
      files.push({ path: weightsFile, bytes: statSync(weights).size });
    }
    kept.inputOrder.forEach((n, i) => put(`data/input_${i}.npy`, writeNpy(kept.inputs.get(n)!)));
    kept.outputOrder.forEach((n, i) => put(`data/expected_${i}.npy`, writeNpy(kept.expected.get(n)!)));
    // accepted as float noise: the port is held to what msport's Cell tree computed (MindSpore's semantics), and its
    // distance from onnxruntime's outputs is printed beside
    if (r.noiseAccepted) kept.outputOrder.forEach((n, i) => put(`data/msport_${i}.npy`, writeNpy(msOuts[kept.network.outputNames.indexOf(n)] ?? kept.expected.get(n)!)));
    const info = { model: basename(modelPath), name, className: mod.className, weights: weightsFile, format: ext, atol: opts.atol, rtol: opts.rtol,
      inputs: kept.inputOrder, outputs: kept.outputOrder, check: r, against: r.noiseAccepted ? 'msport' as const : 'onnxruntime' as const };
    put(`test_${name}.py`, portTest(info));
    put('README.md', portReadme({ ...info, classes: mod.classes, network: kept.network }));
    if (existsSync(dir)) {
      const old = `${dir}.msport-${process.pid}.old`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof MsportError) throw e;
    throw new UsageError(`cannot write ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const paramNames = new Set(kept.network.parametersAndNames().map(([n]) => n));
  const note = ckptNote(files, ext, mod.checkpoint.size ? `${name}.${ext}` : '');
  return {
    model: modelPath, dir, name, className: mod.className, classes: mod.classes, files,
    lines: mod.code.split('\n').length,
    parameters: paramNames.size, buffers: [...mod.checkpoint.keys()].filter(k => !paramNames.has(k)).length,
    check: { passed: r.passed, atol: r.atol, rtol: r.rtol, seed: r.seed, outputs: r.outputs.map(o => ({ name: o.name, maxAbsDiff: o.maxAbsDiff, passed: o.passed })) },
    ms: performance.now() - t0,
    ...(note ? { notes: [note] } : {}),
  };
}

/**
 * MindSpore 2.10's load_checkpoint reads a .ckpt as one protobuf message and refuses one larger than the machine's
 * free memory — os.sysconf('SC_AVPHYS_PAGES'), which does not count the page cache, so a machine that has just read
 * large files refuses a .ckpt far smaller than its RAM (measured: a 600 MB file refused with 0.56 GB free of 24 GB).
 * A safetensors file is read tensor by tensor.
 */
export function ckptNote(files: { path: string; bytes: number }[], ext: string, weights: string): string | null {
  const f = files.find(x => x.path === weights);
  if (ext !== 'ckpt' || !f || f.bytes < 2 ** 29) return null;
  return `${weights} is ${(f.bytes / 2 ** 30).toFixed(2)} GiB: MindSpore 2.10's load_checkpoint refuses a .ckpt larger than the free memory (page cache not counted); --format safetensors is read tensor by tensor`;
}
