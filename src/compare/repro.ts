/**
 * A standalone reproduction of one diverging layer: its ONNX node as a one-node model, the reference values of its
 * inputs and outputs in ONNX's test-data layout (`test_data_set_0/input_0.pb`, `output_0.pb`), and msport's outputs
 * for the same inputs (`msport_output_0.pb`), so it can be replayed with onnxruntime or attached to a bug report.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortBytes } from './runners.js';
import { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import type { OnnxModel } from '../onnx/proto.js';
import type { OnnxNetwork } from '../onnx/network.js';
import { decodeModelProto, encodeModelProto, encodeTensor, tensorToProto, valueInfoOf } from '../onnx/write.js';
import { UsageError } from '../errors.js';
import { exposeIntermediates, layerName } from './layers.js';
import { compareOutput, Tolerance } from './comparator.js';
import { fromOrt, toOrt } from './runners.js';

export interface ReproResult { dir: string; layer: string; node: string; files: string[]; maxAbsDiff: number }

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export async function writeRepro(dir: string, layer: string, model: OnnxModel, network: OnnxNetwork, feeds: Map<string, Tensor>, tol: Tolerance): Promise<ReproResult> {
  const step = network.steps.find(s => layerName(s) === layer);
  if (!step) throw new UsageError(`--repro: no layer named ${layer}`);
  const graphInputs = new Set(network.inputNames);
  // the original nodes of this layer: one, or the group a fused module came from (with the Constants it reads)
  const proto = decodeModelProto(model.bytes);
  const all = proto.graph!.node!;
  const group = step.node.fusedFrom
    ? all.filter(n => step.node.fusedFrom!.includes(n.name ?? ''))
    : all.filter(n => (n.output ?? []).join('\u0000') === step.node.outputs.join('\u0000'));
  if (!group.length) throw new UsageError(`--repro: node ${step.node.name} not found in the model`);
  const read = new Set(group.flatMap(n => n.input ?? []));
  const nodes = [...all.filter(n => n.opType === 'Constant' && (n.output ?? []).some(o => read.has(o)) && !group.includes(n)), ...group];
  const producedHere = new Set(nodes.flatMap(n => n.output ?? []));
  const external = [...new Set(nodes.flatMap(n => n.input ?? []))].filter(n => n && !producedHere.has(n));
  const runtimeInputs = external.filter(n => !network.constants.has(n) && !model.graph.initializers.has(n));
  const needRef = [...runtimeInputs.filter(n => !graphInputs.has(n)), ...step.node.outputs.filter(Boolean)];
  const src = exposeIntermediates(model, needRef);
  const session = await ort.InferenceSession.create(typeof src.source === 'string' ? src.source as never : ortBytes(src.source), { logSeverityLevel: 4 }).finally(() => src.dispose());
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of feeds) f[k] = toOrt(v);
  const out = await session.run(f, needRef);
  const ref = new Map<string, Tensor>(Object.entries(out).map(([k, v]) => [k, fromOrt(v as ort.Tensor)]));
  for (const n of runtimeInputs) if (graphInputs.has(n)) ref.set(n, feeds.get(n)!);

  const value = (n: string): Tensor | undefined => (n ? ref.get(n) ?? network.constants.get(n) : undefined);
  const ours = noGrad(() => step.run(step.inputs.map(value)));

  const initializers = external.filter(n => network.constants.has(n) || model.graph.initializers.has(n))
    .map(n => tensorToProto(n, model.graph.initializers.get(n) ?? network.constants.get(n)!));
  const repro = encodeModelProto({
    irVersion: proto.irVersion, producerName: 'msport --repro', opsetImport: proto.opsetImport,
    graph: {
      name: `repro_${layer}`, node: nodes, initializer: initializers,
      input: runtimeInputs.map(n => valueInfoOf(n, ref.get(n)!)),
      output: step.node.outputs.filter(Boolean).map(n => valueInfoOf(n, ref.get(n)!)),
    },
  });

  const data = join(dir, 'test_data_set_0');
  mkdirSync(data, { recursive: true });
  const files: string[] = [];
  const put = (path: string, bytes: Uint8Array | string): void => { writeAtomic(path, bytes); files.push(path); };
  put(join(dir, 'model.onnx'), repro);
  runtimeInputs.forEach((n, i) => put(join(data, `input_${i}.pb`), encodeTensor(n, ref.get(n)!)));
  let maxAbsDiff = 0;
  step.node.outputs.filter(Boolean).forEach((n, i) => {
    put(join(data, `output_${i}.pb`), encodeTensor(n, ref.get(n)!));
    const o = ours[step.outputs.indexOf(n)];
    if (o) {
      put(join(dir, `msport_output_${i}.pb`), encodeTensor(n, o));
      maxAbsDiff = Math.max(maxAbsDiff, compareOutput(n, ref.get(n)!, o, tol).maxAbsDiff);
    }
  });
  put(join(dir, 'repro.json'), JSON.stringify({
    layer, node: step.node.name, opType: step.node.opType, msApi: step.msApi, torchApi: step.torchApi,
    inputs: runtimeInputs, outputs: step.node.outputs.filter(Boolean), maxAbsDiff, atol: tol.atol, rtol: tol.rtol,
    replay: 'onnxruntime on model.onnx with test_data_set_0/input_*.pb reproduces output_*.pb; msport_output_*.pb is what msport computed',
  }, null, 2) + '\n');
  return { dir, layer, node: step.node.name, files, maxAbsDiff };
}
