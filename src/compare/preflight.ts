/**
 * Names and modes before numbers: before any value is compared, check that the Cell tree really holds the model's
 * weights and runs in predict phase, and report each problem by name — a bias that was never loaded reads as
 * "conv1.bias was not loaded", not as a mysterious numeric mismatch.
 */
import type { OnnxModel } from '../onnx/proto.js';
import type { ImportResult } from '../onnx/import.js';
import { findRule } from '../mappings/index.js';

export type ProblemKind = 'unloaded-parameter' | 'unused-initializer' | 'train-phase' | 'missing-weight' | 'unexpected-weight' | 'misshapen-weight' | 'port-outputs' | 'port-state' | 'port-dropout';

export interface Problem {
  kind: ProblemKind;
  /** MindSpore Parameter or Cell name, or the ONNX / checkpoint name */
  name: string;
  message: string;
  /** nearest candidate name, for weight-name problems */
  candidate?: string;
}

export function preflight(model: OnnxModel, imported: ImportResult, opts: { allowTrain?: boolean; weightsLoaded?: Set<string> } = {}): Problem[] {
  const { network, boundParams, trainPhaseCells } = imported;
  const problems: Problem[] = [];
  // Parameters MindSpore has and PyTorch does not (InstanceNorm2d's moving statistics) cannot come from the model
  const msOnly = new Set<unknown>();
  for (const s of network.allSteps) {
    const rule = s.torchApi ? findRule(s.torchApi) : undefined;
    for (const name of rule?.msOnlyParams ?? []) msOnly.add((s.cell as unknown as Record<string, unknown> | null)?.[name]);
  }
  for (const [name, p] of network.parametersAndNames()) {
    if (boundParams.has(p) || opts.weightsLoaded?.has(name) || msOnly.has(p)) continue;
    problems.push({ kind: 'unloaded-parameter', name, message: `${name} was not loaded from the model: it still holds its initializer's values` });
  }
  // initializers a Cell did not take are fine when an op reads them (shapes, axes, constants)
  for (const name of model.graph.initializers.keys()) {
    if (imported.consumed.has(name)) continue;
    problems.push({ kind: 'unused-initializer', name, message: `initializer ${name} is not used by any Cell or op of the imported network` });
  }
  if (!opts.allowTrain) {
    for (const [name, cell] of network.cellsAndNames()) {
      if (!cell.training || trainPhaseCells.has(cell) || cell === network) continue;
      problems.push({ kind: 'train-phase', name, message: `${name} (${cell.clsName}) is in train phase: it would use batch statistics / drop activations; call setTrain(false) or pass --train` });
    }
  }
  return problems;
}

