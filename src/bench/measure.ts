/** Latency of one model on the msport runtime, onnxruntime-node and onnxruntime-web, on the same inputs. */
import { performance } from 'node:perf_hooks';
import * as ortNode from 'onnxruntime-node';
import { modelFromFile } from '../onnx/proto.js';
import { importModel } from '../onnx/import.js';
import { loadInputs } from '../compare/inputs.js';
import { ortBytes } from '../compare/runners.js';
import { noGrad } from '../runtime/autograd.js';
import { Tensor } from '../runtime/tensor.js';
import { kernelInfo, setKernelThreads } from '../runtime/kernels/index.js';
import type { OnnxNetwork } from '../onnx/network.js';
import type { CheckProcessResult } from './rss.js';

export const DEFAULT_MODELS = ['resnet18', 'resnet50', 'mobilenet_v2', 'efficientnet_b0', 'vit_b_16', 'convnext_tiny'];

export interface BenchResult {
  model: string;
  path: string;
  /** median forward latency, ms (null: not measured) */
  msport1t: number | null;
  msport2t: number | null;
  ortNode1t: number | null;
  ortNode2t: number | null;
  ortWeb1t: number | null;
  /** every timed run, ms */
  samples: Record<string, number[]>;
  /** largest |msport − onnxruntime-node| over the outputs of the timed inputs (a sanity check, not the verdict) */
  maxAbsDiff: number | null;
  kernels: string;
  /** per op type and Cell API, on one 1-thread run: wall and CPU time */
  profile?: { op: string; ms: number; cpuMs: number; calls: number }[];
  /** median process CPU time per forward for each engine (all threads), ms */
  cpu: Record<string, number>;
  check?: CheckProcessResult;
}

export interface BenchOptions { runs: number; warmup: number; web: boolean; profile: boolean; log: (s: string) => void }

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type OrtLike = typeof ortNode;

function feedsFor<T extends OrtLike>(ort: T, names: string[], inputs: Tensor[]): Record<string, InstanceType<T['Tensor']>> {
  const feeds: Record<string, InstanceType<T['Tensor']>> = {};
  names.forEach((n, i) => {
    const t = inputs[i]!;
    const type = t.dtype === 'bool' ? 'bool' : t.dtype;
    feeds[n] = new ort.Tensor(type as 'float32', t.data as Float32Array, [...t.shape]) as InstanceType<T['Tensor']>;
  });
  return feeds;
}

/** An onnxruntime session (node or web build) on the bench inputs, ready to time. */
async function ortEngine(ort: OrtLike, bytes: Uint8Array, opts: Record<string, unknown>, names: string[], inputs: Tensor[]):
  Promise<{ run: () => Promise<void>; outputs: () => Float32Array[]; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(ortBytes(bytes), { graphOptimizationLevel: 'all', ...opts });
  const feeds = feedsFor(ort, names, inputs);
  let outputs: Float32Array[] = [];
  return {
    run: async () => { const out = await session.run(feeds); outputs = session.outputNames.map(n => out[n]!.data as Float32Array); },
    outputs: () => outputs,
    release: () => session.release(),
  };
}

function profileRun(net: OnnxNetwork, inputs: Tensor[]): { op: string; ms: number; cpuMs: number; calls: number }[] {
  const acc = new Map<string, { ms: number; cpuMs: number; calls: number }>();
  const orig = net.steps.map(s => s.run);
  net.steps.forEach((s, i) => {
    const run = orig[i]!;
    const key = `${s.node.opType} (${s.msApi})`;
    s.run = args => {
      const c = process.cpuUsage();
      const t = performance.now();
      const r = run(args);
      const e = acc.get(key) ?? { ms: 0, cpuMs: 0, calls: 0 };
      const d = process.cpuUsage(c);
      e.ms += performance.now() - t; e.cpuMs += (d.user + d.system) / 1000; e.calls++;
      acc.set(key, e);
      return r;
    };
  });
  try { noGrad(() => net.execute(inputs)); } finally { net.steps.forEach((s, i) => { s.run = orig[i]!; }); }
  return [...acc].map(([op, v]) => ({ op, ...v })).sort((a, b) => b.ms - a.ms);
}

/**
 * One model: every engine is built first, then timed in rounds, each round running every engine once in a rotated
 * order, so load from outside (this VM shares its host) falls on all engines alike and the ratios hold up.
 */
