/** Latency of one model on the msport runtime, onnxruntime-node and onnxruntime-web, on the same inputs. */
import { performance } from 'node:perf_hooks';
import * as ortNode from 'onnxruntime-node';
import { modelFromFile } from '../onnx/proto.js';
import { importModel } from '../onnx/import.js';
import { loadInputs } from '../compare/inputs.js';
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

/** Wall times of `runs` calls after `warmup` calls; `cpu` receives the median process CPU time (all threads) per call. */
async function timeRuns(runs: number, warmup: number, f: () => unknown, cpu?: (ms: number) => void): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await f();
  const out: number[] = [], cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1000);
  }
  cpu?.(median(cpus));
  return out;
}

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

async function ortLatency(ort: OrtLike, bytes: Uint8Array, opts: Record<string, unknown>, names: string[], inputs: Tensor[], o: BenchOptions): Promise<{ times: number[]; outputs: Float32Array[]; cpu: number }> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...opts });
  const feeds = feedsFor(ort, names, inputs);
  let outputs: Float32Array[] = [];
  let cpu = 0;
  const times = await timeRuns(o.runs, o.warmup, async () => {
    const out = await session.run(feeds);
    outputs = session.outputNames.map(n => out[n]!.data as Float32Array);
  }, c => { cpu = c; });
  await session.release();
  return { times, outputs, cpu };
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

export async function benchModel(name: string, path: string, o: BenchOptions): Promise<BenchResult> {
  const model = modelFromFile(path);
  const { network } = importModel(model);
  const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 0 });
  const names = model.graph.inputs.map(v => v.name);
  const r: BenchResult = { model: name, path, msport1t: null, msport2t: null, ortNode1t: null, ortNode2t: null, ortWeb1t: null, samples: {}, maxAbsDiff: null, kernels: '', cpu: {} };

  let msOut: Tensor[] = [];
  const runMs = (): void => { msOut = noGrad(() => network.execute(inputs)); };
  const prevThreads = kernelInfo().threads;
  try {
    for (const t of [1, 2]) {
      const used = setKernelThreads(t);
      if (t === 2 && used < 2) { o.log('  msport: one kernel thread only; 2t not measured'); break; }
      r.kernels = kernelInfo().description;
      const times = await timeRuns(o.runs, o.warmup, runMs, c => { r.cpu[`msport${t}t`] = c; });
      r.samples[`msport${t}t`] = times;
      if (t === 1) r.msport1t = median(times); else r.msport2t = median(times);
      o.log(`  msport ${t}t: ${times.map(x => x.toFixed(0)).join(' ')} ms (cpu ${r.cpu[`msport${t}t`]!.toFixed(0)} ms)`);
    }
    if (o.profile) {
      setKernelThreads(1);
      r.profile = profileRun(network, inputs);
      for (const p of r.profile.slice(0, 15)) o.log(`    ${p.ms.toFixed(1).padStart(8)} ms (cpu ${p.cpuMs.toFixed(1).padStart(7)})  ${String(p.calls).padStart(4)}×  ${p.op}`);
    }
  } finally {
    setKernelThreads(prevThreads);
  }

  for (const t of [1, 2]) {
    const { times, outputs, cpu } = await ortLatency(ortNode, model.bytes, { intraOpNumThreads: t, interOpNumThreads: 1, executionMode: 'sequential' }, names, inputs, o);
    r.samples[`ortNode${t}t`] = times;
    r.cpu[`ortNode${t}t`] = cpu;
    if (t === 1) {
      r.ortNode1t = median(times);
      let d = 0;
      outputs.forEach((ref, k) => {
        const got = msOut[k]?.data as Float32Array | undefined;
        if (!got || got.length !== ref.length) { d = Infinity; return; }
        for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i]! - got[i]!));
      });
      r.maxAbsDiff = d;
    } else r.ortNode2t = median(times);
    o.log(`  ort-node ${t}t: ${times.map(x => x.toFixed(0)).join(' ')} ms (cpu ${cpu.toFixed(0)} ms)`);
  }

  if (o.web) {
    try {
      const ortWeb = await import('onnxruntime-web');
      ortWeb.env.wasm.numThreads = 1;
      ortWeb.env.wasm.simd = true;
      const { times, cpu } = await ortLatency(ortWeb as unknown as OrtLike, model.bytes, { executionProviders: ['wasm'] }, names, inputs, o);
      r.samples.ortWeb1t = times;
      r.cpu.ortWeb1t = cpu;
      r.ortWeb1t = median(times);
      o.log(`  ort-web 1t: ${times.map(x => x.toFixed(0)).join(' ')} ms (cpu ${cpu.toFixed(0)} ms)`);
    } catch (e) {
      o.log(`  ort-web failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return r;
}
