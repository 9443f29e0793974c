/** Multi-model summary table and the exit code of a run over several models. */
import { describe, expect, it, beforeAll } from 'vitest';
import chalk from 'chalk';
import { renderSummary, worstExitCode } from '../../src/cli/reporters/summary.js';
import { modelVerdict, runError } from '../../src/cli/reporters/verdict.js';
import { erroring, failing, passing, unsupported } from '../helpers/results.js';
import { ModelLoadError, UnsupportedOpsError, UsageError } from '../../src/errors.js';

beforeAll(() => { chalk.level = 0; });

describe('worstExitCode', () => {
  it('orders by severity 4 > 3 > 2 > 1 > 0', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 0])).toBe(0);
    expect(worstExitCode([0, 1, 0])).toBe(1);
    expect(worstExitCode([1, 2, 1])).toBe(2);
    expect(worstExitCode([2, 3, 1])).toBe(3);
    expect(worstExitCode([3, 4, 0])).toBe(4);
    expect(worstExitCode(new Set([1, 0]))).toBe(1);
  });
  it('an undocumented code counts as internal (4)', () => {
    expect(worstExitCode([0, 7])).toBe(4);
    expect(worstExitCode([-1])).toBe(4);
    expect(worstExitCode([NaN, 1])).toBe(4);
  });
});

describe('modelVerdict / runError', () => {
  it('exit codes per verdict', () => {
    expect(modelVerdict(passing())).toMatchObject({ verdict: 'pass', exitCode: 0 });
    expect(modelVerdict(failing())).toMatchObject({ verdict: 'fail', exitCode: 1 });
    expect(modelVerdict({ ...failing(), expectFail: 'x' })).toMatchObject({ verdict: 'xfail', exitCode: 0 });
    expect(modelVerdict({ ...passing(), expectFail: 'x' })).toMatchObject({ verdict: 'xpass', exitCode: 1 });
    expect(modelVerdict(erroring())).toMatchObject({ verdict: 'error', exitCode: 2 });
    expect(modelVerdict(unsupported())).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(modelVerdict({ model: 'm', ms: 0 })).toMatchObject({ verdict: 'error', exitCode: 4 });
    const v = modelVerdict({ ...failing(), skipOutputs: new Map([['logits', 'r'], ['nosuch', 'typo']]) });
    expect(v).toMatchObject({ verdict: 'pass', exitCode: 0, skipped: [{ name: 'logits', reason: 'r' }], unknownSkips: ['nosuch'] });
  });

  it('runError mirrors the CLI error payload', () => {
    expect(runError(new ModelLoadError('bad'))).toEqual({ code: 'MSPORT_BAD_MODEL', message: 'bad', exitCode: 2 });
    expect(runError(new UsageError('u'))).toEqual({ code: 'MSPORT_USAGE', message: 'u', exitCode: 2 });
    expect(runError(new UnsupportedOpsError([{ opType: 'Det', domain: '', opset: 13, count: 1, nodes: ['n'] }]))).toMatchObject({ code: 'MSPORT_UNSUPPORTED_OP', exitCode: 3, unsupported: [{ opType: 'Det' }] });
    expect(runError(new RangeError('Invalid typed array length: -4\n    at x'))).toEqual({ code: 'MSPORT_INTERNAL', message: 'Invalid typed array length: -4', exitCode: 4 });
  });
});

describe('renderSummary', () => {
  it('one row per model and a totals line with the exit code', () => {
    const text = renderSummary([passing('models/a.onnx', 1500), failing('models/b.onnx'), erroring('models/c.onnx'), { ...failing('models/x.onnx'), expectFail: 'known' }]);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/model.*outputs.*max abs diff.*verdict.*time/);
    expect(text).toMatch(/models\/a\.onnx\s*│\s*1\/1\s*│\s*1\.00e-7\s*│\s*PASS\s*│\s*1\.50 s/);
    expect(text).toMatch(/models\/b\.onnx\s*│\s*1\/2\s*│\s*0\.003\s*│\s*FAIL\s*│\s*340\.0 ms/);
    expect(text).toMatch(/models\/c\.onnx\s*│\s*-\s*│\s*-\s*│\s*ERROR \(exit 2: models\/c\.onnx: not a readable ONNX model/);
    expect(text).toMatch(/models\/x\.onnx\s*│\s*1\/2\s*│\s*0\.003\s*│\s*XFAIL \(expected\)/);
    expect(lines.at(-1)).toBe('FAIL 4 models: 1 passed, 1 failed, 1 error, 1 expected failure in 2.19 s (exit 2)');
    expect(renderSummary([passing()]).split('\n').at(-1)).toBe('PASS 1 model: 1 passed, 0 failed, 0 errors in 120.0 ms (exit 0)');
  });
});

describe('renderSummary totals', () => {
  it('uses the wall time when given', () => {
    expect(renderSummary([passing(), passing('b.onnx')], { totalMs: 99 }).split('\n').at(-1)).toBe('PASS 2 models: 2 passed, 0 failed, 0 errors in 99.0 ms (exit 0)');
  });
});

describe('modelVerdict: what fails a check besides outputs', () => {
  it('baseline regressions and blocking problems fail; an unused initializer does not', async () => {
    const { result, output } = await import('../helpers/results.js');
    const reg = { model: 'r.onnx', ms: 1, result: result('r.onnx', [output('y')], { passed: false, regressions: [{ what: 'output', name: 'y', baseline: 1e-7, now: 1e-5, factor: 2 }] } as never) };
    expect(modelVerdict(reg)).toMatchObject({ verdict: 'fail', problems: [{ kind: 'regression', message: 'output y: max abs diff 0.00001 vs baseline 1e-7 (allowed growth 2x)' }] });
    const unused = { model: 'u.onnx', ms: 1, result: result('u.onnx', [output('y')], { problems: [{ kind: 'unused-initializer', name: 'w', message: 'initializer w is not used' }] } as never) };
    expect(modelVerdict(unused)).toMatchObject({ verdict: 'pass', problems: [] });
    const other = { model: 'o.onnx', ms: 1, result: result('o.onnx', [output('y')], { passed: false } as never) };
    expect(modelVerdict(other).verdict).toBe('fail');
  });
});
