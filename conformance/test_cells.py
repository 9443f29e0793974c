"""Case families 1 and 2: every nn Cell and functional op in both, forward and backward; names and reprs."""
import pytest

from cases import CASES
from msbridge import report
from msbridge.check import sides, require_ran, tensors, exact, norm_repr


def grad_failed(case_id, aspect, our_res):
    if our_res.get('grad_error'):
        report.record(case_id, aspect, False, note=f"msport's backward raised {our_res['grad_error']}")
        pytest.fail(f"msport's backward raised {our_res['grad_error']}")

CELLS = [c['id'] for c in CASES if c['kind'] == 'cell']
OPS = [c['id'] for c in CASES if c['kind'] == 'op']
PROGRAMS = [c['id'] for c in CASES if c['kind'] == 'program']
SPEC = {c['id']: c for c in CASES}


@pytest.mark.parametrize('case_id', CELLS)
def test_param_names(work, case_id):
    """Parameter names (auto_prefix), shapes, dtypes, requires_grad, in MindSpore's order."""
    _, ms_res, _, our_res, _ = sides(work, case_id)
    if require_ran(case_id, 'names', ms_res, our_res, SPEC[case_id]):
        return
    key = lambda r: [(p['name'], tuple(p['shape']), p['dtype'], p['requires_grad']) for p in r['params']]
    exact(case_id, 'names', key(ms_res), key(our_res))


@pytest.mark.parametrize('case_id', CELLS)
def test_repr(work, case_id):
    """print(net), character for character (object addresses aside)."""
    _, ms_res, _, our_res, _ = sides(work, case_id)
    if require_ran(case_id, 'repr', ms_res, our_res, SPEC[case_id]):
        return
    exact(case_id, 'repr', ms_res['repr'], our_res['repr'], norm_repr)


@pytest.mark.parametrize('case_id', CELLS)
def test_param_repr(work, case_id):
    _, ms_res, _, our_res, _ = sides(work, case_id)
    if require_ran(case_id, 'param repr', ms_res, our_res, SPEC[case_id]):
        return
    if not ms_res['params']:
        pytest.skip('no parameters')
    exact(case_id, 'param repr', [p['repr'] for p in ms_res['params']], [p['repr'] for p in our_res['params']])


@pytest.mark.parametrize('case_id', CELLS + OPS)
def test_forward(work, case_id):
    spec = SPEC[case_id]
    if spec.get('forward') is False:
        pytest.skip('construction-only case')
    case, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    if require_ran(case_id, 'forward', ms_res, our_res, SPEC[case_id]):
        return
    tensors(case_id, 'forward', ms_t, our_t, 'out/', spec['budget'], case)


@pytest.mark.parametrize('case_id', [c for c in CELLS if SPEC[c].get('train')])
def test_train_phase_state(work, case_id):
    """Parameters after one train-phase forward (BatchNorm moving statistics)."""
    _, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    if require_ran(case_id, 'train state', ms_res, our_res, SPEC[case_id]):
        return
    tensors(case_id, 'train state', ms_t, our_t, 'after/', SPEC[case_id]['budget'])


@pytest.mark.parametrize('case_id', [c for c in CELLS + OPS if SPEC[c].get('grad')])
def test_grad_inputs(work, case_id):
    case, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    if require_ran(case_id, 'grad inputs', ms_res, our_res, SPEC[case_id]):
        return
    grad_failed(case_id, 'grad inputs', our_res)
    tensors(case_id, 'grad inputs', ms_t, our_t, 'grad_in/', SPEC[case_id]['grad_budget'], case)


@pytest.mark.parametrize('case_id', [c for c in CELLS if SPEC[c].get('grad')])
def test_grad_params(work, case_id):
    _, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    if require_ran(case_id, 'grad params', ms_res, our_res, SPEC[case_id]):
        return
    grad_failed(case_id, 'grad params', our_res)
    tensors(case_id, 'grad params', ms_t, our_t, 'grad_param/', SPEC[case_id]['grad_budget'])


@pytest.mark.parametrize('case_id', PROGRAMS)
def test_grad_api(work, case_id):
    """grad / value_and_grad / GradOperation / stop_gradient / has_aux / custom bprop calling conventions."""
    case, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    require_ran(case_id, 'grad api', ms_res, our_res)
    special = SPEC[case_id].get('budgets', {})
    for prefix, budget in special.items():
        tensors(case_id, f'grad api {prefix}', ms_t, our_t, prefix, budget, case)
    rest_ms = {k: v for k, v in ms_t.items() if not any(k.startswith(p) for p in special)}
    rest_ours = {k: v for k, v in our_t.items() if not any(k.startswith(p) for p in special)}
    if rest_ms or not special:
        tensors(case_id, 'grad api', rest_ms, rest_ours, '', SPEC[case_id]['budget'], case)
