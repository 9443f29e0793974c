import { isGraph, type OnnxModel, type OnnxGraph, type OnnxNode } from './proto.js';
import { Tensor } from '../runtime/tensor.js';

/**
 * Where onnxruntime's value is not what PyTorch computed, so comparing against it would blame a correct port.
 * Keyed by ONNX op type; `outputs` lists the output indices left out of per-layer comparison, with the reason.
 */
export interface ReferenceQuirk { outputs: number[]; why: string }

export const referenceQuirks: Record<string, ReferenceQuirk> = {
  BatchNormalization: {
    outputs: [2],
    why: 'in training mode onnxruntime updates running_var with the biased batch variance (ONNX spec), PyTorch and MindSpore with the unbiased one',
  },
};

/**
 * Ops whose outputs onnxruntime cannot return as graph outputs: asking for one crashes the process, so `--layers`
 * and the report never ask (the op is still run by both sides, and its consumers are compared).
 */
export const unexposableOutputs: Record<string, string> = {
  Range: 'onnxruntime-node 1.30 dies with SIGSEGV when a Range output is declared a graph output (fixtures/models/ops/arange_pos_op13.onnx)',
};

/**
 * A train-mode export's Dropout draws a random mask on every run (onnxruntime, PyTorch and MindSpore alike; no seed
 * makes two frameworks draw the same one): these are the Dropout nodes whose training_mode input (opset 12+) is
 * not a constant false, in every graph of the model.
 */
export function trainableDropouts(model: OnnxModel): OnnxNode[] {
  const found: OnnxNode[] = [];
  const visit = (g: OnnxGraph): void => {
    const constants = new Map<string, Tensor>(g.initializers);
    for (const n of g.nodes) if (n.opType === 'Constant' && n.attrs.get('value') instanceof Tensor) constants.set(n.outputs[0]!, n.attrs.get('value') as Tensor);
    for (const n of g.nodes) {
      const mode = n.inputs[2] ? constants.get(n.inputs[2]) : undefined;
      if (n.opType === 'Dropout' && (n.domain === '' || n.domain === 'ai.onnx') && n.inputs[2] && !(mode && mode.size === 1 && mode.get(0) === 0)) found.push(n);
      for (const a of n.attrs.values()) for (const v of Array.isArray(a) ? a : [a]) if (isGraph(v)) visit(v);
    }
  };
  visit(model.graph);
  return found;
}
