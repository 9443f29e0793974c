/**
 * Central finite differences against the autograd backward. The loss is sum(f(x) · r) with a fixed random r, so
 * every output element contributes with a distinct weight. Values are float32, so the step is 1e-2: the truncation
 * error of a central difference is O(h²) ≈ 1e-4 relative for smooth ops, and float32 rounding adds ~6e-8/h ≈ 6e-6.
 * Inputs for non-smooth ops (relu, max, clip) should keep away from the kinks by more than h.
 */
import { Tensor } from '../../src/runtime/tensor.js';
import { backward, noGrad } from '../../src/runtime/autograd.js';
import * as ops from '../../src/runtime/functional.js';
import { Rng } from '../../src/runtime/random.js';

export interface GradCheckResult { input: number; index: number; analytic: number; numeric: number }

export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { h?: number; atol?: number; rtol?: number; wrt?: number[] } = {}): GradCheckResult[] {
  const h = opts.h ?? 1e-2, atol = opts.atol ?? 1e-3, rtol = opts.rtol ?? 1e-2;
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const xs = inputs.map((x, i) => {
    const t = new Tensor(x.data.slice(), x.shape, x.dtype);
    t.requiresGrad = wrt.includes(i);
    return t;
  });
  const probe = noGrad(() => f(...xs));
  const rng = new Rng(12345);
  const r = Tensor.zeros(probe.shape, probe.dtype);
  for (let i = 0; i < r.size; i++) r.data[i] = rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1);
  const loss = (): number => noGrad(() => ops.sum(ops.mul(f(...xs), r)).item());
  const out = ops.sum(ops.mul(f(...xs), r));
  backward(out);
  const bad: GradCheckResult[] = [];
  for (const i of wrt) {
    const x = xs[i]!;
    if (!x.grad) throw new Error(`input ${i} received no gradient`);
    if (x.grad.shape.join() !== x.shape.join()) throw new Error(`input ${i}: gradient shape [${x.grad.shape}] vs input [${x.shape}]`);
    for (let k = 0; k < x.size; k++) {
      const v = x.data[k] as number;
      x.data[k] = v + h; const lp = loss();
      x.data[k] = v - h; const lm = loss();
      x.data[k] = v;
      const numeric = (lp - lm) / (2 * h);
      const analytic = x.grad.get(k);
      if (!(Math.abs(analytic - numeric) <= atol + rtol * Math.abs(numeric))) bad.push({ input: i, index: k, analytic, numeric });
    }
  }
  return bad;
}