export async function benchModel(name: string, path: string, o: BenchOptions): Promise<BenchResult> {
  const model = modelFromFile(path);
  const { network } = importModel(model);
  const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
  const names = model.graph.inputs.map(v => v.name);
  const r: BenchResult = { model: name, path, msport1t: null, msport2t: null, ortNode1t: null, ortNode2t: null, ortWeb1t: null, samples: {}, maxAbsDiff: null, kernels: '', cpu: {} };

  let msOut: Tensor[] = [];
  const prevThreads = kernelInfo().threads;
  const engines: { key: keyof BenchResult & string; label: string; run: () => unknown }[] = [];
  const msport = (t: number) => (): void => { setKernelThreads(t); msOut = noGrad(() => network.execute(inputs)); };
  engines.push({ key: 'msport1t', label: 'msport 1t', run: msport(1) });
  if (setKernelThreads(2) >= 2) engines.push({ key: 'msport2t', label: 'msport 2t', run: msport(2) });
  else o.log('  msport: one kernel thread only; 2t not measured');
  r.kernels = kernelInfo().description;
  const sessions: Awaited<ReturnType<typeof ortEngine>>[] = [];
  const node1 = await ortEngine(ortNode, model.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' }, names, inputs);
  const node2 = await ortEngine(ortNode, model.bytes, { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' }, names, inputs);
  sessions.push(node1, node2);
  engines.push({ key: 'ortNode1t', label: 'ort-node 1t', run: node1.run }, { key: 'ortNode2t', label: 'ort-node 2t', run: node2.run });
  if (o.web) {
    try {
      const ortWeb = await import('onnxruntime-web');
      ortWeb.env.wasm.numThreads = 1;
      ortWeb.env.wasm.simd = true;
      const web = await ortEngine(ortWeb as unknown as OrtLike, model.bytes, { executionProviders: ['wasm'] }, names, inputs);
      sessions.push(web);
      engines.push({ key: 'ortWeb1t', label: 'ort-web 1t', run: web.run });
    } catch (e) {
      o.log(`  ort-web failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  try {
    for (const e of engines) for (let i = 0; i < o.warmup; i++) await e.run();
    const times = new Map(engines.map(e => [e.key, [] as number[]]));
    const cpus = new Map(engines.map(e => [e.key, [] as number[]]));
    for (let round = 0; round < o.runs; round++) {
      for (let j = 0; j < engines.length; j++) {
        const e = engines[(round + j) % engines.length]!;
        if (e.key.startsWith('msport')) setKernelThreads(e.key === 'msport1t' ? 1 : 2);
        // let the previous engine's spinning threads (onnxruntime's pool, msport's worker) go to sleep first
        await new Promise(res => setTimeout(res, 15));
        const c = process.cpuUsage();
        const t = performance.now();
        await e.run();
        times.get(e.key)!.push(performance.now() - t);
        const d = process.cpuUsage(c);
        cpus.get(e.key)!.push((d.user + d.system) / 1000);
      }
    }
    for (const e of engines) {
      const ts = times.get(e.key)!;
      r.samples[e.key] = ts;
      r.cpu[e.key] = median(cpus.get(e.key)!);
      (r as unknown as Record<string, number>)[e.key] = median(ts);
      o.log(`  ${e.label}: ${ts.map(x => x.toFixed(0)).join(' ')} ms (cpu ${r.cpu[e.key]!.toFixed(0)} ms)`);
    }
    // msport's last output (1 or 2 threads: the same bits) against onnxruntime-node's
    msport(1)();
    let d = 0;
    node1.outputs().forEach((ref, k) => {
      const got = msOut[k]?.data as Float32Array | undefined;
      if (!got || got.length !== ref.length) { d = Infinity; return; }
      for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i]! - got[i]!));
    });
    r.maxAbsDiff = d;
    if (o.profile) {
      setKernelThreads(1);
      r.profile = profileRun(network, inputs);
      for (const p of r.profile.slice(0, 15)) o.log(`    ${p.ms.toFixed(1).padStart(8)} ms (cpu ${p.cpuMs.toFixed(1).padStart(7)})  ${String(p.calls).padStart(4)}×  ${p.op}`);
    }
  } finally {
    setKernelThreads(prevThreads);
    for (const s of sessions) await s.release();
  }
  return r;
}
