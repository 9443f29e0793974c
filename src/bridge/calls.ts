/**
 * The MindSpore constructor calls msport prints for a model (report and inspect read them from callOf), with the
 * repr of the Cell each was read from: conformance/test_emitted_calls.py runs every call in MindSpore 2.10 and
 * compares what it builds with the Cell msport checked.
 */
import { modelFromFile } from '../onnx/proto.js';
import { importModel } from '../onnx/import.js';
import { ScopeCell, OnnxNetwork } from '../onnx/network.js';
import { callOf } from '../report/calls.js';

export interface EmittedCall { model: string; cell: string; ms: string; repr: string }

export function emittedCalls(files: readonly string[]): EmittedCall[] {
  const out: EmittedCall[] = [];
  for (const model of files) {
    const { network } = importModel(modelFromFile(model));
    for (const [name, cell] of network.cellsAndNames()) {
      if (cell instanceof ScopeCell || cell instanceof OnnxNetwork || !name) continue;
      out.push({ model, cell: name, ms: callOf(cell).ms, repr: cell.toString() });
    }
  }
  return out;
}
