/**
 * The reference run in a process of its own (started by ort-process.ts): one message in (model path, threads, the
 * samples' feeds), one message out (every sample's outputs and this process's peak RSS, or the error), then exit,
 * which hands every byte onnxruntime allocated back to the system.
 */
import { readFileSync } from 'node:fs';
import { OrtRunner } from './runners.js';
import { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import type { ReferenceRequest, ReferenceReply, WireTensor } from './ort-process.js';

const wire = (t: Tensor): WireTensor => ({ dtype: t.dtype, shape: [...t.shape], data: t.data as WireTensor['data'] });
const unwire = (w: WireTensor): Tensor => new Tensor(w.data, w.shape, w.dtype as DType);

function peakKiB(): number {
  try { return Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0); } catch { return 0; }
}

process.once('message', (msg: unknown) => {
  const req = msg as ReferenceRequest;
  void (async (): Promise<ReferenceReply> => {
    try {
      const samples = req.samples.map(feeds => new Map(feeds.map(([k, v]) => [k, unwire(v)])));
      const { outputs, ms } = await OrtRunner.runAll(req.model, samples, { threads: req.threads });
      return { ok: true, outputs: outputs.map(o => [...o].map(([k, v]) => [k, wire(v)])), ms, peakKiB: peakKiB() };
    } catch (e) {
      return { ok: false, message: (e as Error).message, peakKiB: peakKiB() };
    }
  })().then(reply => process.send!(reply, () => process.disconnect()));
});
