"""The seed documents' examples (../shared/seeds), run in MindSpore 2.10 as the seeds write them.

Each program returns what the seed prints (a repr, str of a tuple/list, or values via asnumpy().tolist()). The
results are the golden file test/seeds/golden.json, which msport's seed tests (npm test) read instead of values
copied from the seed text; test_seeds.py checks the file is exactly what MindSpore 2.10 prints.
"""
import json
import os
import re

import numpy as np
import mindspore as ms
from mindspore import nn, ops, Tensor, Parameter, ParameterTuple
from mindspore import dtype as mstype
from mindspore.common.initializer import initializer

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = json.load(open(os.path.join(HERE, '..', 'test', 'seeds', 'seed-inputs.json')))
PROGRAMS = {}


def program(key, source):
    def wrap(f):
        PROGRAMS[key] = (f, source)
        return f
    return wrap


# ---- seed 000: Cell与参数 ---------------------------------------------------------------------------------------
class Network000(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array(INPUTS['000']['w'], np.float32)), name='w')
        self.b = Parameter(Tensor(np.array(INPUTS['000']['b'], np.float32)), name='b')

    def construct(self, x):
        z = ops.matmul(x, self.w) + self.b
        return z


@program('000/print(net.trainable_params())', 'seed 000 § 获取可训练参数')
def _():
    return str(Network000().trainable_params())


@program('000/ParameterTuple', 'seed 000 § Parameter Tuple: print(params)')
def _():
    x = Parameter(default_input=Tensor(np.arange(2 * 3).reshape((2, 3))), name="x")
    y = Parameter(default_input=initializer('ones', [1, 2, 3], mstype.float32), name='y')
    z = Parameter(default_input=2.0, name='z')
    return str(ParameterTuple((x, y, z)))


@program('000/ParameterTuple.clone', 'seed 000 § Parameter Tuple: print(params_copy)')
def _():
    x = Parameter(default_input=Tensor(np.arange(2 * 3).reshape((2, 3))), name="x")
    y = Parameter(default_input=initializer('ones', [1, 2, 3], mstype.float32), name='y')
    z = Parameter(default_input=2.0, name='z')
    return str(ParameterTuple((x, y, z)).clone(prefix="params_copy"))


@program('000/phase', 'seed 000 § Cell训练状态转换: net.phase after set_train() and set_train(False)')
def _():
    net = Network000()
    net.set_train()
    a = net.phase
    net.set_train(False)
    return [a, net.phase]


class Threshold(nn.Cell):
    def __init__(self, threshold, value):
        super().__init__()
        self.threshold = threshold
        self.value = value

    def construct(self, inputs):
        cond = ops.gt(inputs, self.threshold)
        value = ops.fill(inputs.dtype, inputs.shape, self.value)
        return ops.select(cond, inputs, value)


@program('000/Threshold', 'seed 000 § 使用function接口构造神经网络层: repr(m(inputs))')
def _():
    m = Threshold(0.1, 20)
    return repr(m(Tensor([0.1, 0.2, 0.3], mstype.float32)))


# ---- seed 001: 网络构建 ---------------------------------------------------------------------------------------------
def network001():
    class Network(nn.Cell):  # the seed's class name: it is the first word print(model) prints
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.dense_relu_sequential = nn.SequentialCell(
                nn.Dense(28 * 28, 512, weight_init="normal", bias_init="zeros"), nn.ReLU(),
                nn.Dense(512, 512, weight_init="normal", bias_init="zeros"), nn.ReLU(),
                nn.Dense(512, 10, weight_init="normal", bias_init="zeros"))

        def construct(self, x):
            return self.dense_relu_sequential(self.flatten(x))
    return Network()


@program('001/print(model)', 'seed 001 § 2.1 定义网络')
def _():
    return str(network001())


@program('001/parameters_and_names', 'seed 001 § 2.2 模型层: names and shapes')
def _():
    return [[name, list(p.shape)] for name, p in network001().parameters_and_names()]


# ---- seed 002: GradOperation ---------------------------------------------------------------------------------------
X002 = lambda: Tensor(INPUTS['002']['x'], dtype=mstype.float32)  # noqa: E731
Y002 = lambda: Tensor(INPUTS['002']['y'], dtype=mstype.float32)  # noqa: E731


class Net002(nn.Cell):
    def __init__(self, requires_grad=True):
        super().__init__()
        self.matmul = ops.MatMul()
        self.z = Parameter(Tensor(np.array([1.0], np.float32)), name='z', requires_grad=requires_grad)

    def construct(self, x, y):
        x = x * self.z
        out = self.matmul(x, y)
        return out


class GradNetWrtX(nn.Cell):
    def __init__(self, net, **kw):
        super().__init__()
        self.net = net
        self.params = ParameterTuple(net.trainable_params()) if kw.get('get_by_list') else None
        self.grad_op = ops.GradOperation(**kw)
        self.grad_wrt_output = Tensor([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], dtype=mstype.float32) if kw.get('sens_param') else None

    def construct(self, x, y):
        f = self.grad_op(self.net, self.params) if self.params is not None else self.grad_op(self.net)
        return f(x, y, self.grad_wrt_output) if self.grad_wrt_output is not None else f(x, y)


