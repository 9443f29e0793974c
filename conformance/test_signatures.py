"""The MindSpore signatures msport's bridge binds are MindSpore 2.10's own (names and order)."""
import inspect
import json
import os
import subprocess

import pytest
import mindspore as ms
from mindspore import nn, ops
from mindspore.common import initializer

from msbridge.check import exact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGS = json.loads(subprocess.run(['node', os.path.join(ROOT, 'dist', 'bridge', 'cli.js'), 'signatures'],
                                 check=True, capture_output=True, text=True).stdout)


def real_params(obj):
    f = obj.__init__ if inspect.isclass(obj) else obj
    while hasattr(f, '__wrapped__'):  # MindSpore's argument-checking decorators wrap __init__ as (*args, **kwargs)
        f = f.__wrapped__
    ps = [p for p in inspect.signature(f).parameters.values() if p.name != 'self']
    return [p.name for p in ps if p.kind != p.VAR_KEYWORD]


def resolve(name):
    mod, attr = name.split('.', 1)
    return getattr({'nn': nn, 'ops': ops, 'initializer': initializer}[mod], attr)


@pytest.mark.parametrize('name', sorted(SIGS))
def test_signature(name):
    real = real_params(resolve(name))
    if real == ['args']:  # nn.LSTM/GRU/Identity take (*args, **kwargs) and pass them on: nothing to read here;
        pytest.skip(f'{name} takes *args, **kwargs; its construction cases check the keywords')  # cases do
    exact(f'signature {name}', 'signature', real, SIGS[name])
