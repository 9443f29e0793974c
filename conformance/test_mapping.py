"""Case family 7: each mapping-table entry's MindSpore API exists in this MindSpore, with the argument names and
defaults the entry states, and the entry's version range says whether it holds here."""
import inspect
import json
import os
import subprocess

import pytest
import mindspore as ms

from msbridge import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = json.loads(subprocess.run(['node', os.path.join(ROOT, 'bin', 'msport'), 'api', '--json'],
                                  check=True, capture_output=True, text=True).stdout)


def version_in(version, rng):
    """A semver range as the mapping table writes them: space-separated comparators, all must hold."""
    v = tuple(int(x) for x in version.split('.')[:3])
    for part in rng.split():
        op = part.rstrip('0123456789.')
        bound = tuple(int(x) for x in part[len(op):].split('.'))
        bound = bound + (0,) * (3 - len(bound))
        ok = {'>=': v >= bound, '>': v > bound, '<': v < bound, '<=': v <= bound, '': v == bound, '=': v == bound}[op]
        if not ok:
            return False
    return True


def resolve(path):
    obj = ms
    for part in path.split('.')[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def signature(obj):
    f = obj.__init__ if inspect.isclass(obj) else obj
    while hasattr(f, '__wrapped__'):
        f = f.__wrapped__
    try:
        ps = {p.name: p for p in inspect.signature(f).parameters.values() if p.name != 'self'}
    except (TypeError, ValueError):
        return None
    # (*args, **kwargs) that pass everything on (nn.LSTM, nn.GRU): nothing to read; their cases check the keywords
    return None if [p.kind for p in ps.values()] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD] else ps


def problems(rule):
    obj = resolve(rule['ms'])
    if obj is None:
        return [f"{rule['ms']} does not exist"], []
    sig = signature(obj)
    if sig is None:
        return [], ['signature not introspectable']
    out, skipped = [], []
    for a in rule.get('args') or []:
        if a['ms'] not in sig:
            out.append(f"argument '{a['ms']}' (for torch '{a['torch']}') is not a parameter; MindSpore has {list(sig)}")
    for d in rule.get('defaults') or []:
        p = sig.get(d['arg'])
        if p is None:
            out.append(f"default for '{d['arg']}', which is not a parameter; MindSpore has {list(sig)}")
            continue
        real = p.default
        if real is inspect.Parameter.empty:
            out.append(f"'{d['arg']}' has no default in MindSpore (the entry says {d['ms']!r})")
        elif isinstance(d['ms'], (bool, int, float)) or d['ms'] is None or isinstance(real, str):
            if not (real == d['ms'] and type(real) is type(d['ms']) or (isinstance(real, float) and isinstance(d['ms'], (int, float)) and real == d['ms'])):
                out.append(f"default {d['arg']}={real!r} in MindSpore, the entry says {d['ms']!r}")
        else:
            skipped.append(f"{d['arg']}: the entry describes ({d['ms']!r}), MindSpore's default is {real!r}")
    return out, skipped


@pytest.mark.parametrize('i', range(len(RULES)), ids=[f"{r['torch']}->{r['ms']}" for r in RULES])
def test_mapping_entry(i):
    rule = RULES[i]
    found, skipped = problems(rule)
    holds = not found
    claims = version_in(ms.__version__, rule['versions'])
    case_id = f"mapping {rule['torch']} -> {rule['ms']}"
    ok = holds == claims
    note = '; '.join(found) or ('; '.join(skipped))
    if not ok:
        note = (f"entry says versions '{rule['versions']}' {'include' if claims else 'exclude'} {ms.__version__}, "
                f"but it {'holds' if holds else 'does not hold'} there" + (f': {note}' if note else ''))
    report.record(case_id, 'mapping', ok, note=note)
    assert ok, note


# Constructor calls that give each Cell every Parameter its mapping entry renames (MultiheadAttention has separate
# q/k/v projections only with kdim/vdim, bias_k/bias_v only with add_bias_kv).
CONSTRUCT = {
    'BatchNorm1d': [((4,), {})], 'BatchNorm2d': [((4,), {})], 'InstanceNorm2d': [((2,), {})],
    'Conv1d': [((2, 2, 3), {'has_bias': True})], 'Conv2d': [((2, 2, 3), {'has_bias': True})],
    'Conv3d': [((2, 2, 3), {'has_bias': True})], 'Conv2dTranspose': [((2, 2, 3), {'has_bias': True})],
    'Embedding': [((5, 3), {})], 'GRU': [((2, 3), {})], 'LSTM': [((2, 3), {})], 'GroupNorm': [((1, 2), {})],
    'LayerNorm': [(((3,),), {})], 'Dense': [((2, 3), {})], 'PReLU': [((), {})],
    'MultiheadAttention': [((4, 2), {}), ((4, 2), {'kdim': 3, 'vdim': 3, 'add_bias_kv': True})],
}
CELL_RULES = [r for r in RULES if r['kind'] == 'cell' and (r.get('params') or r.get('msOnlyParams'))]


@pytest.mark.parametrize('i', range(len(CELL_RULES)), ids=[f"{r['torch']}->{r['ms']}" for r in CELL_RULES])
def test_mapping_parameter_names(i):
    """Each Parameter name the entry renames to (and each MindSpore-only one) is a Parameter of the real Cell."""
    rule = CELL_RULES[i]
    cls = rule['ms'].rsplit('.', 1)[1]
    names = set()
    for args, kwargs in CONSTRUCT[cls]:
        names |= {n for n, _ in getattr(ms.nn, cls)(*args, **kwargs).parameters_and_names()}
    wanted = [p['ms'] for p in rule.get('params') or []] + list(rule.get('msOnlyParams') or [])
    missing = [n for n in wanted if n not in names]
    # a state_dict entry the entry says MindSpore has no place for (num_batches_tracked) must indeed be no Parameter
    present = [b for b in rule.get('torchOnlyBuffers') or [] if any(n == b or n.endswith('.' + b) for n in names)]
    note = f'MindSpore {cls} has {sorted(names)}' + (f'; the entry names {missing}, which it lacks' if missing else '') + \
        (f'; the entry says it has no {present}, but it has' if present else '')
    report.record(f"mapping params {rule['torch']} -> {rule['ms']}", 'mapping params', not missing and not present, note=note)
    assert not missing and not present, note
