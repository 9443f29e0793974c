"""Tensor and Parameter reprs and print(tensor) (numpy's str), character for character."""
import pytest

from cases import CASES
from msbridge.check import sides, require_ran, exact

REPRS = [c['id'] for c in CASES if c['kind'] == 'tensor_repr']


@pytest.mark.parametrize('case_id', REPRS)
@pytest.mark.parametrize('what', ['repr', 'str', 'param_repr'])
def test_tensor_repr(work, case_id, what):
    _, ms_res, _, our_res, _ = sides(work, case_id)
    require_ran(case_id, what, ms_res, our_res)
    exact(case_id, what.replace('_', ' '), ms_res['info'][what], our_res['info'][what])
