/** Run a model through onnxruntime and msport on the same inputs; the oracle for op tests. */
import { modelFromBytes } from '../../src/onnx/proto.js';
import { importModel } from '../../src/onnx/import.js';
import { OrtRunner, MsportRunner } from '../../src/compare/runners.js';
import { compareOutput, OutputComparison } from '../../src/compare/comparator.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { Rng } from '../../src/runtime/random.js';

export function randn(shape: number[], seed = 1, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  return t;
}

export async function parity(bytes: Uint8Array, feeds: Record<string, Tensor>, tol = { atol: 1e-5, rtol: 1e-5 }): Promise<OutputComparison[]> {
  const model = modelFromBytes(bytes);
  const { network } = importModel(model);
  const inputs = new Map(Object.entries(feeds));
  const ref = await (await OrtRunner.create(bytes, { threads: 1 })).infer(inputs);
  const got = await new MsportRunner(network).infer(inputs);
  return model.graph.outputs.map(o => compareOutput(o.name, ref.get(o.name)!, got.get(o.name)!, tol));
}