@program('002/grad x', 'seed 002 § 对输入求一阶导')
def _():
    return GradNetWrtX(Net002())(X002(), Y002()).asnumpy().tolist()


@program('002/grad all', 'seed 002 § 对输入求一阶导, get_all=True')
def _():
    return [g.asnumpy().tolist() for g in GradNetWrtX(Net002(), get_all=True)(X002(), Y002())]


@program('002/grad by list', 'seed 002 § 对权重求一阶导: print(output)')
def _():
    return str(GradNetWrtX(Net002(), get_by_list=True)(X002(), Y002()))


@program('002/z requires_grad=False', 'seed 002 § 对权重求一阶导: net.z with requires_grad=False')
def _():
    return repr(Net002(False).z)


@program('002/grad by list, nothing trainable', 'seed 002: get_by_list over an empty ParameterTuple')
def _():
    return str(GradNetWrtX(Net002(False), get_by_list=True)(X002(), Y002()))


@program('002/sens', 'seed 002 § 梯度值缩放')
def _():
    return GradNetWrtX(Net002(), sens_param=True)(X002(), Y002()).asnumpy().tolist()


class TwoMatMuls(nn.Cell):
    def __init__(self, stop):
        super().__init__()
        self.matmul = ops.MatMul()
        self.stop = stop

    def construct(self, x, y):
        out1 = self.matmul(x, y)
        out2 = self.matmul(x, y)
        if self.stop:
            out2 = ops.stop_gradient(out2)
        return out1 + out2


@program('002/stop_gradient', 'seed 002 § 停止计算梯度')
def _():
    return GradNetWrtX(TwoMatMuls(True))(X002(), Y002()).asnumpy().tolist()


@program('002/without stop_gradient', 'seed 002 § 停止计算梯度, without it')
def _():
    return GradNetWrtX(TwoMatMuls(False))(X002(), Y002()).asnumpy().tolist()


# ---- seed 003: 迁移指南 -----------------------------------------------------------------------------------------------
class MyCell(nn.Cell):
    def __init__(self, net, auto_prefix=True):
        super().__init__(auto_prefix=auto_prefix)
        self.net = net

    def construct(self, x):
        return self.net(x)


@program('003/MyCell trainable_params', 'seed 003 § Cell: print(my_net.trainable_params())')
def _():
    return str(MyCell(nn.Conv2d(120, 240, 4, has_bias=False)).trainable_params())


@program('003/MyCell auto_prefix=False', 'seed 003 § Cell: auto_prefix=False keeps weight')
def _():
    return [p.name for p in MyCell(nn.Conv2d(120, 240, 4, has_bias=False), False).trainable_params()]


@program('003/optimizer moments', 'seed 003: Momentum state names for MyCell(Conv2d)')
def _():
    my_net = MyCell(nn.Conv2d(3, 4, 3, has_bias=True))
    optim = nn.Momentum(my_net.trainable_params(), learning_rate=0.01, momentum=0.9)
    return [p.name for p in optim.moments]


# ---- seed 004: Parameter -------------------------------------------------------------------------------------------
def xyz():
    x = Parameter(default_input=Tensor(np.arange(2 * 3).reshape((2, 3))), name="x")
    y = Parameter(default_input=initializer('ones', [1, 2, 3], mstype.float32), name='y')
    z = Parameter(default_input=2.0, name='z')
    return x, y, z


@program('004/print(x, y, z)', 'seed 004 § 初始化')
def _():
    return [repr(p) for p in xyz()]


@program('004/attributes', 'seed 004 § 属性 (2.10: Parameter.data is a Tensor, printed as numpy prints it; the seed printed the Parameter)')
def _():
    x = Parameter(default_input=Tensor(np.arange(2 * 3).reshape((2, 3))), name="x")
    return [f"name: {x.name}", f"sliced: {x.sliced}", f"is_init: {x.is_init}", f"inited_param: {x.inited_param}",
            f"requires_grad: {x.requires_grad}", f"layerwise_parallel: {x.layerwise_parallel}", f"data: {x.data}"]


@program('004/methods', 'seed 004 § 方法: clone, init_data, set_data (2.10: an unnamed Parameter is Parameter#<n>, the seed printed Parameter; set_data(data), the seed\'s default_input= is refused)')
def _():
    x = Parameter(default_input=initializer('ones', [1, 2, 3], mstype.float32))
    out = [repr(x)]
    x_clone = x.clone()
    x_clone.name = "x_clone"
    out.append(repr(x_clone))
    out.append(repr(x.init_data()))
    # the seed (r1.3) writes set_data(default_input=...); 2.10 names the argument `data` and refuses default_input=
    out.append(repr(x.set_data(Tensor(np.arange(2 * 3).reshape((1, 2, 3))))))
    out.append(x.asnumpy().tolist())
    # an unnamed Parameter is `Parameter#<n>`, n a process-wide counter: the number depends on what ran before
    return [re.sub(r'Parameter#\d+', 'Parameter#<n>', o) if isinstance(o, str) else o for o in out]


@program('004/ParameterTuple', 'seed 004 § ParameterTuple: print(params), print(params_copy)')
def _():
    params = ParameterTuple(xyz())
    return [str(params), str(params.clone(prefix="params_copy"))]


def run_all():
    return {k: f() for k, (f, _) in PROGRAMS.items()}
