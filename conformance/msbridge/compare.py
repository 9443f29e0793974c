"""Agreement between MindSpore's and msport's tensors: bitwise, in ulps, or within a stated error bound.

Budgets (each case states one, and why):
  {"kind": "exact"}                     bit for bit (also ints and bools).
  {"kind": "ulp", "n": N, "floor": F}   |a-b| <= N * ulp(max(|b|, F)) per element: elementwise math whose libm or
                                        vectorised approximation may round differently; F (>= 0) stops values that
                                        cancel to ~0 from being judged in ulps of themselves.
  {"kind": "norm", "n": N, "floor": F}  max|a-b| <= N * ulp(max(max|b|, F)): reductions (sums over many terms,
                                        gradients of them) whose order of summation differs; N is justified by the sum
                                        length, F by the magnitude of what was summed (for gradients, the incoming
                                        standard-normal sensitivities: F = 1).
  {"kind": "truth", "fn": F, "n": N, "ms": M}
                                        elementwise math where MindSpore's CPU kernel is not correctly rounded: both
                                        sides are measured against F computed in float64 and rounded once. msport
                                        must be within N ulp of it (with the floor of "ulp"); MindSpore's own
                                        distance M (measured, recorded in the case) must not grow, so a change in
                                        MindSpore's kernel shows. The two sides then differ by at most M + N.
NaN must meet NaN and an infinity the same infinity in every kind.
"""
import math

from scipy import special
import numpy as np


def ulp(x):
    """Spacing of float32 at |x| (the smallest positive subnormal for 0)."""
    x = np.abs(np.asarray(x, dtype=np.float32))
    return np.spacing(x).astype(np.float64)


