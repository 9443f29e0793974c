/** JUnit XML: suites per model, cases per output and layer, failures with the figures, errors, escaping, counts. */
import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJunit, xmlAttr, xmlText } from '../../src/cli/reporters/junit.js';
import { check } from '../../src/check.js';
import { erroring, failing, layers, output, passing, result, unsupported } from '../helpers/results.js';
import type { ModelRun } from '../../src/cli/reporters/verdict.js';

type Node = Record<string, unknown>;
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function parse(xml: string): { root: Node; suites: Node[] } {
  const valid = XMLValidator.validate(xml);
  expect(valid, JSON.stringify(valid)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, trimValues: false, textNodeName: '#text', htmlEntities: true }).parse(xml) as Node;
  const root = doc.testsuites as Node;
  return { root, suites: arr(root.testsuite as Node | Node[]) };
}
const cases = (s: Node) => arr(s.testcase as Node | Node[]);

describe('renderJunit', () => {
  it('one suite per model, one case per output, counts and times on suites and root', () => {
    const { root, suites } = parse(renderJunit([passing('models/a.onnx', 1234), failing('models/b.onnx', 500)]));
    expect(root).toMatchObject({ name: 'msport check', tests: '3', failures: '1', errors: '0', skipped: '0', time: '1.734' });
    expect(suites.map(s => [s.name, s.tests, s.failures, s.errors, s.time])).toEqual([['models/a.onnx', '1', '0', '0', '1.234'], ['models/b.onnx', '2', '1', '0', '0.500']]);
    const [logits, aux] = cases(suites[1]!);
    expect(logits).toMatchObject({ name: 'logits', classname: 'outputs', file: 'models/b.onnx' });
    expect(aux!.failure).toBeUndefined();
    const f = logits!.failure as Node;
    expect(f.type).toBe('parity');
    expect(f.message).toBe('max abs diff 0.003, max rel diff 0.5, 4/10 mismatched (atol=0.0001, rtol=0.001), worst at [0, 3]: reference 1.25 vs msport 1.253');
    expect(f['#text']).toContain('mismatched: 4/10');
    expect(f['#text']).toContain('tolerance: |msport - reference| <= atol + rtol*|reference|, atol=0.0001, rtol=0.001');
    const props = arr((suites[1]!.properties as Node).property as Node[]).map(p => [p.name, p.value]);
    expect(props).toEqual(expect.arrayContaining([['atol', '0.0001'], ['rtol', '0.001'], ['seed', '0'], ['input.input', 'float32 (1, 3, 8, 8) from random(seed=0)']]));
  });

  it('a shape mismatch is a failure of type shape with the message', () => {
    const run: ModelRun = { model: 'm.onnx', ms: 1, result: result('m.onnx', [output('y', { passed: false, error: 'shape mismatch: reference (1, 10) vs msport (1, 11)', maxAbsDiff: Infinity })]) };
    const f = cases(parse(renderJunit([run])).suites[0]!)[0]!.failure as Node;
    expect(f).toMatchObject({ type: 'shape', message: 'shape mismatch: reference (1, 10) vs msport (1, 11)' });
    expect(f['#text']).toContain('max abs diff: inf');
  });

  it('unreadable models and unsupported operators are <error>s with the code', () => {
    const { root, suites } = parse(renderJunit([erroring('c.onnx'), unsupported('d.onnx')]));
    expect(root).toMatchObject({ tests: '2', failures: '0', errors: '2' });
    const e1 = cases(suites[0]!)[0]!;
    expect(e1).toMatchObject({ name: 'check', classname: 'model' });
    expect(e1.error).toMatchObject({ type: 'MSPORT_BAD_MODEL', message: 'c.onnx: not a readable ONNX model (index out of range)' });
    const e2 = cases(suites[1]!)[0]!.error as Node;
    expect(e2.type).toBe('MSPORT_UNSUPPORTED_OP');
    expect(e2['#text']).toContain('Det (opset 13) x2, e.g. /Det_0');
  });

  it('layers: one case each (classname layers, scopes left out); the source fails, inherited error is a note', () => {
    const rep = layers([{ name: 'layer1' , kind: 'scope', passed: false }, { name: 'layer1.0', introducesError: true, passed: false }, { name: 'layer1.1', passed: false }, { name: 'fc' }], 'layer1.0');
    const run: ModelRun = { model: 'm.onnx', ms: 10, result: result('m.onnx', [output('y', { passed: false })], { layers: rep }) };
    const { suites } = parse(renderJunit([run]));
    const cs = cases(suites[0]!);
    expect(cs.map(c => [c.classname, c.name])).toEqual([['outputs', 'y'], ['layers', 'layer1.0'], ['layers', 'layer1.1'], ['layers', 'fc']]);
    expect((cs[1]!.failure as Node).type).toBe('layer');
    expect((cs[1]!.failure as Node).message).toMatch(/^layer1\.0 introduces error: chained max abs diff 0\.01.*local \(on reference inputs\) max abs diff 0\.01, 7\/256 mismatched/);
    expect(cs[2]!.failure).toBeUndefined();
    expect(cs[2]!['system-out']).toMatch(/^inherits upstream error/);
    expect(suites[0]).toMatchObject({ tests: '4', failures: '2' });
  });

  it('classname "model" mode names the model, for reporters that group by classname only', () => {
    const run: ModelRun = { model: 'm.onnx', ms: 10, result: result('m.onnx', [output('y')], { layers: layers([{ name: 'fc' }]) }) };
    const cs = cases(parse(renderJunit([run, erroring('c.onnx')], { classname: 'model' })).suites[0]!);
    expect(cs.map(c => c.classname)).toEqual(['m.onnx', 'm.onnx/layers']);
  });

  it('skipOutputs and expectFail: skipped cases with reasons; a stale expectFail is a failure', () => {
    const skip: ModelRun = { ...failing('s.onnx'), skipOutputs: { logits: 'train-only head' } };
    const xfail: ModelRun = { ...failing('x.onnx'), expectFail: 'GroupNorm eps (#12)' };
    const xpass: ModelRun = { ...passing('p.onnx'), expectFail: 'fixed already?' };
    const { root, suites } = parse(renderJunit([skip, xfail, xpass]));
    expect(root).toMatchObject({ tests: '6', failures: '1', skipped: '2', errors: '0' });
    expect((cases(suites[0]!)[0]!.skipped as Node).message).toBe('skipped by config: train-only head');
    expect((cases(suites[1]!)[0]!.skipped as Node).message).toMatch(/^expected failure \(GroupNorm eps \(#12\)\): max abs diff 0\.003/);
    const stale = cases(suites[2]!)[1]!;
    expect(stale).toMatchObject({ name: 'expectFail', classname: 'model' });
    expect((stale.failure as Node).message).toBe('the model passes but is marked expectFail (fixed already?); remove the mark');
  });

  it('preflight problems fail the model even when every output passes', () => {
    const run: ModelRun = { model: 'w.onnx', ms: 1, result: result('w.onnx', [output('y')], { passed: false, problems: [{ kind: 'unloaded-parameter', name: 'fc.bias', message: 'fc.bias was not loaded from the model' }] } as never) };
    const cs = cases(parse(renderJunit([run])).suites[0]!);
    expect(cs.map(c => c.name)).toEqual(['y', 'preflight']);
    expect((cs[1]!.failure as Node).message).toBe('fc.bias was not loaded from the model');
  });

  it('escapes markup, quotes, whitespace in attributes, and characters XML 1.0 cannot hold', () => {
    const nasty = `a<b>&"c" 'd'\n\te\u0001f\u001bg\ud800h\uffffi😀`;
    const run: ModelRun = { model: `models/${nasty}.onnx`, ms: 1, error: { code: 'MSPORT_BAD_MODEL', message: `bad ]]> ${nasty}\nsecond line`, exitCode: 2 } };
    const xml = renderJunit([run, { model: 'x.onnx', ms: 1, result: result('x.onnx', [output(nasty, { passed: false })]) }]);
    const { suites } = parse(xml);
    expect(suites[0]!.name).toBe(`models/a<b>&"c" 'd'\n\te\\u{1}f\\u{1b}g\\u{d800}h\\u{ffff}i😀.onnx`);
    const err = cases(suites[0]!)[0]!.error as Node;
    expect(err.message).toBe(`bad ]]> a<b>&"c" 'd'`); // the first line; the whole message is the body
    expect(err['#text']).toBe(`bad ]]> a<b>&"c" 'd'\n\te\\u{1}f\\u{1b}g\\u{d800}h\\u{ffff}i😀\nsecond line`);
    expect(cases(suites[1]!)[0]!.name).toBe(`a<b>&"c" 'd'\n\te\\u{1}f\\u{1b}g\\u{d800}h\\u{ffff}i😀`);
    expect(xmlText('<&>')).toBe('&lt;&amp;&gt;');
    expect(xmlAttr('"\'\n\r\t')).toBe('&quot;&apos;&#10;&#13;&#9;');
  });

  it('no models: an empty, valid document', () => {
    const { root, suites } = parse(renderJunit([]));
    expect(root).toMatchObject({ tests: '0', failures: '0', errors: '0', time: '0.000' });
    expect(suites).toEqual([]);
  });

  it('renders a real check with layers', async () => {
    const r = await check('fixtures/models/seed_cnn.bn.onnx', { atol: 1e-4, rtol: 1e-3, seed: 0, layers: true });
    const { suites } = parse(renderJunit([{ model: r.model, result: r, ms: 50 }], { timestamp: new Date('2026-01-02T03:04:05.678Z') }));
    expect(suites[0]).toMatchObject({ name: 'fixtures/models/seed_cnn.bn.onnx', timestamp: '2026-01-02T03:04:05', failures: '0', errors: '0' });
    const cs = cases(suites[0]!);
    expect(cs[0]).toMatchObject({ name: 'output', classname: 'outputs' });
    expect(cs.filter(c => c.classname === 'layers').map(c => c.name)).toEqual(r.layers!.layers.filter(l => l.kind !== 'scope').map(l => l.name));
  });
});
