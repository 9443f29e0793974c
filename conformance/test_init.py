"""Case family 3: initializers and each Cell's default weight_init / bias_init, by distribution, not bits.

Deterministic initializers (Zero, One, Constant, Identity, and Cell parameters initialised that way) must agree
exactly. Random ones are compared as samples: a two-sample Kolmogorov-Smirnov test at p >= 1e-4 (with 32768 values a
side, it rejects a shift of the CDF by ~2.5%: a wrong scale, mean, bound or family), and the two ranges for bounded
families must agree within 2% of their width (a uniform bound off by more is caught even when KS is not).
"""
import numpy as np
import pytest
from scipy import stats

from cases import CASES
from msbridge import report
from msbridge.check import sides, require_ran, exact

INITS = [c for c in CASES if c['kind'] == 'init']


def same_distribution(case_id, aspect, ms_a, our_a):
    ms_a, our_a = np.asarray(ms_a, np.float64).ravel(), np.asarray(our_a, np.float64).ravel()
    if ms_a.shape != our_a.shape:
        report.record(case_id, aspect, False, note=f'shape {our_a.shape} vs {ms_a.shape}')
        pytest.fail('shapes differ')
    if np.unique(ms_a).size <= 2 or np.unique(our_a).size <= 2:  # deterministic: zeros, ones, constants, identity
        ok = np.array_equal(ms_a, our_a)
        report.record(case_id, aspect, ok, {'bitwise': ok}, {'kind': 'exact'},
                      '' if ok else f'values differ: MindSpore {np.unique(ms_a)[:4]}, msport {np.unique(our_a)[:4]}')
        assert ok
        return
    ks = stats.ks_2samp(ms_a, our_a)
    width = ms_a.max() - ms_a.min()
    range_gap = max(abs(ms_a.max() - our_a.max()), abs(ms_a.min() - our_a.min())) / width
    note = (f'KS p={ks.pvalue:.3g}; mean {our_a.mean():.4g} vs {ms_a.mean():.4g}; std {our_a.std():.4g} vs {ms_a.std():.4g}; '
            f'range [{our_a.min():.4g}, {our_a.max():.4g}] vs [{ms_a.min():.4g}, {ms_a.max():.4g}]')
    bounded = stats.kurtosis(ms_a) < -0.5  # uniform-like: its bounds are part of the definition
    # the largest of n uniform draws falls short of the bound by more than 6/n of the width with probability e^-6
    ok = ks.pvalue >= 1e-4 and (not bounded or range_gap <= 0.02 + 6 / ms_a.size)
    report.record(case_id, aspect, ok, {'bitwise': False}, {'kind': 'ks'}, note)
    assert ok, note


@pytest.mark.parametrize('case_id', [c['id'] for c in INITS if 'cell' not in c])
def test_initializer(work, case_id):
    _, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    require_ran(case_id, 'distribution', ms_res, our_res)
    exact(case_id, 'dtype', str(ms_t['sample'].dtype), str(our_t['sample'].dtype))
    same_distribution(case_id, 'distribution', ms_t['sample'], our_t['sample'])


@pytest.mark.parametrize('case_id', [c['id'] for c in INITS if 'cell' in c])
def test_default_init(work, case_id):
    _, ms_res, ms_t, our_res, our_t = sides(work, case_id)
    require_ran(case_id, 'default init', ms_res, our_res)
    names = [p['name'] for p in ms_res['params']]
    exact(case_id, 'init names', names, [p['name'] for p in our_res['params']])
    bad = []
    for n in names:
        try:
            same_distribution(case_id, f'init {n}', ms_t[f'param/{n}'], our_t[f'param/{n}'])
        except (AssertionError, pytest.fail.Exception):
            bad.append(n)
    assert not bad, f'parameters whose initial values differ in distribution: {bad}'
