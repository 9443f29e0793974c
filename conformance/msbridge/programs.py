"""Gradient-API programs on MindSpore; their twins on the runtime are in src/bridge/programs.ts."""
import numpy as np
import mindspore as ms
from mindspore import nn, ops


def f2(x, y):
    return ops.sum(ops.add(ops.mul(ops.mul(x, y), x), ops.tanh(y)))


class Net(nn.Cell):
    def __init__(self, w, b):
        super().__init__()
        self.w = ms.Parameter(w, name='w')
        self.b = ms.Parameter(b, name='b')

    def construct(self, x):
        return ops.add(ops.matmul(x, self.w), self.b)


class AuxNet(nn.Cell):
    def __init__(self, w):
        super().__init__()
        self.w = ms.Parameter(w, name='w')

    def construct(self, x):
        y = ops.matmul(x, self.w)
        return ops.sum(ops.mul(y, y)), ops.tanh(y)


class CustomBprop(nn.Cell):
    def construct(self, x, y):
        return ops.mul(x, y)

    def bprop(self, x, y, out, dout):
        return ops.mul(ops.mul(dout, y), 2), ops.mul(dout, x)


def _flat(v):
    if isinstance(v, (tuple, list)):
        return [t for x in v for t in _flat(x)]
    return [v]


def _put(m, prefix, v):
    for i, t in enumerate(_flat(v)):
        m[f'{prefix}/{i}'] = np.array(t.asnumpy(), order='C')


def grad_positions(t):
    m = {}
    x, y = t('x'), t('y')
    _put(m, 'grad0', ms.grad(f2, 0)(x, y))
    _put(m, 'grad01', ms.grad(f2, (0, 1))(x, y))
    _put(m, 'grad1', ms.grad(f2, 1)(x, y))
    return m


def value_and_grad_weights(t):
    m = {}
    net = Net(t('w'), t('b'))

    def loss_fn(xx):
        return ops.sum(ops.mul(net(xx), net(xx)))
    v, g = ms.value_and_grad(loss_fn, None, net.trainable_params())(t('x'))
    _put(m, 'value', v)
    _put(m, 'grads', g)
    v2, g2 = ms.value_and_grad(loss_fn, 0, net.trainable_params())(t('x'))
    _put(m, 'value2', v2)
    _put(m, 'grads2', g2)
    return m


def has_aux(t):
    m = {}
    net = AuxNet(t('w'))
    g, aux = ms.grad(net, 0, None, has_aux=True)(t('x'))
    _put(m, 'grad', g)
    _put(m, 'aux', aux)
    return m


def grad_operation(t):
    m = {}
    net = Net(t('w'), t('b'))
    x, sens = t('x'), t('sens')
    w = ms.ParameterTuple(net.trainable_params())
    _put(m, 'first', ops.GradOperation()(net)(x))
    _put(m, 'all', ops.GradOperation(get_all=True)(net)(x))
    _put(m, 'by_list', ops.GradOperation(get_by_list=True)(net, w)(x))
    _put(m, 'all_list_sens', ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)(net, w)(x, sens))
    return m


def stop_gradient(t):
    m = {}

    def fn(x, y):
        return ops.sum(ops.add(ops.mul(x, ops.stop_gradient(ops.mul(x, y))), y))
    _put(m, 'grads', ms.grad(fn, (0, 1))(t('x'), t('y')))
    return m


def custom_bprop(t):
    m = {}
    _put(m, 'grads', ops.GradOperation(get_all=True)(CustomBprop())(t('x'), t('y')))
    return m


def dense_train_grad(t):
    m = {}
    d = nn.Dense(4, 3)
    d.weight.set_data(t('w'))
    d.bias.set_data(t('b'))
    _put(m, 'grads', ops.GradOperation(get_by_list=True)(d, d.trainable_params())(t('x')))
    return m


class TwoOut(nn.Cell):
    def __init__(self, w):
        super().__init__()
        self.w = ms.Parameter(w, name='w')

    def construct(self, x, y):
        a = ops.matmul(x, self.w)
        return a * y, ops.relu(a)


def value_and_grad_aux_weights(t):
    m = {}
    net = AuxNet(t('w'))
    (v, aux), (gx, gw) = ms.value_and_grad(net, 0, net.trainable_params(), has_aux=True)(t('x'))
    _put(m, 'value', v)
    _put(m, 'aux', aux)
    _put(m, 'grad_x', gx)
    _put(m, 'grad_w', gw)
    return m


def grad_weights_only(t):
    m = {}
    net = Net(t('w'), t('b'))
    _put(m, 'grads', ms.grad(net, None, net.trainable_params())(t('x')))
    return m


def grad_operation_two_outputs(t):
    m = {}
    net = TwoOut(t('w'))
    go = ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)
    _put(m, 'grads', go(net, ms.ParameterTuple(net.trainable_params()))(t('x'), t('y'), (t('s1'), t('s2'))))
    return m


PROGRAMS = {f.__name__: f for f in (grad_positions, value_and_grad_weights, has_aux, grad_operation, stop_gradient, custom_bprop, dense_train_grad,
                                              value_and_grad_aux_weights, grad_weights_only, grad_operation_two_outputs)}
