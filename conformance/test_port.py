"""`msport check MODEL --port FILE.py:CLASS`: a hand-written MindSpore port, run in real MindSpore 2.10 by msport's
Python bridge, compared with onnxruntime. The correct port passes; planted porting bugs are caught: weights under
other names are listed with the entries they should have been, a port that cannot run says where."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    ok = code == 2 and 'in Cell fc (Dense) on input (1, 4, 5, 5)' in err and 'seed_cnn.py:' in err and 'MatMul' in err and len(err.strip().split('\n')) == 1 \
        and "PyTorch's fc received (1, 100)" in err and 'missing a step before fc (a flatten or reshape)' in err
    report.record('port seed_cnn SeedCNN(flatten=False)', 'check --port', ok, note=err.strip()[:200])
    assert ok, (code, err)


def test_layers_compare_every_cell_and_name_the_first_that_differs():
    code, r, err = _check('SeedCNN', '--layers')
    pl = r['portLayers']
    ok = code == 0 and pl['matched'] == 12 and pl['firstDivergence'] is None and not pl['unmatched']
    report.record('port seed_cnn SeedCNN --layers', 'check --port', ok, note=f"{pl['matched']} Cell calls matched")
    assert ok, (code, pl, err)
    # the porter left MindSpore's has_bias=False on the Convs: the bias entries are unused and layer1.0 differs first
    junit = os.path.join(tempfile.mkdtemp(prefix='msport-junit-'), 'port.xml')
    code, r, _ = _check('SeedCNN', '--layers', '--port-args', '{"has_bias": false}', '--junit', junit)
    xml = open(junit).read()
    shutil.rmtree(os.path.dirname(junit), ignore_errors=True)
    assert '<testcase name="layer1.0" classname="layers"' in xml and 'type="port-layer"' in xml, xml[:2000]
    pl = r['portLayers']
    unused = {p['name'] for p in r['problems'] if p['kind'] == 'unexpected-weight'}
    why = pl.get('explanation') or {}
    ok = code == 1 and pl['firstDivergence'] == 'layer1.0' and unused == {'layer1.0.bias', 'layer2.0.bias'} and (why.get('api'), why.get('arg')) == ('torch.nn.Conv2d', 'has_bias')
    report.record('port seed_cnn SeedCNN(has_bias=False) --layers', 'check --port', ok, note=f"first diverging Cell {pl['firstDivergence']}; {why.get('message', 'no explanation')}"[:300])
    assert ok, (code, pl['firstDivergence'], unused, why)


# Planted porting bugs. The correct port of each model is the one `msport convert` writes (it passes); each case edits
# one line of it the way a porter gets it wrong, then `check --port --layers` must fail, name the Cell where the
# output first differs and the mapping rule whose MindSpore default reproduces it.

import pytest  # noqa: E402

PLANTED = [
    # (model, what the porter got wrong, the correct line, the wrong one, the Cell named, the rule named[, check flags])
    ('fixtures/models/dynamo/resnet_blocks.onnx', "the seed guide's missing pad_mode='pad' (a stride-2 Conv)",
     "self.conv1 = nn.Conv2d(8, 16, 3, stride=2, pad_mode='pad', padding=1, has_bias=True)", 'self.conv1 = nn.Conv2d(8, 16, 3, stride=2, has_bias=True)',
     '4.conv1', ('torch.nn.Conv2d', 'pad_mode')),
    ('fixtures/models/ops/leaky_relu_op13.onnx', "LeakyReLU's slope left at MindSpore's 0.2",
     'self.act = nn.LeakyReLU(alpha=0.1)', 'self.act = nn.LeakyReLU()', 'act', ('torch.nn.LeakyReLU', 'alpha')),
    # MindSpore's tanh GELU differs from the erf form by up to ~4e-4 (near x = ±2.5): caught on the inputs that reach
    # there (4 samples; the layers are compared on the first failing one)
    ('fixtures/models/modules/GELU.onnx', "GELU left at MindSpore's tanh default",
     'self.m = nn.GELU(approximate=False)', 'self.m = nn.GELU()', 'm', ('torch.nn.GELU', 'approximate'), ['--samples', '4']),
    # LayerNorm's epsilon 1e-7 against PyTorch's 1e-5 moves this encoder's output by 3e-6: caught at atol 1e-6 (where the
    # correct port passes, max diff 7e-7), within the default atol 1e-4
    ('fixtures/models/ops/encoder_seqfirst_gelu_op13.onnx', "LayerNorm's epsilon left at MindSpore's 1e-7",
     'self.norm1 = nn.LayerNorm((32,), epsilon=1e-05)', 'self.norm1 = nn.LayerNorm((32,))', 'encoder.layers.0.norm1', ('torch.nn.LayerNorm', 'epsilon'),
     ['--atol', '1e-6', '--rtol', '1e-5']),
]


def _check_port(model, port, weights, flags=()):
    return subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'check', os.path.join(ROOT, model), '--port', port,
                           *(['--weights', weights] if weights else []), '--python', sys.executable, '--samples', '1', '--layers', '--json', *flags],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize('case', PLANTED, ids=[p[1] for p in PLANTED])
def test_planted_bug_is_named_at_its_cell_with_its_rule(case):
    model, what, right, wrong, cell, rule = case[:6]
    flags = case[6] if len(case) > 6 else []
    out = tempfile.mkdtemp(prefix='msport-port-')
    try:
        p = subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'convert', os.path.join(ROOT, model), '-o', os.path.join(out, 'port'), '--json'],
                           capture_output=True, text=True, cwd=ROOT)
        assert p.returncode == 0, p.stderr
        summary = json.loads(p.stdout)
        src = os.path.join(out, 'port', f"{summary['name']}.py")
        code = open(src).read()
        assert right in code, f'{right!r} not in the generated port'
        ckpt = os.path.join(out, 'port', f"{summary['name']}.ckpt")
        weights = ckpt if os.path.exists(ckpt) else None
        good = _check_port(model, f"{src}:{summary['className']}", weights, flags)
        assert good.returncode == 0 and json.loads(good.stdout)['portLayers']['firstDivergence'] is None, good.stdout[:500]
        with open(src, 'w') as f:
            f.write(code.replace(right, wrong, 1))
        # the port with the checkpoint convert wrote beside it (it holds the constants the exporter folded, too)
        run = _check_port(model, f"{src}:{summary['className']}", weights, flags)
        r = json.loads(run.stdout)
        pl = r['portLayers']
        why = pl.get('explanation') or {}
        ok = run.returncode == 1 and pl['firstDivergence'] == cell and (why.get('api'), why.get('arg')) == rule
        ratio = next((l['noiseRatio'] for l in pl['layers'] if l['name'] == pl['firstDivergence'] and l['noiseRatio'] is not None), None)
        report.record(f'port planted {what}', 'check --port', ok,
                      note=f"{model}: first diverging Cell {pl['firstDivergence']} at {ratio:.3g}x its noise floor; {why.get('message', 'no explanation')}"[:300] if ratio is not None
                      else f"{model}: first diverging Cell {pl['firstDivergence']}; {why.get('message', 'no explanation')}"[:300])
        assert ok, (run.returncode, pl['firstDivergence'], why, run.stderr)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_planted_untransposed_dense_weight_is_named():
    """A checkpoint whose square Dense weight was copied as [in, out]: names and shapes agree, the values do not."""
    import mindspore as ms
    model = 'fixtures/models/dynamo/bert_tiny.onnx'
    out = tempfile.mkdtemp(prefix='msport-port-')
    try:
        p = subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'convert', os.path.join(ROOT, model), '-o', os.path.join(out, 'port'), '--json'],
                           capture_output=True, text=True, cwd=ROOT)
        summary = json.loads(p.stdout)
        params = ms.load_checkpoint(os.path.join(out, 'port', f"{summary['name']}.ckpt"))
        name = 'encoder.layer.0.attention.output.dense.weight'
        entries = [{'name': k, 'data': ms.Tensor(v.asnumpy().T.copy()) if k == name else v} for k, v in params.items()]
        bad = os.path.join(out, 'transposed.ckpt')
        ms.save_checkpoint(entries, bad)
        run = _check_port(model, f"{os.path.join(out, 'port', summary['name'] + '.py')}:{summary['className']}", bad)
        pl = json.loads(run.stdout)['portLayers']
        why = pl.get('explanation') or {}
        ok = run.returncode == 1 and pl['firstDivergence'] == 'encoder.layer.0.attention.output.dense' and why.get('arg') == 'weight'
        report.record('port planted a Dense weight not transposed', 'check --port', ok, note=f"{model}: first diverging Cell {pl['firstDivergence']}; {why.get('message', 'no explanation')}"[:300])
        assert ok, (run.returncode, pl['firstDivergence'], why)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_train_phase_momentum_not_inverted_is_named():
    """A train-mode export: the port runs a train-phase step and its BatchNorm moving statistics must match PyTorch's
    running statistics; PyTorch's momentum copied as is (0.1 for MindSpore's 0.9) is named as the cause."""
    model = os.path.join(ROOT, 'fixtures', 'models', 'seed_cnn.train.onnx')

    def run(*extra):
        p = subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'check', model, '--train', '--port', f'{PORT}:SeedCNN', '--python', sys.executable,
                            '--samples', '1', '--json', *extra], capture_output=True, text=True, cwd=ROOT)
        return p.returncode, json.loads(p.stdout)
    code, r = run()
    assert code == 0 and not r['problems'], r['problems']
    code, r = run('--port-args', '{"momentum": 0.1}')
    states = {p['name']: p['message'] for p in r['problems'] if p['kind'] == 'port-state'}
    ok = code == 1 and set(states) == {'layer1.1.moving_mean', 'layer1.1.moving_variance', 'layer2.1.moving_mean', 'layer2.1.moving_variance'} \
        and 'pass momentum=0.9' in states['layer1.1.moving_mean']
    report.record('port planted BatchNorm momentum not inverted (train phase)', 'check --port', ok, note=states.get('layer1.1.moving_mean', '')[:300])
    assert ok, states


def test_train_phase_dropout_given_p_as_keep_prob_is_named():
    """A train-mode export with a Dropout: masks are random on both sides, so values are compared with Dropout off and
    each port Dropout's drop rate is measured in real MindSpore. PyTorch's Dropout(0.1) copied positionally (MindSpore's
    deprecated keep_prob=0.1: drops 90%) is named with the fix; the right port (p=0.1) passes, with --layers too."""
    model = os.path.join(ROOT, 'fixtures', 'models', 'seed_mlp_dropout.train.onnx')
    port = os.path.join(ROOT, 'conformance', 'ports', 'seed_mlp.py')

    def run(*extra):
        p = subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'check', model, '--train', '--port', f'{port}:SeedMLPDropout', '--python', sys.executable,
                            '--samples', '2', '--json', *extra], capture_output=True, text=True, cwd=ROOT)
        return p.returncode, json.loads(p.stdout)
    code, r = run('--layers')
    assert code == 0 and not r['problems'] and r['portLayers']['firstDivergence'] is None, (r['problems'], r.get('portLayers'))
    assert [n['module'] for n in r['exportNotes'] if n['kind'] == 'train-dropout'] == ['dense_relu_sequential.2']
    code, r = run('--port-args', '{"positional": true}')
    drops = {p['name']: p['message'] for p in r['problems'] if p['kind'] == 'port-dropout'}
    msg = drops.get('dense_relu_sequential.2', '')
    ok = code == 1 and set(drops) == {'dense_relu_sequential.2'} and 'as keep_prob' in msg and 'pass it as p=0.1' in msg
    report.record('port planted Dropout keep_prob given PyTorch p (train phase)', 'check --port', ok, note=msg[:300])
    assert ok, r['problems']


def test_dropout_facts_the_rule_states():
    """The Dropout rule's claims (src/mappings/nn.ts), in MindSpore 2.10: the first positional argument is keep_prob,
    p wins when both are given, and keep_prob=1.0 turns the Cell off whatever p is."""
    import mindspore as ms
    from mindspore import nn

    def dropped(cell):
        cell.set_train(True)
        return float((cell(ms.ops.ones((256, 256), ms.float32)).asnumpy() == 0).mean())
    rates = {'Dropout(0.1)': dropped(nn.Dropout(0.1)), 'Dropout(keep_prob=0.9, p=0.5)': dropped(nn.Dropout(keep_prob=0.9, p=0.5)),
             'Dropout(keep_prob=1.0, p=0.5)': dropped(nn.Dropout(keep_prob=1.0, p=0.5))}
    # 65536 draws: six binomial standard deviations are under 0.012
    ok = abs(rates['Dropout(0.1)'] - 0.9) < 0.012 and abs(rates['Dropout(keep_prob=0.9, p=0.5)'] - 0.5) < 0.012 and rates['Dropout(keep_prob=1.0, p=0.5)'] == 0
    report.record('mindspore.nn.Dropout keep_prob / p', 'check --port', ok, note=json.dumps(rates))
    assert ok, rates
