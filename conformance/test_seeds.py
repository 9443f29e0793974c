"""Case family 5: the seed documents' examples run in MindSpore 2.10 (seed_programs.py) must print exactly what
test/seeds/golden.json holds — the file msport's seed tests read. CONFORMANCE_UPDATE_GOLDENS=1 rewrites it from
MindSpore (then review the diff: each change is a place where 2.10 prints something other than the seed)."""
import json
import os

import pytest

import seed_programs
from msbridge import report

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'test', 'seeds', 'golden.json')


def load():
    with open(GOLDEN, encoding='utf-8') as f:
        return json.load(f)


@pytest.fixture(scope='module')
def golden():
    if os.environ.get('CONFORMANCE_UPDATE_GOLDENS') == '1':
        data = {'_': 'What MindSpore 2.10 prints for the seed examples (conformance/seed_programs.py); read by test/seeds.'}
        data.update({k: {'source': src, 'value': f()} for k, (f, src) in seed_programs.PROGRAMS.items()})
        tmp = GOLDEN + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write('\n')
        os.replace(tmp, GOLDEN)
    return load()


def test_every_golden_has_a_program(golden):
    keys = {k for k in golden if k != '_'}
    assert keys == set(seed_programs.PROGRAMS), f'golden.json and seed_programs.py differ: {keys ^ set(seed_programs.PROGRAMS)}'


@pytest.mark.parametrize('key', sorted(seed_programs.PROGRAMS))
def test_seed_example(golden, key):
    f, src = seed_programs.PROGRAMS[key]
    got = f()
    want = golden.get(key, {}).get('value')
    ok = got == want
    report.record(f'seed {key}', 'seed output', ok, note=src if ok else f'MindSpore 2.10 prints {got!r}; golden.json holds {want!r}')
    assert ok, f'{src}\nMindSpore 2.10: {got!r}\ngolden.json:    {want!r}'
