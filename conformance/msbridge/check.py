"""Helpers shared by the test modules: load both sides' results and compare them with a recorded verdict."""
import re

import numpy as np

import pytest

from . import exchange, report
from .compare import within, within_truth, subnormal_operands, TINY

ADDR = re.compile(r' at 0x[0-9a-fA-F]+>')


def sides(work, case_id):
    case = work[case_id]
    ms_res, ms_t = exchange.load_result(case.dir, 'mindspore')
    our_res, our_t = exchange.load_result(case.dir, 'msport')
    return case, ms_res, ms_t, our_res, our_t


def require_ran(case_id, aspect, ms_res, our_res, spec=None):
    """Both sides ran; or, for a case MindSpore is known to refuse, it refused as recorded (and msport too when the
    refusal is part of MindSpore's API rather than a missing CPU kernel) — then the test ends here (returns True)."""
    expect = (spec or {}).get('ms_error')
    if expect:
        got = ms_res.get('error') or ''
        ok = expect in got + ms_res.get('traceback', '')
        must = (spec or {}).get('msport_refuses')  # the text msport's refusal must contain
        ours = our_res.get('error')
        ok = ok and (must in (ours or '') if must else True)
        note = f"MindSpore refuses: {expect}" + (f"; msport refuses: {ours}" if must else '; msport computes it')
        if not ok:
            note = f"expected MindSpore to refuse ({expect}), got {got or 'a result'}; msport: {ours or 'a result'}"
        report.record(case_id, aspect, ok, note=note)
        assert ok, note
        return True
    if ms_res.get('error') and (spec or {}).get('ms_may_refuse'):
        # a dtype or shape sweep: MindSpore refusing one is a fact about MindSpore, recorded; nothing to compare
        report.record(case_id, aspect, True, note=f"MindSpore 2.10 CPU refuses it: {ms_res['error'][:160]}; msport "
                      + (f"refuses too: {our_res['error'][:80]}" if our_res.get('error') else 'computes it'))
        pytest.skip('MindSpore refuses this input')
    if ms_res.get('error'):
        report.record(case_id, aspect, False, note=f"MindSpore raised {ms_res['error']}")
        pytest.fail(f"MindSpore raised {ms_res['error']}\n{ms_res.get('traceback', '')}")
    if our_res.get('error'):
        report.record(case_id, aspect, False, note=f"msport raised {our_res['error']}")
        pytest.fail(f"msport raised {our_res['error']}")


