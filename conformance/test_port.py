"""`msport check MODEL --port FILE.py:CLASS`: a hand-written MindSpore port, run in real MindSpore 2.10 by msport's
Python bridge, compared with onnxruntime. The correct port passes; planted porting bugs are caught: weights under
other names are listed with the entries they should have been, a port that cannot run says where."""
import json
import os
import subprocess
import sys

from msbridge import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, 'fixtures', 'models', 'seed_cnn.bn.onnx')
PORT = os.path.join(ROOT, 'conformance', 'ports', 'seed_cnn.py')


def _check(cls, *extra):
    p = subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'check', MODEL, '--port', f'{PORT}:{cls}', '--python', sys.executable,
                        '--samples', '2', '--json', *extra], capture_output=True, text=True, cwd=ROOT)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr


def test_correct_port_passes():
    code, r, err = _check('SeedCNN')
    ok = code == 0 and r['passed'] and r['port']['loaded'] == r['port']['parameters'] == 14 and r['port']['mindspore'] == '2.10.0'
    report.record('port seed_cnn SeedCNN', 'check --port', ok, m={'max_abs': r['outputs'][0]['maxAbsDiff'] if r else None}, note=err.strip()[:200])
    assert ok, (code, r, err)


def test_renamed_weights_are_named_with_the_entry_they_should_be():
    code, r, _ = _check('SeedCNNRenamed')
    cands = {p['name']: p.get('candidate') for p in r['problems']}
    ok = code == 1 and not r['passed'] and cands.get('classifier.weight') == 'fc.weight' and cands.get('fc.bias') == 'classifier.bias'
    report.record('port seed_cnn SeedCNNRenamed', 'check --port', ok, note='; '.join(p['message'] for p in r['problems'])[:300])
    assert ok, r['problems']


def test_a_port_that_cannot_run_says_where():
    code, r, err = _check('SeedCNN', '--port-args', '{"flatten": false}')
    ok = code == 2 and 'seed_cnn.py:' in err and 'MatMul' in err and len(err.strip().split('\n')) == 1
    report.record('port seed_cnn SeedCNN(flatten=False)', 'check --port', ok, note=err.strip()[:200])
    assert ok, (code, err)


def test_layers_compare_every_cell_and_name_the_first_that_differs():
    code, r, err = _check('SeedCNN', '--layers')
    pl = r['portLayers']
    ok = code == 0 and pl['matched'] == 12 and pl['firstDivergence'] is None and not pl['unmatched']
    report.record('port seed_cnn SeedCNN --layers', 'check --port', ok, note=f"{pl['matched']} Cell calls matched")
    assert ok, (code, pl, err)
    # the porter left MindSpore's has_bias=False on the Convs: the bias entries are unused and layer1.0 differs first
    code, r, _ = _check('SeedCNN', '--layers', '--port-args', '{"has_bias": false}')
    pl = r['portLayers']
    unused = {p['name'] for p in r['problems'] if p['kind'] == 'unexpected-weight'}
    why = pl.get('explanation') or {}
    ok = code == 1 and pl['firstDivergence'] == 'layer1.0' and unused == {'layer1.0.bias', 'layer2.0.bias'} and (why.get('api'), why.get('arg')) == ('torch.nn.Conv2d', 'has_bias')
    report.record('port seed_cnn SeedCNN(has_bias=False) --layers', 'check --port', ok, note=f"first diverging Cell {pl['firstDivergence']}; {why.get('message', 'no explanation')}"[:300])
    assert ok, (code, pl['firstDivergence'], unused, why)
