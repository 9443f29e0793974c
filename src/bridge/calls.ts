/**
 * The MindSpore constructor calls msport prints for a model (report and inspect read them from callOf), with the
 * repr and Parameters of the Cell each was read from: conformance/test_emitted_calls.py runs every call in MindSpore
 * 2.10 and compares what it builds with the Cell msport checked. With an io folder, each distinct call also gets the
 * Cell's first call in the model: its inputs, its Parameters' values and its outputs (`<n>.safetensors`), so the
 * suite can load the checked weights into MindSpore's Cell and compare outputs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelFromFile } from '../onnx/proto.js';
import { importModel } from '../onnx/import.js';
import { ScopeCell, OnnxNetwork } from '../onnx/network.js';
import { callOf } from '../report/calls.js';
import { randomInput } from '../compare/inputs.js';
import { encodeSafetensors } from '../runtime/safetensors.js';
import { noGrad } from '../runtime/autograd.js';
import { Tensor } from '../runtime/tensor.js';
import type { Cell } from '../runtime/cell.js';

export interface EmittedCall {
  model: string; cell: string; ms: string; repr: string;
  /** the Cell's Parameters as MindSpore's parameters_and_names() on that Cell gives them: attribute path and shape */
  params: [name: string, shape: number[]][];
  /** file (in the io folder) with the Cell's first call: `in.<k>`, `param.<name>`, `out.<k>`; null when not traced */
  io: string | null;
}

const flat = (o: unknown): Tensor[] => (o instanceof Tensor ? [o] : Array.isArray(o) ? o.flatMap(flat) : []);

export function emittedCalls(files: readonly string[], ioDir: string | null = null): EmittedCall[] {
  const out: EmittedCall[] = [];
  const traced = new Set<string>();
  for (const model of files) {
    const m = modelFromFile(model);
    const { network } = importModel(m);
    const calls: EmittedCall[] = [];
    const leaves: [Cell, EmittedCall][] = [];
    for (const [name, cell] of network.cellsAndNames()) {
      if (cell instanceof ScopeCell || cell instanceof OnnxNetwork || !name) continue;
      const c: EmittedCall = { model, cell: name, ms: callOf(cell).ms, repr: cell.toString(), params: cell.parametersAndNames().map(([n, p]) => [n, [...p.shape]]), io: null };
      calls.push(c);
      leaves.push([cell, c]);
    }
    if (ioDir) trace(m, network, leaves.filter(([, c]) => !traced.has(c.ms)), ioDir, out.length, traced);
    out.push(...calls);
  }
  // a call is one (constructor, weights-independent) thing: whichever Cell printing it ran first stands for all
  const ioOf = new Map<string, string>();
  for (const c of out) if (c.io && !ioOf.has(c.ms)) ioOf.set(c.ms, c.io);
  for (const c of out) c.io = ioOf.get(c.ms) ?? null;
  return out;
}

/**
 * Run the model once on seeded inputs (symbolic dims set as below) and keep each listed Cell's first call. A model that
 * cannot run that way leaves its calls untraced: the suite then checks their construction only.
 */
function trace(m: ReturnType<typeof modelFromFile>, network: OnnxNetwork, leaves: [Cell, EmittedCall][], ioDir: string, base: number, traced: Set<string>): void {
  const restore: (() => void)[] = [];
  let n = base;
  for (const [cell, c] of leaves) {
    const own = cell.call.bind(cell);
    (cell as { call: Cell['call'] }).call = (...xs: unknown[]) => {
      const o = own(...(xs as Tensor[]));
      if (!traced.has(c.ms)) {
        traced.add(c.ms);
        const t = new Map<string, Tensor>();
        flat(xs).forEach((x, k) => t.set(`in.${k}`, x));
        for (const [name, p] of cell.parametersAndNames()) t.set(`param.${name}`, p);
        flat(o).forEach((y, k) => t.set(`out.${k}`, y));
        c.io = `${n++}.safetensors`;
        writeFileSync(join(ioDir, c.io), Buffer.concat(encodeSafetensors(t)));
      }
      return o;
    };
    restore.push(() => { delete (cell as { call?: unknown }).call; });
  }
  // symbolic dims at 1 (a batch), then a long axis for the others (a sequence, an STFT window: silero VAD needs 512)
  for (const long of [1, 512]) {
    try {
      const inputs = m.graph.inputs.map((v, i) => randomInput(v, (v.dims ?? []).map((d, k) => (typeof d === 'number' ? d : k === 0 ? 1 : long)), 0, i));
      noGrad(() => network.execute(inputs));
      break;
    } catch {
      // not a shape this model runs at: the next, or its Cells stay untraced (checked for construction only)
    }
  }
  for (const r of restore) r();
}
