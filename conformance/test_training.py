"""Case family 6: SGD, Momentum, Adam through TrainOneStepCell: weights after 1 and 10 steps from the same start."""
import pytest

from cases import CASES
from msbridge.check import sides, require_ran, tensors

TRAIN = [c for c in CASES if c['kind'] == 'train']


@pytest.mark.parametrize('case_id', [c['id'] for c in TRAIN])
@pytest.mark.parametrize('step', [1, 10])
def test_weights_after_steps(work, case_id, step):
    spec = next(c for c in TRAIN if c['id'] == case_id)
    _, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    require_ran(case_id, f'step {step}', ms_res, our_res)
    tensors(case_id, f'step {step}', ms_t, our_t, f'step{step}/', spec['budget'])
    tensors(case_id, f'loss {step}', ms_t, our_t, f'loss/{step}', spec['budget'])
