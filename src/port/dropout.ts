/**
 * `check --port --train`: a Dropout's mask is random, so a port's Dropout cannot be compared value by value (both
 * sides run it in predict phase, see compare/reference-model.ts). What can be compared is its rate: the bridge
 * measures the fraction each Dropout Cell zeroes in train phase and the scale of what it keeps; PyTorch's is p and
 * 1/(1 − p), from the export's Dropout ratio. The common mistake has its own cause: PyTorch's p given as MindSpore's
 * first positional argument, the deprecated keep_prob (= 1 − p), so the port drops 1 − p.
 */
import type { OnnxNetwork, Step } from '../onnx/network.js';
import type { Problem } from '../compare/preflight.js';
import { Dropout } from '../runtime/nn/container.js';
import { rule } from '../mappings/index.js';
import { pyFloat } from '../runtime/nn/pycall.js';
import type { PortDropout } from './runner.js';

/** How far a measured drop rate may be from p: six binomial standard deviations over the probe's independent draws. */
export function rateTolerance(p: number, draws: number): number {
  return 6 * Math.sqrt(Math.max(p * (1 - p), 1 / draws) / draws);
}

/** The kept values are 1/keep_prob in float32: a relative error of a few ulps. */
const SCALE_RTOL = 1e-5;

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;

export function comparePortDropouts(network: OnnxNetwork, dropouts: PortDropout[]): Problem[] {
  const steps = network.allSteps.filter((s): s is Step & { cell: Dropout } => s.cell instanceof Dropout);
  if (!steps.length || !dropouts.length) return [];
  // by name (the port keeps PyTorch's attribute path), else in order when both sides have as many Dropouts
  const byName = new Map(steps.map(s => [s.cellName, s]));
  const inOrder = steps.length === dropouts.length;
  const problems: Problem[] = [];
  const note = rule('torch.nn.Dropout').args?.find(a => a.torch === 'p')?.note ?? '';
  dropouts.forEach((d, k) => {
    const step = byName.get(d.name) ?? (inOrder ? steps[k] : undefined);
    if (!step) return;
    const p = step.cell.p, tol = rateTolerance(p, d.draws);
    const rateOk = Math.abs(d.dropped - p) <= tol;
    const scaleOk = d.dropped >= 1 || Math.abs(d.keptScale - 1 / (1 - p)) <= SCALE_RTOL / (1 - p);
    if (rateOk && scaleOk) return;
    const given = Math.abs(d.dropped - (1 - p)) <= rateTolerance(1 - p, d.draws)
      ? `: the port's Dropout was given ${pyFloat(p)} as keep_prob — ${note.replace('p=…', `p=${pyFloat(p)}`)}` : '';
    problems.push({ kind: 'port-dropout', name: d.name,
      message: `${d.name} (${d.cls}) drops ${pct(d.dropped)} of its inputs in train phase (keeps them ×${+d.keptScale.toPrecision(4)}); PyTorch's Dropout at ${step.cellName} drops ${pct(p)} (p=${pyFloat(p)}, ×${+(1 / (1 - p)).toPrecision(4)})${given}` });
  });
  return problems;
}
