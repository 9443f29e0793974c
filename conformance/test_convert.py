"""`msport convert` on every bundled fixture (TorchScript and dynamo exports; CNNs, RNNs, transformers; and the zoo
with MSPORT_ZOO=1): the port it writes — plain MindSpore code, a checkpoint, the checked inputs and onnxruntime's
outputs — runs in real MindSpore 2.10 through its own generated test: every Parameter loads from the checkpoint and
every checkpoint entry is used (strict), and every output is within the check's tolerance (atol 1e-4, rtol 1e-3) of
onnxruntime's. A model msport cannot write yet must be refused with exit 3 and its steps listed: those are pinned
below, so a regression fails and an improvement must update the list."""
import atexit
import contextlib
import glob
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from msbridge import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'fixtures', 'models', '*.onnx')) + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'ops', '*.onnx'))
                + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'dynamo', '*.onnx'))
                + glob.glob(os.path.join(ROOT, 'fixtures', 'models', 'modules', '*.onnx'))
                + (glob.glob(os.path.join(ROOT, 'fixtures', 'zoo', '**', '*.onnx'), recursive=True) if os.environ.get('MSPORT_ZOO') else []))
OUT = tempfile.mkdtemp(prefix='msport-convert-')
atexit.register(shutil.rmtree, OUT, ignore_errors=True)


def _manifest_shapes():
    """Concrete input shapes for fixtures with symbolic dims, from the generators' manifests."""
    shapes = {}
    for m in glob.glob(os.path.join(ROOT, 'fixtures', 'models', '*', 'manifest.json')):
        data = json.load(open(m))
        for f in data.get('fixtures', data.get('modules', [])):
            if 'file' in f and isinstance(f.get('inputs'), list):
                shapes[os.path.join(os.path.dirname(m), f['file'])] = {i['name']: i['shape'] for i in f['inputs']}
    return shapes


SHAPES = _manifest_shapes()
# the seed MLPs have a symbolic batch and no manifest
SHAPES.update({os.path.join(ROOT, 'fixtures', 'models', f): {'input': [1, 1, 28, 28]} for f in ('seed_mlp.onnx', 'seed_mlp.bn.onnx')})

# What msport cannot write as MindSpore code yet, by model (relative path) → the ONNX op types listed: exit 3.
UNWRITABLE = {
    'fixtures/models/seed_cnn.train.onnx': {'BatchNormalization'},  # a train-mode export: the running statistics it outputs
}
# half-precision exports differ from onnxruntime by float16 noise (onnxruntime computes elementwise chains in float32,
# MindSpore rounds each op): converted with --accept-noise, their test holds the port to msport's checked outputs,
# which makes it a test of msport's float16 semantics against MindSpore's on a whole decoder
EXTRA = {'fixtures/models/dynamo/llama_tiny.float16.onnx': ['--accept-noise']}
# Cells and ops MindSpore 2.10 builds but cannot run on CPU (no kernel; GPU/Ascend only): the port is written, its
# test cannot pass here
NO_CPU_KERNEL = {'nn.InstanceNorm2d', 'ops.einsum'}


SILERO = os.path.join(ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx')
# silero VAD (a devDependency; torch 1.12 export) branches on its sample-rate input: one port per branch taken
SILERO_RUNS = {'16000': ['--input', 'sr=16000', '--shape', 'input=1,512'], '8000': ['--input', 'sr=8000', '--shape', 'input=1,256']}


def _convert(model, extra=(), tag=''):
    rel = os.path.relpath(model, ROOT)
    out = os.path.join(OUT, rel.replace(os.sep, '_').removesuffix('.onnx') + tag)
    args = ['node', os.path.join(ROOT, 'bin', 'msport'), 'convert', model, '-o', out, '--json', *extra]
    for name, shape in SHAPES.get(model, {}).items():
        if not shape:
            continue  # a scalar input has no dims to give
        args += ['--shape', f"{name}={','.join(str(d) for d in shape)}"]
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    return p, out


def _run_generated(out):
    """The generated test's main(), in this process (MindSpore is imported once for the suite); its printout back."""
    test = glob.glob(os.path.join(out, 'test_*.py'))[0]
    name = os.path.basename(test)[len('test_'):-len('.py')]
    for k in (name, f'test_{name}'):
        sys.modules.pop(k, None)  # another fixture's port may have the same module name
    spec = importlib.util.spec_from_file_location(f'test_{name}', test)
    mod = importlib.util.module_from_spec(spec)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        spec.loader.exec_module(mod)
        try:
            code = mod.main()
        finally:
            sys.path.remove(out) if out in sys.path else None
    return code, buf.getvalue()


@pytest.mark.parametrize('model', MODELS, ids=[os.path.relpath(m, ROOT) for m in MODELS])
def test_convert_runs_in_mindspore(model):
    rel = os.path.relpath(model, ROOT)
    p, out = _convert(model, EXTRA.get(rel, ()))
    if rel in UNWRITABLE:
        listed = set()
        try:
            listed = {s['opType'] for s in json.loads(p.stdout).get('error', {}).get('steps', [])}
        except json.JSONDecodeError:
            pass
        ok = p.returncode == 3 and not os.path.exists(out) and listed == UNWRITABLE[rel]
        report.record(f'convert {rel}', 'convert', ok, note=f'refused (exit 3) as expected: {sorted(listed)}' if ok else f'exit {p.returncode}, listed {sorted(listed)}: {p.stderr.strip()[:200]}')
        assert ok, f'{rel}: expected exit 3 listing {sorted(UNWRITABLE[rel])}, got exit {p.returncode} listing {sorted(listed)}\n{p.stderr}'
        return
    assert p.returncode in (0, 1), f'{rel}: msport convert exit {p.returncode}\n{p.stderr}'
    summary = json.loads(p.stdout)
    code = open(os.path.join(out, f"{summary['name']}.py")).read()
    if any(f'{c}(' in code for c in NO_CPU_KERNEL):
        report.record(f'convert {rel}', 'convert', True, note='written; not run: MindSpore 2.10 has no CPU kernel for a Cell it uses')
        pytest.skip(f'{rel}: uses a Cell MindSpore 2.10 cannot run on CPU')
    try:
        rc, printed = _run_generated(out)
    except Exception as e:  # the generated code failing in MindSpore is what this test exists to find
        report.record(f'convert {rel}', 'convert', False, note=f'{type(e).__name__}: {e}'[:300])
        raise
    ok = rc == 0 and summary['check']['passed']
    report.record(f'convert {rel}', 'convert', ok, note=f"{len(summary['classes'])} classes, {summary['lines']} lines, convert {summary['ms']:.0f} ms; {printed.strip()}"[:300])
    assert ok, f'{rel}: the generated test exits {rc}:\n{printed}'


@pytest.mark.skipif(not os.path.exists(SILERO), reason='npm ci brings silero_vad.onnx (devDependency)')
@pytest.mark.parametrize('sr', sorted(SILERO_RUNS))
def test_convert_silero_vad_runs_in_mindspore(sr):
    """A real torch 1.12 export with If subgraphs (the sample rate, shape checks) and LSTMs inside them."""
    p, out = _convert(SILERO, [*SILERO_RUNS[sr], '--shape', 'h=2,1,64', '--shape', 'c=2,1,64'], f'_sr{sr}')
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    rc, printed = _run_generated(out)
    ok = rc == 0 and summary['check']['passed']
    report.record(f'convert silero_vad sr={sr}', 'convert', ok, note=f"{len(summary['classes'])} classes, {summary['lines']} lines; {printed.strip()}"[:300])
    assert ok, printed