def tensors(case_id, aspect, ms_t, our_t, prefix, budget, case=None):
    """Compare every tensor whose key starts with prefix; one recorded row for the lot (worst measurement)."""
    keys = sorted(k for k in ms_t if k.startswith(prefix))
    if not keys:
        pytest.skip(f'no {prefix} tensors in this case')
    missing = [k for k in keys if k not in our_t]
    extra = [k for k in our_t if k.startswith(prefix) and k not in ms_t]
    if missing or extra:
        report.record(case_id, aspect, False, note=f'msport lacks {missing}, has extra {extra}')
        pytest.fail(f'msport lacks {missing}, has extra {extra}')
    worst, bad, aside = None, [], []
    for k in keys:
        a, b = ms_t[k], our_t[k]
        if case is not None and case.spec.get('subnormal') == 'set aside' and a.shape == b.shape:
            ins = [case.tensors[i] for i in case.spec.get('inputs', [])]
            mask = subnormal_operands(ins, a.shape) | ((a != 0) & (np.abs(a) < TINY)) | ((b != 0) & (np.abs(b) < TINY))
            if mask.any():
                aside.append(f"{k}: {int(mask.sum())} elements with subnormal operands or results set aside "
                             f"(MindSpore {a[mask][:3].tolist()}, msport {b[mask][:3].tolist()})")
                a, b = np.where(mask, np.nan, a), np.where(mask, np.nan, b)  # NaN on both sides: not judged
        if case is not None and k.startswith('out/') and case.spec.get('ms_cpu_deviation'):
            mask, held, text = deviation(case.spec['ms_cpu_deviation'], case.tensors['input/0'], a)
            if not held:
                bad.append((k, {'problem': f'recorded MindSpore CPU deviation no longer holds: {text}'}))
            elif mask.any():
                aside.append(f'{k}: {int(mask.sum())} elements where MindSpore CPU {text} (recorded, set aside)')
                a, b = np.where(mask, np.nan, a), np.where(mask, np.nan, b)
        if budget['kind'] == 'truth':  # elementwise math on the case inputs: forward, or its gradient times sens/0
            sens = case.tensors['sens/0'] if k.startswith('grad_in/') else None
            ins = [case.tensors[i] for i in budget.get('args', case.spec['inputs'])]
            ok, m = within_truth(a, b, budget, ins, sens)
        else:
            ok, m = within(a, b, budget)
        if not ok:
            bad.append((k, m))
        if worst is None or (m.get('max_ulp') or 0) > (worst.get('max_ulp') or 0) or 'problem' in m or \
                m.get('ms_ulp_from_truth', 0) > worst.get('ms_ulp_from_truth', 0):
            worst = m
        if m.get('bitwise') is False and worst.get('bitwise') is not False:
            worst = {**worst, 'bitwise': False}
    note = '; '.join(f"{k}: {m.get('problem', '')} max ulp {m.get('max_ulp')} max abs {m.get('max_abs')}" for k, m in bad[:3])
    if budget['kind'] == 'truth' and worst:
        note = (f"from float64 truth: msport {worst.get('msport_ulp_from_truth', 0):.3g} ulp, MindSpore "
                f"{worst.get('ms_ulp_from_truth', 0):.3g} ulp" + ('; ' + note if note else ''))
    if aside:
        note = '; '.join(aside) + ('; ' + note if note else '')
    report.record(case_id, aspect, not bad, worst, budget, note)
    assert not bad, note


def deviation(kind, x, ms_out):
    """Where MindSpore's CPU kernel departs from its documented function on special inputs: (positions, whether
    MindSpore still does exactly what is recorded, the record)."""
    x, a = np.asarray(x), np.asarray(ms_out)
    if kind == 'softplus(nan) = inf':
        mask = np.isnan(x)
        return mask, bool(np.all(np.isposinf(a[mask]))), 'gives softplus(NaN) = +inf (documented: NaN)'
    if kind == 'softmax rows with nan or +inf':
        rows = np.any(np.isnan(x) | np.isposinf(x), axis=-1, keepdims=True)
        mask = np.broadcast_to(rows, x.shape)
        special = np.isnan(x) | np.isposinf(x)
        held = bool(np.all(np.isnan(a[mask & special])) and np.all(a[mask & ~special] == 0))
        return mask, held, 'gives NaN only at the NaN/+inf entries of a row holding them and 0 elsewhere (documented: the whole row NaN)'
    if kind == 'log_softmax rows with nan or +inf':
        rows = np.any(np.isnan(x) | np.isposinf(x), axis=-1, keepdims=True)
        mask = np.broadcast_to(rows, x.shape)
        special = np.isnan(x) | np.isposinf(x)
        held = bool(np.all(np.isnan(a[mask & special])) and np.all(np.isneginf(a[mask & ~special])))
        return mask, held, 'gives NaN only at the NaN/+inf entries of a row holding them and -inf elsewhere (documented: the whole row NaN)'
    if kind == 'mish overflow':
        # x·tanh(softplus(x)) with tanh from exp(2·softplus): float32 exp overflows past x ≈ 44.36, and -inf·0 at -inf
        mask = (x >= 44.36) | np.isinf(x)
        return mask, bool(np.all(np.isnan(a[mask]))), 'gives NaN for x ≥ 44.36 and at ±inf (documented: x, and 0 at -inf)'
    raise ValueError(kind)


def exact(case_id, aspect, ms_val, our_val, normalise=None):
    a, b = (normalise(ms_val), normalise(our_val)) if normalise else (ms_val, our_val)
    ok = a == b
    report.record(case_id, aspect, ok, note='' if ok else f'MindSpore: {a!r} | msport: {b!r}')
    assert ok, f'\nMindSpore: {a!r}\nmsport:    {b!r}'


def norm_repr(s):
    return ADDR.sub(' at 0x…>', s)
