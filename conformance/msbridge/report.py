"""Collects each test's measured agreement and writes conformance/RESULTS.md."""
import datetime
import os

ROWS = []


def record(case_id, aspect, ok, m=None, budget=None, note=''):
    m = m or {}
    ROWS.append({'case': case_id, 'aspect': aspect, 'ok': bool(ok), 'bitwise': m.get('bitwise'),
                 'max_ulp': m.get('max_ulp'), 'max_abs': m.get('max_abs'), 'budget': budget, 'note': note})


def budget_text(b):
    if not b:
        return ''
    if b['kind'] == 'exact':
        return 'exact'
    if b['kind'] == 'ulp':
        return f"≤{b['n']} ulp (floor {b.get('floor', 0):.1e})"
    if b['kind'] == 'norm':
        return f"≤{b['n']} ulp of max|ref|"
    return b['kind']


def summary():
    cases = sorted({r['case'] for r in ROWS})
    checks = len(ROWS)
    passed = sum(r['ok'] for r in ROWS)
    bitwise = sum(1 for r in ROWS if r['ok'] and r['bitwise'])
    within = sum(1 for r in ROWS if r['ok'] and r['bitwise'] is False)
    other = passed - bitwise - within
    return {'cases': len(cases), 'checks': checks, 'passed': passed, 'failed': checks - passed,
            'bitwise': bitwise, 'within_budget': within, 'exact_text': other}


def write(path, versions):
    s = summary()
    lines = ['# Conformance results: msport against real MindSpore', '',
             f"Written by `npm run conformance` on {datetime.date.today().isoformat()} ({versions}).", '',
             f"{s['cases']} cases, {s['checks']} checks: {s['passed']} agree, {s['failed']} disagree. Of the agreeing "
             f"tensor checks {s['bitwise']} are bit for bit and {s['within_budget']} within their budget; "
             f"{s['exact_text']} are names, reprs, shapes and other exact facts.", '',
             'Budgets are explained in `conformance/cases.py`; `max ulp` is the largest distance between the two '
             'float32 results in units in the last place, `max abs` the largest absolute difference.', '',
             '| case | check | result | bitwise | max ulp | max abs | budget | note |', '|---|---|---|---|---|---|---|---|']
    for r in sorted(ROWS, key=lambda r: (r['case'], r['aspect'])):
        bw = '' if r['bitwise'] is None else ('yes' if r['bitwise'] else 'no')
        mu = '' if r['max_ulp'] is None else str(r['max_ulp'])
        ma = '' if r['max_abs'] is None else f"{r['max_abs']:.3g}"
        note = r['note'].replace('|', '\\|').replace('\n', ' ')[:300]
        lines.append(f"| `{r['case']}` | {r['aspect']} | {'agree' if r['ok'] else '**DISAGREE**'} | {bw} | {mu} | {ma} | "
                     f"{budget_text(r['budget'])} | {note} |")
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.replace(tmp, path)
    return s
