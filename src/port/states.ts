/**
 * `check --port --train`: a train-phase step also updates each BatchNorm's moving statistics. PyTorch's update is in
 * the train-mode export (BatchNormalization's running_mean / running_var outputs); the port's is read off its Cells
 * after the same step. A difference is a problem of the Cell, with the cause where it is the common one: the momentum
 * given as PyTorch's value (MindSpore's momentum is 1 − PyTorch's).
 */
import type { OnnxModel } from '../onnx/proto.js';
import type { OnnxNetwork } from '../onnx/network.js';
import { referenceValues } from '../compare/layers.js';
import { compareOutput, Tolerance } from '../compare/comparator.js';
import type { Problem } from '../compare/preflight.js';
import { Tensor } from '../runtime/tensor.js';
import { BatchNorm1d, BatchNorm2d } from '../runtime/nn/norm.js';
import { pyFloat } from '../runtime/nn/pycall.js';

export async function comparePortStates(model: OnnxModel, network: OnnxNetwork, feeds: Map<string, Tensor>,
  states: { name: string; mean: Tensor; variance: Tensor }[], tol: Tolerance, weights: ReadonlyMap<string, Tensor>): Promise<Problem[]> {
  const pairs = states.flatMap(st => {
    const step = network.steps.find(s => s.cellName === st.name && (s.cell instanceof BatchNorm2d || s.cell instanceof BatchNorm1d));
    const [, mean, variance] = step?.node.outputs ?? [];
    return step && mean && variance ? [{ st, cell: step.cell as BatchNorm2d, mean, variance }] : [];
  });
  if (!pairs.length) return [];
  const names = pairs.flatMap(p => [p.mean, p.variance]);
  const ref = await referenceValues(model, names, feeds);
  const problems: Problem[] = [];
  for (const { st, cell, mean, variance } of pairs) {
    for (const [what, got, want, torchName] of [['moving_mean', st.mean, ref.get(mean), 'running_mean'], ['moving_variance', st.variance, ref.get(variance), 'running_var']] as const) {
      if (!want) continue;
      const c = compareOutput(`${st.name}.${what}`, want, got, tol);
      if (c.passed) continue;
      problems.push({ kind: 'port-state', name: `${st.name}.${what}`,
        message: `${st.name}.${what} after a train-phase step differs from PyTorch's ${torchName} (max abs diff ${c.maxAbsDiff.toPrecision(3)})${what === 'moving_mean' ? invertedMomentum(cell, weights.get(`${st.name}.moving_mean`) ?? cell.moving_mean, got, want, tol) : ''}` });
    }
  }
  return problems;
}

/**
 * PyTorch: running = (1 − m)·old + m·batch; MindSpore: moving = momentum·old + (1 − momentum)·batch with momentum = 1 − m.
 * A port given m itself computes m·old + (1 − m)·batch: with old (the loaded statistics) and batch recovered from
 * PyTorch's update, that value is checked against the port's.
 */
function invertedMomentum(cell: BatchNorm2d, initial: Tensor, got: Tensor, want: Tensor, tol: Tolerance): string {
  const msMomentum = cell.momentum, m = 1 - msMomentum;
  if (!(m > 0 && m < 1) || initial.shape.join() !== want.shape.join()) return '';
  const old = initial.toArray(), next = want.toArray();
  const guess = new Float32Array(next.length);
  for (let i = 0; i < next.length; i++) {
    const batch = (next[i]! - (1 - m) * old[i]!) / m;
    guess[i] = m * old[i]! + (1 - m) * batch;
  }
  const c = compareOutput('momentum', new Tensor(guess, [...got.shape], 'float32'), got, tol);
  return c.passed ? `: the port's BatchNorm was given PyTorch's momentum=${pyFloat(+m.toFixed(6))}; MindSpore's momentum is 1 − PyTorch's: pass momentum=${pyFloat(+msMomentum.toFixed(6))}` : '';
}