def ordered(a):
    """float32 bit patterns mapped to integers that order like the floats (so a difference counts ulps)."""
    i = np.asarray(a, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(i < 0, -(i & 0x7FFFFFFF), i)


def measure(ms_val, our):
    """Facts about two arrays, independent of any budget."""
    a, b = np.asarray(our), np.asarray(ms_val)
    m = {'shape_ms': list(b.shape), 'shape_msport': list(a.shape), 'dtype_ms': str(b.dtype), 'dtype_msport': str(a.dtype)}
    if a.shape != b.shape:
        m['problem'] = f'shape {list(a.shape)} vs MindSpore {list(b.shape)}'
        return m
    m['bitwise'] = bool(a.tobytes() == b.astype(a.dtype).tobytes()) if a.dtype == b.dtype else False
    if a.size == 0:
        m.update(max_ulp=0, max_abs=0.0)
        return m
    if a.dtype.kind == 'f' or b.dtype.kind == 'f':
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        na, nb = np.isnan(a32), np.isnan(b32)
        if (na != nb).any():
            m['problem'] = f'NaN at {int((na != nb).sum())} positions where the other has a number'
        inf_mis = (np.isinf(a32) | np.isinf(b32)) & ~(na | nb) & (a32 != b32)
        if inf_mis.any():
            m['problem'] = f'infinity mismatch at {int(inf_mis.sum())} positions'
        fin = np.isfinite(a32) & np.isfinite(b32)
        d = np.abs(ordered(a32[fin]) - ordered(b32[fin]))
        m['max_ulp'] = int(d.max()) if d.size else 0
        diff = np.abs(a32[fin].astype(np.float64) - b32[fin].astype(np.float64))
        m['max_abs'] = float(diff.max()) if diff.size else 0.0
        m['max_ref'] = float(np.abs(b32[fin]).max()) if diff.size else 0.0
    else:
        m['max_ulp'] = 0 if m['bitwise'] else None
        if a.dtype != b.dtype:
            m['problem'] = f'dtype {a.dtype} vs MindSpore {b.dtype}'
        elif not m['bitwise']:
            m['problem'] = f'{int((a != b).sum())} of {a.size} elements differ'
    return m


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _sig(x):
    return special.expit(x)


# float64 reference functions and their derivatives, for "truth" budgets
TRUTH = {
    'tanh': (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    'exp': (np.exp, np.exp),
    'log': (np.log, lambda x: 1 / x),
    'sigmoid': (_sig, lambda x: _sig(x) * (1 - _sig(x))),
    'silu': (lambda x: x * _sig(x), lambda x: _sig(x) * (1 + x * (1 - _sig(x)))),
    'mish': (lambda x: x * np.tanh(np.logaddexp(0, x)),
             lambda x: np.tanh(np.logaddexp(0, x)) + x * (1 - np.tanh(np.logaddexp(0, x)) ** 2) * _sig(x)),
    'softplus': (lambda x: np.logaddexp(0, x), _sig),
    'elu': (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    'erf': (special.erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x)),
    'gelu': (lambda x: 0.5 * x * special.erfc(-x / np.sqrt(2)), lambda x: 0.5 * special.erfc(-x / np.sqrt(2)) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
    'gelu_tanh': (_gelu_tanh, None),
    'fmod': (np.fmod, None),
    'tanh_matmul': (lambda x, w: np.tanh(x @ w), None),
    'remainder': (np.remainder, None),
}


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# vector-Jacobian products in float64 for truths that are not elementwise: grad = vjp(inputs..., sens)
TRUTH_VJP = {
    'log_softmax': lambda x, s: s - _softmax(x) * s.sum(-1, keepdims=True),
}
TRUTH['log_softmax'] = (lambda x: (x - x.max(-1, keepdims=True)) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)), None)
TRUTH['f2_dx'] = (lambda x, y: 2 * x * y, None)
TRUTH['f2_dy'] = (lambda x, y: x * x + 1 - np.tanh(y) ** 2, None)


def truth_distance(val, ref, floor):
    """Per-element distance from the float64 reference, in ulps of max(|ref rounded to float32|, floor)."""
    v = np.asarray(val, np.float64)
    fin = np.isfinite(v) & np.isfinite(ref)
    with np.errstate(over='ignore'):
        r32 = ref.astype(np.float32)
    return np.abs(v[fin] - ref[fin]) / ulp(np.maximum(np.abs(r32[fin]), floor))


def within_truth(ms_val, our, budget, x, sens=None):
    """A "truth" budget: returns (ok, measurement) with each side's distance from the float64 reference."""
    m = measure(ms_val, our)
    if 'problem' in m:
        return False, m
    f, df = TRUTH[budget['fn']]
    xs = [np.asarray(v, np.float64) for v in x]
    with np.errstate(all='ignore'):
        if sens is None:
            ref = f(*xs)
        elif TRUTH_VJP.get(budget['fn']):
            ref = TRUTH_VJP[budget['fn']](*xs, np.asarray(sens, np.float64))
        else:
            ref = df(*xs) * np.asarray(sens, np.float64)
    floor = budget.get('floor', 0.0)
    d_ours, d_ms = truth_distance(our, ref, floor), truth_distance(ms_val, ref, floor)
    m['msport_ulp_from_truth'] = float(d_ours.max()) if d_ours.size else 0.0
    m['ms_ulp_from_truth'] = float(d_ms.max()) if d_ms.size else 0.0
    return m['msport_ulp_from_truth'] <= budget['n'] and m['ms_ulp_from_truth'] <= budget['ms'], m


TINY = np.finfo(np.float32).tiny


def subnormal_operands(inputs, shape):
    """Elements any of whose float operands (inputs broadcast to the output) is subnormal. MindSpore's CPU kernels
    flush subnormals in their vector paths (relu(1e-40) = 0, 1e-40 / 1e-40 = NaN), msport keeps IEEE semantics: such
    elements are reported, not judged (a case opts in with "subnormal": "set aside")."""
    mask = np.zeros(shape, bool)
    for v in inputs:
        v = np.asarray(v)
        if v.dtype.kind != 'f':
            continue
        sub = (v != 0) & (np.abs(v) < TINY)
        try:
            mask |= np.broadcast_to(sub, shape)
        except ValueError:
            pass
    return mask


def within(ms_val, our, budget):
    """(ok, measurement) for one pair of arrays under a budget."""
    m = measure(ms_val, our)
    if 'problem' in m:
        return False, m
    kind = budget['kind']
    a, b = np.asarray(our), np.asarray(ms_val)
    if kind == 'exact' or a.dtype.kind not in 'f':
        # bit for bit, signed zeros included; only NaN payloads may differ (NaN positions are already checked)
        if m['bitwise'] or a.dtype.kind != 'f' or a.dtype != b.dtype:
            return m['bitwise'], m
        same = (a.view(np.uint8).reshape(a.shape + (-1,)) == b.view(np.uint8).reshape(b.shape + (-1,))).all(-1) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            m['problem'] = f'{int((~same).sum())} elements differ in their bits (signed zeros count)'
        return bool(same.all()), m
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    fin = np.isfinite(a32) & np.isfinite(b32)
    d = np.abs(a32[fin].astype(np.float64) - b32[fin].astype(np.float64))
    if kind == 'ulp':
        allowed = budget['n'] * ulp(np.maximum(np.abs(b32[fin]), budget.get('floor', 0.0)))
        return bool((d <= allowed).all()), m
    if kind == 'f16ulp':  # float16 results: distance in float16 ulps
        a16, b16 = a.astype(np.float16), b.astype(np.float16)
        ia = a16.view(np.int16).astype(np.int64); ib = b16.view(np.int16).astype(np.int64)
        ia = np.where(ia < 0, -(ia & 0x7FFF), ia); ib = np.where(ib < 0, -(ib & 0x7FFF), ib)
        fin16 = np.isfinite(a16) & np.isfinite(b16)
        return bool((np.abs(ia - ib)[fin16] <= budget['n']).all()), m
    if kind == 'norm':
        ref = max(np.abs(b32[fin]).max() if d.size else 0.0, budget.get('floor', 0.0))
        return bool((d <= budget['n'] * ulp(ref)).all()), m
    raise ValueError(f'unknown budget {budget!r}')


