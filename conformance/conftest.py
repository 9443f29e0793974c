"""Session setup: write every case, run MindSpore on it, then run msport's side once over all of them."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

os.environ.setdefault('GLOG_v', '3')  # MindSpore's C++ log: errors only

import mindspore as ms  # noqa: E402

ms.set_device('CPU')
ms.set_context(mode=ms.PYNATIVE_MODE)

from msbridge import exchange, report  # noqa: E402
import cases as case_defs  # noqa: E402

ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, '.work', 'cases')


@pytest.fixture(scope='session')
def work():
    if os.path.exists(WORK):
        for dirpath, _, files in os.walk(WORK):  # msport and MindSpore leave written checkpoints read-only
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o600)
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    prepared = {spec['id']: exchange.prepare(WORK, spec) for spec in case_defs.CASES}
    cli = os.path.join(ROOT, 'dist', 'bridge', 'cli.js')
    if not os.path.exists(cli):
        pytest.exit('dist/bridge/cli.js is missing: run `npm run build` first', returncode=2)
    subprocess.run(['node', cli, 'run', WORK], check=True)
    return prepared


def pytest_collection_modifyitems(config, items):
    from known import KNOWN
    seen = set()
    for item in items:
        reason = KNOWN.get(item.name)
        if reason:
            seen.add(item.name)
            item.add_marker(pytest.mark.xfail(strict=True, reason=f'known msport disagreement: {reason}'))
    stale = set(KNOWN) - seen
    if stale and not config.getoption('keyword') and not config.args[1:]:
        raise pytest.UsageError(f'known.py lists tests that do not exist: {sorted(stale)}')


def pytest_sessionfinish(session, exitstatus):
    # the 600 MB checkpoint cases leave ~4 GB in .work: files over 64 MiB go unless CONFORMANCE_KEEP_WORK=1
    if os.environ.get('CONFORMANCE_KEEP_WORK') != '1' and os.path.exists(WORK):
        for dirpath, _, files in os.walk(WORK):
            for f in files:
                p = os.path.join(dirpath, f)
                if os.path.getsize(p) > 64 * 2 ** 20:
                    os.chmod(p, 0o600)
                    os.remove(p)
    if os.environ.get('CONFORMANCE_WRITE_RESULTS') == '1' and report.ROWS:
        versions = f'mindspore {ms.__version__}, Python {sys.version.split()[0]}, CPU'
        s = report.write(os.path.join(HERE, 'RESULTS.md'), versions)
        session.config._conformance_summary = s


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not report.ROWS:
        return
    s = report.summary()
    tr = terminalreporter
    tr.section('conformance against MindSpore ' + ms.__version__)
    by_aspect = {}
    for r in report.ROWS:
        a = by_aspect.setdefault(r['aspect'], [0, 0, 0])
        a[0] += 1
        a[1] += r['ok']
        a[2] += bool(r['ok'] and r['bitwise'])
    tr.write_line(f"{'check':<26}{'total':>7}{'agree':>7}{'bitwise':>9}")
    for k in sorted(by_aspect):
        t, ok, bw = by_aspect[k]
        tr.write_line(f'{k:<26}{t:>7}{ok:>7}{bw:>9}')
    tr.write_line(f"{s['cases']} cases, {s['checks']} checks: {s['passed']} agree ({s['bitwise']} bitwise, "
                  f"{s['within_budget']} within budget), {s['failed']} disagree")
