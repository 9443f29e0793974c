"""Decode exchange-format values into MindSpore objects (the TypeScript twin is src/bridge/values.ts)."""
import math

import numpy as np
import mindspore as ms
from mindspore import nn
from mindspore.common import initializer as init

DTYPES = {
    'float32': ms.float32, 'float16': ms.float16, 'float64': ms.float64, 'bfloat16': ms.bfloat16,
    'int64': ms.int64, 'int32': ms.int32, 'int16': ms.int16, 'int8': ms.int8, 'uint8': ms.uint8, 'bool': ms.bool_,
}


class Custom(nn.Cell):
    """The exchange format's "Custom" Cell: children assigned as attributes in order, run in order."""

    def __init__(self, children):
        super().__init__()
        self._order = []
        for name, cell in children.items():
            setattr(self, name, cell)
            self._order.append(name)

    def construct(self, *xs):
        x = xs[0] if len(xs) == 1 else xs
        for name in self._order:
            c = getattr(self, name)
            x = c(*x) if isinstance(x, tuple) else c(x)
        return x


def decode(v, tensor):
    """JSON value -> Python: arrays are tuples; tagged objects become lists, floats, Tensors, dtypes, Cells, initializers."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, list):
        return tuple(decode(x, tensor) for x in v)
    if 'list' in v:
        return [decode(x, tensor) for x in v['list']]
    if 'float' in v:
        return float(v['float'])
    if 'tensor' in v:
        return ms.Tensor(tensor(v['tensor']))
    if 'dtype' in v:
        return DTYPES[v['dtype']]
    if 'cell' in v:
        return build_cell(v['cell'], tensor)
    if 'init' in v:
        args = [decode(x, tensor) for x in v.get('args', [])]
        kwargs = {k: decode(x, tensor) for k, x in v.get('kwargs', {}).items()}
        return getattr(init, v['init'])(*args, **kwargs)
    raise ValueError(f'unknown tagged value {v!r}')


def build_cell(spec, tensor):
    args = [decode(x, tensor) for x in spec.get('args', [])]
    kwargs = {k: decode(x, tensor) for k, x in spec.get('kwargs', {}).items() if k != 'children'}
    cls = spec['cls']
    if cls == 'Custom':
        return Custom({k: build_cell(c, tensor) for k, c in spec['kwargs']['children'].items()})
    if cls in ('SequentialCell', 'CellList') and len(args) == 1 and isinstance(args[0], tuple):
        args = [list(args[0])]
    return getattr(nn, cls)(*args, **kwargs)


def encode_float(x):
    if math.isnan(x):
        return {'float': 'nan'}
    if math.isinf(x):
        return {'float': 'inf' if x > 0 else '-inf'}
    return x


def np_dtype_name(a):
    return {np.dtype('float32'): 'float32', np.dtype('float16'): 'float16', np.dtype('float64'): 'float64',
            np.dtype('int64'): 'int64', np.dtype('int32'): 'int32', np.dtype('int8'): 'int8',
            np.dtype('uint8'): 'uint8', np.dtype('bool'): 'bool'}.get(a.dtype, str(a.dtype))
