/**
 * `check --port FILE.py:CLASS`: the user's own MindSpore port, run in real MindSpore in a Python child process
 * (python/msport_port.py) on the same inputs onnxruntime ran. Arrays cross as .npy, everything else as JSON.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../compare/npy.js';
import { saveCheckpoint } from '../runtime/checkpoint.js';
import type { Tensor } from '../runtime/tensor.js';
import { UsageError } from '../errors.js';

export interface PortSpec { file: string; className: string; args: Record<string, unknown>; python: string; layers?: boolean; train?: boolean }

/** One Cell of the port as it ran on the first sample (forward hooks): its name, which call, its class, its output. */
export interface PortLayer { name: string; call: number; cls: string; output: Tensor; inputs: Tensor[] }

export interface PortRun {
  /** the port's Parameters (MindSpore names) and shapes */
  params: [string, number[]][];
  /** the weight names the bridge loaded (name and shape matched) */
  loaded: string[];
  /** per sample, the port's outputs in order (nested tuples flattened) */
  outputs: Tensor[][];
  ms: number[];
  mindspore: string;
  /** with `layers`: every Cell call of the port on the first sample, in order */
  layers: PortLayer[];
  /** with `train`: each BatchNorm Cell's moving statistics after the first sample's train-phase step */
  states: { name: string; mean: Tensor; variance: Tensor }[];
  /** with `train`: each Dropout Cell's drop rate measured in train phase (it then ran in predict phase) */
  dropouts: PortDropout[];
}

/** A Dropout Cell of the port measured on ones: the fraction it zeroed, the mean value it kept, how many draws. */
export interface PortDropout { name: string; cls: string; dropped: number; keptScale: number; draws: number }

/** The port raised while running: which sample, and the innermost Cell of the port that was running, with its inputs' shapes. */
export class PortRunError extends UsageError {
  constructor(message: string, readonly sample: number, readonly failed: { cell: string; cls: string; shapes: number[][] } | null) { super(message); }
}

const BRIDGE = fileURLToPath(new URL('../../python/msport_port.py', import.meta.url));

/** `FILE.py:CLASS` → its parts; the file must exist. */
export function parsePortArg(arg: string): { file: string; className: string } {
  const m = /^(.+\.py):([A-Za-z_][A-Za-z0-9_]*)$/.exec(arg);
  if (!m) throw new UsageError(`--port expects FILE.py:CLASS, got '${arg}'`);
  if (!existsSync(m[1]!)) throw new UsageError(`--port: ${m[1]} does not exist`);
  return { file: resolve(m[1]!), className: m[2]! };
}

const INSTALL = 'install Python 3.9–3.11 and `pip install mindspore==2.10.0`, or pass --python';

/** Run the port on every sample; `weights` is a weights file, or the tensors to write as one (MindSpore names). */
export async function runPort(spec: PortSpec, samples: Tensor[][], weights: string | ReadonlyMap<string, Tensor> | null): Promise<PortRun> {
  const dir = mkdtempSync(join(tmpdir(), 'msport-port-'));
  try {
    const inputs = samples.map((xs, s) => xs.map((t, i) => { const p = join(dir, `in_${s}_${i}.npy`); writeFileSync(p, writeNpy(t)); return p; }));
    let weightsPath: string | null = null;
    if (typeof weights === 'string') weightsPath = resolve(weights);
    else if (weights && weights.size) weightsPath = saveCheckpoint(weights, join(dir, 'weights.ckpt'));
    const request = { file: spec.file, class: spec.className, args: spec.args, weights: weightsPath, inputs, out: dir, result: join(dir, 'result.json'), layers: !!spec.layers, train: !!spec.train };
    writeFileSync(join(dir, 'request.json'), JSON.stringify(request));
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
      const child = spawn(spec.python, [BRIDGE, join(dir, 'request.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); if (err.length > 1 << 20) err = err.slice(-(1 << 19)); });
      child.on('error', e => fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? new UsageError(`--port needs Python with MindSpore: ${spec.python} was not found (${INSTALL})`) : e));
      child.on('close', c => done({ code: c, stderr: err }));
    });
    if (!existsSync(request.result)) {
      const last = stderr.trim().split('\n').filter(l => l && !l.includes('[WARNING]')).pop() ?? `exit ${code}`;
      throw new UsageError(`--port: ${spec.python} could not run msport's bridge: ${last}`);
    }
    const r = JSON.parse(readFileSync(request.result, 'utf8')) as { error?: { kind: string; message: string; sample?: number; failed?: { cell: string; cls: string; shapes: number[][] } } } & Omit<PortRun, 'outputs' | 'layers' | 'states' | 'dropouts'> & { outputs: string[][]; layers?: [string, number, string, string, string[]][]; states?: [string, string, string][]; dropouts?: [string, string, number, number, number][] };
    if (r.error) {
      if (r.error.kind === 'no-mindspore') throw new UsageError(`--port needs MindSpore 2.10 in ${spec.python} (${r.error.message}); ${INSTALL}`);
      if (r.error.kind === 'run') throw new PortRunError(`--port: ${r.error.message}`, r.error.sample ?? 0, r.error.failed ?? null);
      throw new UsageError(`--port: ${r.error.message}`);
    }
    return { params: r.params, loaded: r.loaded, outputs: r.outputs.map(ps => ps.map(p => readNpy(p))), ms: r.ms, mindspore: r.mindspore,
      layers: (r.layers ?? []).map(([name, call, cls, path, ins]) => ({ name, call, cls, output: readNpy(path), inputs: (ins ?? []).map(p => readNpy(p)) })),
      states: (r.states ?? []).map(([name, m, v]) => ({ name, mean: readNpy(m), variance: readNpy(v) })),
      dropouts: (r.dropouts ?? []).map(([name, cls, dropped, keptScale, draws]: [string, string, number, number, number]) => ({ name, cls, dropped, keptScale, draws })) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
