/**
 * A port that raises inside one of its Cells (the bridge names the innermost Cell and its inputs' shapes): when PyTorch's
 * module of that name received a different shape, the port is missing (or has an extra) step before it, and the step
 * PyTorch ran there is named — the seed guide's missing flatten before a Dense is the common case.
 */
import type { OnnxNetwork } from '../onnx/network.js';
import type { Tensor } from '../runtime/tensor.js';
import { noGrad } from '../runtime/autograd.js';
import type { PortRunError } from './runner.js';

const shapeOf = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

export function explainRunFailure(network: OnnxNetwork, feeds: Map<string, Tensor>, err: PortRunError): string {
  const f = err.failed;
  if (!f || !f.shapes.length) return '';
  const step = network.allSteps.find(s => s.cellName === f.cell);
  if (!step) return '';
  const input = step.inputs[0]!;
  let seen: readonly number[] | undefined = network.inputNames.includes(input) ? feeds.get(input)?.shape : undefined;
  const producer = network.allSteps.find(s => s.outputs.includes(input));
  if (!seen) {
    try {
      noGrad(() => network.execute(network.inputNames.map(n => feeds.get(n)!), (s, outs) => { const k = s.outputs.indexOf(input); if (k >= 0 && outs[k] && !seen) seen = outs[k]!.shape; }));
    } catch { return ''; }
  }
  const got = f.shapes[0]!;
  if (!seen || seen.join() === got.join()) return '';
  const before = producer ? `; PyTorch made it with ${producer.node.opType}${producer.node.name ? ` (${producer.node.name})` : ''}${producer.cellName ? ` in ${producer.cellName}` : ''}` : '';
  return ` — PyTorch's ${f.cell} received ${shapeOf(seen)}, the port's ${shapeOf(got)}${before}: the port is missing a step before ${f.cell}${seen.length < got.length ? ' (a flatten or reshape)' : ''}`;
}
