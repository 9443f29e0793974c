/** GitHub Actions: annotations on failing models (escaped per the workflow-command rules) and the job summary. */
import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendStepSummary, escapeData, escapeProperty, githubAnnotations, stepSummary } from '../../src/cli/reporters/github.js';
import { erroring, failing, output, passing, result, unsupported } from '../helpers/results.js';
import type { ModelRun } from '../../src/cli/reporters/verdict.js';

const GHA = { GITHUB_ACTIONS: 'true' };
const dir = mkdtempSync(join(tmpdir(), 'msport-gha-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Undo the runner's escaping, as the runner does. */
const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** Parse `::cmd k=v,k=v::data` the way the runner does (split on the first `::` after the properties). */
function parseCommand(line: string): { cmd: string; props: Record<string, string>; data: string } {
  const m = /^::([a-z]+)(?: (.*?))?::(.*)$/s.exec(line)!;
  const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map(kv => { const i = kv.indexOf('='); return [kv.slice(0, i), unescapeProperty(kv.slice(i + 1))]; }));
  return { cmd: m[1]!, props, data: unescapeData(m[3]!) };
}

describe('githubAnnotations', () => {
  it('nothing outside GitHub Actions', () => {
    expect(githubAnnotations([failing()], {})).toEqual([]);
    expect(githubAnnotations([failing()], { GITHUB_ACTIONS: 'false' })).toEqual([]);
  });

  it('one ::error per failing or erroring model, none for passing ones', () => {
    const lines = githubAnnotations([passing(), failing('models/b.onnx'), erroring('models/c.onnx'), unsupported('models/d.onnx')], GHA);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.split('\n')).toHaveLength(1);
    const b = parseCommand(lines[0]!);
    expect(b).toMatchObject({ cmd: 'error', props: { file: 'models/b.onnx', title: 'msport parity' } });
    expect(b.data).toBe('models/b.onnx: parity fails for 1/2 outputs\nlogits: max abs diff 0.003, max rel diff 0.5, 4/10 mismatched (atol=0.0001, rtol=0.001), worst at [0, 3]: reference 1.25 vs msport 1.253');
    expect(lines[0]).toMatch(/^::error file=models\/b\.onnx,title=msport parity::models\/b\.onnx: parity fails for 1\/2 outputs%0Alogits: /);
    expect(parseCommand(lines[1]!).data).toBe('models/c.onnx: models/c.onnx: not a readable ONNX model (index out of range) [MSPORT_BAD_MODEL, exit 2]');
    expect(parseCommand(lines[2]!).data).toBe('models/d.onnx: unsupported operators:\nDet (opset 13) x2');
  });

  it('escapes % CR LF in the message, and also : and , in properties', () => {
    expect(escapeData('100% a:b,c\r\nd')).toBe('100%25 a:b,c%0D%0Ad');
    expect(escapeProperty('100% a:b,c\r\nd')).toBe('100%25 a%3Ab%2Cc%0D%0Ad');
    const model = 'odd,name:100%\n.onnx';
    const [line] = githubAnnotations([erroring(model)], GHA);
    expect(line).toMatch(/^::error file=odd%2Cname%3A100%25%0A\.onnx,title=msport parity::odd,name:100%25%0A\.onnx: /);
    expect(parseCommand(line!).props.file).toBe(model);
  });

  it('absolute model paths become workspace-relative', () => {
    const [line] = githubAnnotations([failing('/home/runner/work/repo/repo/models/b.onnx')], { ...GHA, GITHUB_WORKSPACE: '/home/runner/work/repo/repo' });
    expect(parseCommand(line!).props.file).toBe('models/b.onnx');
  });

  it('expected failures are notices; a stale expectFail is an error', () => {
    const [xfail, xpass] = githubAnnotations([{ ...failing('x.onnx'), expectFail: 'known #7' }, { ...passing('p.onnx'), expectFail: 'known #8' }], GHA);
    expect(parseCommand(xfail!)).toMatchObject({ cmd: 'notice', data: 'x.onnx fails as expected (known #7)' });
    expect(parseCommand(xpass!)).toMatchObject({ cmd: 'error', data: 'p.onnx passes but is marked expectFail in the msport config (known #8); remove the mark' });
  });

  it('skipped outputs do not fail a model; preflight problems do', () => {
    expect(githubAnnotations([{ ...failing(), skipOutputs: { logits: 'train-only' } }], GHA)).toEqual([]);
    const run: ModelRun = { model: 'w.onnx', ms: 1, result: result('w.onnx', [output('y')], { passed: false, problems: [{ kind: 'train-phase', name: 'bn', message: 'bn (BatchNorm2d) is in train phase' }] } as never) };
    expect(parseCommand(githubAnnotations([run], GHA)[0]!).data).toBe('w.onnx: the check fails before values are compared\nbn (BatchNorm2d) is in train phase');
  });
});

describe('stepSummary', () => {
  it('totals, a row per model, failures spelled out, table cells escaped', () => {
    const md = stepSummary([passing('a|b.onnx'), failing('models/b.onnx'), erroring('models/c.onnx')]);
    expect(md).toContain('### msport parity');
    expect(md).toContain('3 models: 1 passed, 1 failed, 1 errors');
    expect(md).toContain('| model | outputs | max abs diff | verdict | time |');
    expect(md).toContain('| <code>a\\|b.onnx</code> | 1/1 | 1e-7 | ✅ pass | 120.0 ms |'.replace('1e-7', '1.00e-7'));
    expect(md).toContain('| <code>models/b.onnx</code> | 1/2 | 0.003 | ❌ FAIL | 340.0 ms |');
    expect(md).toContain('| <code>models/c.onnx</code> | - | - | ⚠️ ERROR (MSPORT_BAD_MODEL) | 5.0 ms |');
    expect(md).toMatch(/#### Failures\n\n- models\/b\.onnx: parity fails for 1\/2 outputs\n  - logits: max abs diff 0\.003/);
  });

  it('appendStepSummary appends to $GITHUB_STEP_SUMMARY, and does nothing without it', () => {
    const file = join(dir, 'summary.md');
    writeFileSync(file, 'earlier step\n');
    expect(appendStepSummary([passing()], {})).toBeNull();
    expect(appendStepSummary([passing()], { GITHUB_STEP_SUMMARY: file })).toBe(file);
    appendStepSummary([failing()], { GITHUB_STEP_SUMMARY: file });
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('earlier step\n### msport parity')).toBe(true);
    expect(text.match(/### msport parity/g)).toHaveLength(2);
    expect(() => appendStepSummary([passing()], { GITHUB_STEP_SUMMARY: join(dir, 'no/such/dir/s.md') })).toThrow(/^cannot append the job summary to .*: ENOENT$/);
  });
});
