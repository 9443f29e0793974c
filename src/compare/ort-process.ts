/**
 * onnxruntime in a child process (ort-child.ts) for `msport check`: the reference outputs of every sample come back
 * over IPC and the child exits. Two things follow: all of onnxruntime's memory goes back to the system before msport
 * reads the weights (released in-process, glibc keeps much of it: ~400 MB of ViT-B/16's 440), and a native crash of
 * onnxruntime on a broken model is a reported error, not msport's crash.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import { ModelLoadError } from '../errors.js';

export interface WireTensor { dtype: string; shape: number[]; data: Tensor['data'] }
export interface ReferenceRequest { model: string; threads?: number; samples: [string, WireTensor][][] }
export type ReferenceReply =
  | { ok: true; outputs: [string, WireTensor][][]; ms: number[]; peakKiB: number }
  | { ok: false; message: string; peakKiB: number };

/** Where the process tree's peak RSS (this process plus the reference child) is kept for the bench's probe. */
export const TREE_PEAK = Symbol.for('msport.processTreePeakKiB');

/** The compiled child script: beside this file in dist/, or dist/ seen from src/ (tests run the TypeScript). */
function childScript(): string | null {
  const candidates = [
    fileURLToPath(new URL('./ort-child.js', import.meta.url)),
    fileURLToPath(new URL('../../dist/compare/ort-child.js', import.meta.url)),
  ];
  return candidates.find(p => existsSync(p)) ?? null;
}

function rssKiB(): number {
  try { return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0); } catch { return 0; }
}

/**
 * Run `model` (a path) on every sample's feeds in a child onnxruntime process; null when the child script is not
 * there (then the caller runs onnxruntime in process). Errors are ModelLoadErrors with onnxruntime's first line.
 */
export async function referenceInChildProcess(model: string, samples: Map<string, Tensor>[], threads?: number):
  Promise<{ outputs: Map<string, Tensor>[]; ms: number[]; peakKiB: number } | null> {
  const script = childScript();
  if (!script) return null;
  const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
  let stderr = '';
  child.stderr!.on('data', d => { stderr = (stderr + String(d)).slice(-4000); });
  const parentKiB = rssKiB();
  const reply = await new Promise<ReferenceReply | { exit: string }>(resolve => {
    let done = false;
    child.once('message', m => { done = true; resolve(m as ReferenceReply); });
    child.once('exit', (code, signal) => { if (!done) resolve({ exit: signal ? `signal ${signal}` : `exit code ${code}` }); });
    child.once('error', e => { if (!done) { done = true; resolve({ exit: e.message }); } });
    const req: ReferenceRequest = {
      model, ...(threads !== undefined ? { threads } : {}),
      samples: samples.map(f => [...f].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.data }])),
    };
    child.send(req);
  });
  if ('exit' in reply) {
    const last = stderr.trim().split('\n').pop() ?? '';
    throw new ModelLoadError(`onnxruntime stopped without a result (${reply.exit})${last ? `: ${last}` : ''}`);
  }
  const g = globalThis as unknown as Record<symbol, number | undefined>;
  g[TREE_PEAK] = Math.max(g[TREE_PEAK] ?? 0, Math.max(parentKiB, rssKiB()) + reply.peakKiB);
  if (!reply.ok) throw new ModelLoadError(reply.message);
  return {
    outputs: reply.outputs.map(o => new Map(o.map(([k, w]) => [k, new Tensor(w.data, w.shape, w.dtype as DType)]))),
    ms: reply.ms,
    peakKiB: reply.peakKiB,
  };
}
