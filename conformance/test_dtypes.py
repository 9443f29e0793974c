"""Facts about MindSpore 2.10's CPU dtypes that msport's behaviour rests on (src/onnx/bfloat16.ts): bfloat16 tensors
exist and some ops compute on them, but Exp, Rsqrt, Pow and Cos have no CPU kernel for them — so a bfloat16 network
cannot run on MindSpore's CPU, and msport checks a bfloat16 export in float32 on its bfloat16 weights."""
import json

import numpy as np
import mindspore as ms
from mindspore import ops

from msbridge import report


def test_bfloat16_on_mindspore_cpu():
    x = ms.Tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)).astype(ms.bfloat16)
    facts = {}
    for name, f in [('mul', lambda t: ops.mul(t, t)), ('add', lambda t: t + t), ('neg', ops.neg),
                    ('exp', ops.exp), ('rsqrt', lambda t: ops.rsqrt(ops.abs(t) + 1)), ('pow', lambda t: ops.pow(t, 2)), ('cos', ops.cos)]:
        try:
            y = f(x)
            facts[name] = str(y.dtype)
        except (RuntimeError, TypeError, ValueError) as e:
            facts[name] = 'refused: ' + str(e).split('\n')[0][:80]
    ok = all(facts[k] == 'BFloat16' for k in ('mul', 'add', 'neg')) and all(facts[k].startswith('refused') for k in ('exp', 'rsqrt', 'pow', 'cos'))
    report.record('bfloat16 on the CPU (Exp, Rsqrt, Pow, Cos refused)', 'dtype fact', ok, note=json.dumps(facts))
    assert ok, facts


# the smallest constructor arguments of each Cell a mapping rule says how to build in float16
ARGS = {'Dense': (4, 3), 'Conv1d': (2, 3, 3), 'Conv2d': (2, 3, 3), 'Conv3d': (2, 3, 3), 'Conv2dTranspose': (2, 3, 3),
        'BatchNorm1d': (3,), 'BatchNorm2d': (3,), 'GroupNorm': (2, 4), 'InstanceNorm2d': (3,), 'LayerNorm': ((4,),), 'Embedding': (10, 4)}


def test_float16_cells_as_the_rules_build_them():
    """Each mapping rule's `float16` (src/mappings/nn.ts; msport convert writes it for a half-precision export): the
    Cell built with that argument has float16 Parameters in MindSpore 2.10, so a checkpoint's float16 values stay
    float16 when loaded (into a float32 Cell they become float32, and a float16 input then fails in MatMul)."""
    import os
    import subprocess
    from mindspore import nn
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rules = json.loads(subprocess.run(['node', os.path.join(root, 'bin', 'msport'), 'api', '--json'], check=True, capture_output=True, text=True).stdout)
    found = {}
    for r in rules:
        how = r.get('float16')
        if not how:
            continue
        cls = r['ms'].split('.')[-1]
        plain = getattr(nn, cls)(*ARGS[cls])
        value = ms.float16
        if how.get('zerosOf'):
            value = ops.zeros(getattr(plain, how['zerosOf']).shape, ms.float16)
        cell = getattr(nn, cls)(*ARGS[cls], **{how['arg']: value})
        found[cls] = sorted({str(p.dtype) for _, p in cell.parameters_and_names()})
    ok = len(found) >= 10 and all(v == ['Float16'] for v in found.values())
    report.record('float16 Cells as the mapping rules build them', 'dtype fact', ok, note=json.dumps(found))
    assert ok, found


def test_load_checkpoint_memory_limit():
    """msport convert's note on a large .ckpt (src/convert/convert.ts ckptNote): MindSpore 2.10's load_checkpoint
    refuses a .ckpt larger than os.sysconf('SC_AVPHYS_PAGES') pages (free memory: the page cache does not count), and
    reads safetensors without that check. Measured on this machine: a 600 MB msport-written .ckpt was refused with
    0.56 GB free of 24 GB after reading large files."""
    import inspect
    import os
    import tempfile
    from mindspore.train import serialization as s
    src = inspect.getsource(s._get_available_memory)
    refused = False
    with tempfile.NamedTemporaryFile(suffix='.ckpt') as f:
        try:
            s._check_checkpoint_protobuf_size(f.name, 2 ** 30, available_memory=2 ** 29)
        except Exception as e:  # noqa: BLE001 - the class is private; its message is what a user sees
            refused = 'exceeds current available memory' in str(e)
    ok = 'SC_AVPHYS_PAGES' in src and refused and os.sysconf('SC_AVPHYS_PAGES') > 0
    report.record('load_checkpoint refuses a .ckpt larger than the free memory', 'checkpoint fact', ok, note='SC_AVPHYS_PAGES' if ok else src[:200])
    assert ok
