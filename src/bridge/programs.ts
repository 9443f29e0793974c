/**
 * Gradient-API programs, each written twice — here on the runtime and in conformance/msbridge/programs.py on
 * MindSpore — because they exercise the calling conventions themselves (grad, value_and_grad, GradOperation,
 * stop_gradient, has_aux, custom bprop). Inputs come from the case tensors; results are named tensors.
 */
import { Tensor } from '../runtime/tensor.js';
import { Parameter, ParameterTuple } from '../runtime/parameter.js';
import { Cell } from '../runtime/cell.js';
import * as F from '../runtime/functional.js';
import { grad, valueAndGrad, GradOperation, stopGradient } from '../runtime/grad.js';
import * as nn from '../runtime/nn/index.js';

type Program = (t: (k: string) => Tensor) => Map<string, Tensor>;

/** f(x, y) = sum(x·y + sin-free mix) — elementwise, so both sides differentiate the same expression. */
const f2 = (x: Tensor, y: Tensor): Tensor => F.sum(F.add(F.mul(F.mul(x, y), x), F.tanh(y)));

class Net extends Cell {
  w: Parameter; b: Parameter;
  constructor(w: Tensor, b: Tensor) { super(); this.w = new Parameter(w, 'w'); this.b = new Parameter(b, 'b'); }
  construct(x: Tensor): Tensor { return F.add(F.matmul(x, this.w), this.b); }
}

class AuxNet extends Cell {
  w: Parameter;
  constructor(w: Tensor) { super(); this.w = new Parameter(w, 'w'); }
  construct(x: Tensor): Tensor[] { const y = F.matmul(x, this.w); return [F.sum(F.mul(y, y)), F.tanh(y)]; }
}

/** A Cell whose bprop returns 2·dout·x instead of autodiff's dout (the seed's custom-bprop example shape). */
class CustomBprop extends Cell {
  construct(x: Tensor, y: Tensor): Tensor { return F.mul(x, y); }
  bprop(x: Tensor, y: Tensor, _out: Tensor, dout: Tensor): Tensor[] { return [F.mul(F.mul(dout, y), 2), F.mul(dout, x)]; }
}

const as = (v: unknown): Tensor[] => (Array.isArray(v) ? (v as unknown[]).flatMap(as) : [v as Tensor]);
const put = (m: Map<string, Tensor>, prefix: string, v: unknown): void => { as(v).forEach((t, i) => m.set(`${prefix}/${i}`, t)); };

class TwoOut extends Cell {
  w: Parameter;
  constructor(w: Tensor) { super(); this.w = new Parameter(w, 'w'); }
  construct(x: Tensor, y: Tensor): Tensor[] { const a = F.matmul(x, this.w); return [F.mul(a, y), F.relu(a)]; }
}

export const PROGRAMS: Record<string, Program> = {
  value_and_grad_aux_weights: t => {
    const m = new Map<string, Tensor>();
    const net = new AuxNet(t('w'));
    const [v, g] = valueAndGrad((x: Tensor) => net.call(x) as Tensor[], 0, net.trainableParams(), true)(t('x'));
    const [value, aux] = v as Tensor[];
    const [gx, gw] = g as unknown as [Tensor, Tensor[]];
    put(m, 'value', value); put(m, 'aux', aux); put(m, 'grad_x', gx); put(m, 'grad_w', gw);
    return m;
  },
  grad_weights_only: t => {
    const m = new Map<string, Tensor>();
    const net = new Net(t('w'), t('b'));
    put(m, 'grads', grad(net, null, net.trainableParams())(t('x')));
    return m;
  },
  grad_operation_two_outputs: t => {
    const m = new Map<string, Tensor>();
    const net = new TwoOut(t('w'));
    const fn = (x: Tensor, y: Tensor) => net.call(x, y) as Tensor[];
    // a multi-output function takes its sensitivities as one list (MindSpore: a tuple)
    const r = new GradOperation({ getAll: true, getByList: true, sensParam: true }).call(fn, new ParameterTuple(net.trainableParams()))(t('x'), t('y'), [t('s1'), t('s2')]);
    put(m, 'grads', r);
    return m;
  },
  grad_positions: t => {
    const m = new Map<string, Tensor>();
    const x = t('x'), y = t('y');
    put(m, 'grad0', grad(f2, 0)(x, y));
    put(m, 'grad01', grad(f2, [0, 1])(x, y));
    put(m, 'grad1', grad(f2, 1)(x, y));
    return m;
  },
  value_and_grad_weights: t => {
    const m = new Map<string, Tensor>();
    const net = new Net(t('w'), t('b'));
    const x = t('x');
    const lossFn = (xx: Tensor) => F.sum(F.mul(net.call(xx) as Tensor, net.call(xx) as Tensor));
    const [v, g] = valueAndGrad(lossFn, null, net.trainableParams())(x);
    put(m, 'value', v);
    put(m, 'grads', g);
    const [v2, g2] = valueAndGrad(lossFn, 0, net.trainableParams())(x);
    put(m, 'value2', v2);
    put(m, 'grads2', g2);
    return m;
  },
  has_aux: t => {
    const m = new Map<string, Tensor>();
    const net = new AuxNet(t('w'));
    const [g, aux] = grad((x: Tensor) => net.call(x) as Tensor[], 0, null, true)(t('x')) as unknown as [Tensor, Tensor[]];
    put(m, 'grad', g);
    put(m, 'aux', aux);
    return m;
  },
  grad_operation: t => {
    const m = new Map<string, Tensor>();
    const net = new Net(t('w'), t('b'));
    const x = t('x'), sens = t('sens');
    const w = new ParameterTuple(net.trainableParams());
    put(m, 'first', new GradOperation().call(net)(x));
    put(m, 'all', new GradOperation({ getAll: true }).call(net)(x));
    put(m, 'by_list', new GradOperation({ getByList: true }).call(net, w)(x));
    put(m, 'all_list_sens', new GradOperation({ getAll: true, getByList: true, sensParam: true }).call(net, w)(x, sens));
    return m;
  },
  stop_gradient: t => {
    const m = new Map<string, Tensor>();
    const fn = (x: Tensor, y: Tensor) => F.sum(F.add(F.mul(x, stopGradient(F.mul(x, y))), y));
    put(m, 'grads', grad(fn, [0, 1])(t('x'), t('y')));
    return m;
  },
  custom_bprop: t => {
    const m = new Map<string, Tensor>();
    const net = new CustomBprop();
    put(m, 'grads', new GradOperation({ getAll: true }).call(net)(t('x'), t('y')));
    return m;
  },
  dense_train_grad: t => {
    const m = new Map<string, Tensor>();
    const d = new nn.Dense(4, 3);
    d.weight.setData(t('w')); d.bias!.setData(t('b'));
    put(m, 'grads', new GradOperation({ getByList: true }).call(d, d.trainableParams())(t('x')));
    return m;
  },
};
