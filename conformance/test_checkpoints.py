"""Case family 4: checkpoints msport writes load in MindSpore; checkpoints MindSpore writes load in msport."""
import os

import numpy as np
import pytest
import mindspore as ms

from cases import CASES
from msbridge import report
from msbridge.values import build_cell
from msbridge.check import sides, require_ran, exact

WRITE = [c for c in CASES if c['kind'] == 'ckpt_write']
READ = [c for c in CASES if c['kind'] == 'ckpt_read']


@pytest.mark.parametrize('case_id', [c['id'] for c in WRITE])
def test_mindspore_loads_msport_file(work, case_id):
    case, ms_res, _, our_res, our_t = sides(work, case_id)
    require_ran(case_id, 'load in MindSpore', ms_res, our_res)
    fmt = case.spec['format']
    path = our_res['info']['file']
    net = build_cell(case.spec['cell'], None)
    param_dict = ms.load_checkpoint(path, format=fmt, crc_check=case.spec.get('crc_check', False))
    appended = case.spec.get('append_dict') or {}
    got_appended = {k: (v if isinstance(v, str) else v.asnumpy().item()) for k, v in param_dict.items() if k in appended}
    exact(case_id, 'append_dict read back', appended, got_appended)
    param_dict = {k: v for k, v in param_dict.items() if k not in appended}
    not_loaded, ckpt_not_loaded = ms.load_param_into_net(net, param_dict, strict_load=True)
    exact(case_id, 'nothing unloaded', ([], []), (list(not_loaded), list(ckpt_not_loaded)))
    bad = [n for n, p in net.parameters_and_names() if not np.array_equal(p.asnumpy(), our_t[f'param/{n}'])]
    dtypes = [(n, str(p.dtype)) for n, p in net.parameters_and_names()]
    exact(case_id, 'dtypes after load', sorted((p['name'], p['dtype']) for p in our_res['params']), sorted(dtypes))
    report.record(case_id, 'values equal', not bad, {'bitwise': not bad}, {'kind': 'exact'}, f'differ: {bad}' if bad else '')
    assert not bad


@pytest.mark.parametrize('case_id', [c['id'] for c in READ])
def test_msport_loads_mindspore_file(work, case_id):
    case, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    require_ran(case_id, 'load in msport', ms_res, our_res)
    order = (lambda x: x) if case.spec['format'] == 'ckpt' else sorted  # safetensors has no order: names sorted
    exact(case_id, 'names, shapes, dtypes', order([(p['name'], p['shape'], p['dtype']) for p in ms_res['params']]),
          order([(p['name'], p['shape'], p['dtype']) for p in our_res['params']]))
    exact(case_id, 'appended strings', ms_res.get('info', {}).get('strings', {}), our_res.get('info', {}).get('strings', {}))
    bad = [k for k in ms_t if k not in our_t or ms_t[k].dtype != our_t[k].dtype or not np.array_equal(ms_t[k], our_t[k], equal_nan=True)]
    size = os.path.getsize(os.path.join(case.dir, case.spec['file']))
    report.record(case_id, 'values equal', not bad, {'bitwise': not bad}, {'kind': 'exact'},
                  f'{len(ms_t)} tensors, {size / 2**20:.1f} MiB file' + (f'; differ: {bad}' if bad else ''))
    assert not bad
