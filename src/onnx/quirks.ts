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
