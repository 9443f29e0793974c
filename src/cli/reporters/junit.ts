/**
 * JUnit XML for CI test reporters: one `<testsuite>` per model, one `<testcase>` per model output (classname
 * `outputs`), and one per layer when the check compared layers (classname `layers`; scope roll-ups are left out).
 *
 * - an output out of tolerance: `<failure type="parity">` whose message carries max abs/rel diff, mismatches and the
 *   tolerance; a shape difference: `<failure type="shape">`;
 * - a layer fails where parity breaks (it introduces error, or is the first divergence); layers that only inherit
 *   upstream error pass with a note in `<system-out>`;
 * - an output in `skipOutputs`: `<skipped>` with the reason; a failing model marked `expectFail`: its failures become
 *   `<skipped>` ("expected failure: ..."), and a passing one gets an extra failing testcase `expectFail`;
 * - problems found before values were compared (unloaded parameters, train phase): a failing testcase `preflight`;
 * - a model that could not be checked (unreadable, unsupported operators, internal error): one testcase `check` with
 *   `<error type="MSPORT_...">`.
 * Every count (`tests`, `failures`, `errors`, `skipped`) and `time` (seconds) is on each suite and on `<testsuites>`.
 */
import type { CheckResult } from '../../check.js';
import type { LayerComparison, LayerReport } from '../../compare/layers.js';
import { fmtNum } from '../format.js';
import { describeFailure, modelVerdict, ModelRun, toleranceOf } from './verdict.js';

export interface JunitOptions {
  /** `<testsuites name>`; default `msport check` */
  name?: string;
  /** adds `timestamp` to every suite */
  timestamp?: Date;
  /**
   * `kind` (default): classname `outputs` / `layers` / `model`. `model`: classname is the model path (and
   * `<model>/layers`), for reporters that group by classname only and would merge same-named outputs of different models.
   */
  classname?: 'kind' | 'model';
}

// XML 1.0 allows tab, LF, CR and these ranges; anything else (other controls, lone surrogates, U+FFFE/U+FFFF) is
// written as a visible \u{...} escape instead, so the document always parses.
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const visible = (s: string): string => s.replace(INVALID_XML, c => `\\u{${c.codePointAt(0)!.toString(16)}}`);

/** Escape text content. */
export const xmlText = (s: string): string => visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Escape an attribute value (quotes, and whitespace that attribute normalization would otherwise fold). */
export const xmlAttr = (s: string): string =>
  xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');

const secs = (ms: number): string => (Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0.000');

const attrs = (a: Record<string, string | number | undefined>): string =>
  Object.entries(a).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`).join('');

interface Case { name: string; classname: string; time: number; file: string; body: string; kind: 'pass' | 'failure' | 'error' | 'skipped' }

function el(tag: string, a: Record<string, string | number | undefined>, text?: string): string {
  return text === undefined || text === '' ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${xmlText(text)}</${tag}>`;
}

function outputDetails(o: CheckResult['outputs'][number], r: CheckResult): string {
  const tol = toleranceOf(o, r);
  return [
    `output ${o.name}: reference shape (${o.referenceShape.join(', ')}), msport shape (${o.shape.join(', ')}), ${o.dtype}`,
    `max abs diff: ${fmtNum(o.maxAbsDiff)}`,
    `max rel diff: ${fmtNum(o.maxRelDiff)}`,
    `mean abs diff: ${fmtNum(o.meanAbsDiff)}`,
    `mismatched: ${o.mismatches}/${o.size}`,
    `tolerance: |msport - reference| <= atol + rtol*|reference|, atol=${tol.atol}, rtol=${tol.rtol}`,
    o.worstIndex ? `worst element [${o.worstIndex.join(', ')}]: reference ${fmtNum(o.reference)}, msport ${fmtNum(o.actual)}` : '',
    o.error ? `error: ${o.error}` : '',
    `inputs: ${r.inputs.map(i => `${i.name} ${i.dtype} (${i.shape.join(', ')}) from ${i.source}`).join('; ')}`,
  ].filter(Boolean).join('\n');
}

function layerCase(l: LayerComparison, rep: LayerReport, r: CheckResult): { kind: Case['kind']; body: string; message?: string } {
  const chained = `chained max abs diff ${fmtNum(l.maxAbsDiff)}, max rel diff ${fmtNum(l.maxRelDiff)}, ${l.mismatches}/${l.size} mismatched`;
  const local = l.local ? `local (on reference inputs) max abs diff ${fmtNum(l.local.maxAbsDiff)}, ${l.local.mismatches}/${l.local.size} mismatched` : 'no local comparison';
  const details = [`${l.api}${l.torchApi ? ` (from ${l.torchApi})` : ''}${l.node ? `, ONNX node ${l.node}` : ''}, shape (${l.shape.join(', ')})`,
    chained, local, `tolerance: atol=${r.atol}, rtol=${r.rtol}`, l.error ? `error: ${l.error}` : ''].filter(Boolean).join('\n');
  const source = l.introducesError || rep.firstDivergence === l.name;
  if (source) {
    const why = l.introducesError ? 'introduces error' : 'first divergence (error accumulated upstream)';
    return { kind: 'failure', body: details, message: `${l.name} ${why}: ${chained}; ${local} (atol=${r.atol}, rtol=${r.rtol})` };
  }
  return { kind: 'pass', body: l.passed ? '' : `inherits upstream error: ${chained}` };
}

function suite(run: ModelRun, opts: JunitOptions): { xml: string; tests: number; failures: number; errors: number; skipped: number } {
  const v = modelVerdict(run);
  const cls = (kind: 'outputs' | 'layers' | 'model') => (opts.classname === 'model' ? (kind === 'layers' ? `${run.model}/layers` : run.model) : kind);
  const cases: string[] = [];
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const add = (name: string, classname: string, time: number, inner: string, kind: Case['kind']) => {
    counts.tests++;
    if (kind === 'failure') counts.failures++;
    else if (kind === 'error') counts.errors++;
    else if (kind === 'skipped') counts.skipped++;
    const open = `<testcase${attrs({ name, classname, time: secs(time), file: run.model })}`;
    cases.push(inner ? `${open}>\n      ${inner}\n    </testcase>` : `${open}/>`);
  };
  const props: [string, string][] = [];
  if (run.error) {
    const e = run.error;
    const body = [e.message, ...(e.unsupported ?? []).map(o => `${o.domain ? `${o.domain}::` : ''}${o.opType} (opset ${o.opset}) x${o.count}, e.g. ${o.nodes[0] ?? '?'}`)].join('\n');
    add('check', cls('model'), run.ms, el('error', { message: e.message.split('\n')[0], type: e.code }, body), 'error');
    props.push(['exitCode', String(e.exitCode)]);
  } else if (run.result) {
    const r = run.result;
    props.push(['atol', String(r.atol)], ['rtol', String(r.rtol)], ['seed', String(r.seed)]);
    if (r.localized) props.push(['localized', r.localized.cause], ...(r.localized.layer ? [['firstDivergence', r.localized.layer] as [string, string]] : []));
    if (r.noiseAccepted) props.push(['noiseAccepted', 'true']);
    for (const i of r.inputs) props.push([`input.${i.name}`, `${i.dtype} (${i.shape.join(', ')}) from ${i.source}`]);
    if (run.expectFail) props.push(['expectFail', run.expectFail]);
    const skipped = new Map(v.skipped.map(s => [s.name, s.reason]));
    const outputMs = (run.ms - (r.timings.layersMs ?? 0)) / Math.max(1, r.outputs.length);
    for (const o of r.outputs) {
      let inner = '', kind: Case['kind'] = 'pass';
      if (skipped.has(o.name)) {
        inner = el('skipped', { message: `skipped by config: ${skipped.get(o.name)}` }, o.passed ? '' : outputDetails(o, r));
        kind = 'skipped';
      } else if (!o.passed && r.noiseAccepted) {
        inner = el('system-out', {}, `accepted as float32 noise (--accept-noise): ${describeFailure(o, r, fmtNum)}; ${r.localized!.message}`);
      } else if (!o.passed) {
        const message = describeFailure(o, r, fmtNum) + (r.localized ? `; ${r.localized.message}` : '');
        if (v.verdict === 'xfail') { inner = el('skipped', { message: `expected failure (${run.expectFail}): ${message}` }, outputDetails(o, r)); kind = 'skipped'; }
        else { inner = el('failure', { message, type: o.error ? 'shape' : 'parity' }, outputDetails(o, r)); kind = 'failure'; }
      }
      add(o.name, cls('outputs'), outputMs, inner, kind);
    }
    if (v.problems.length) {
      const message = v.problems.map(p => p.message).join('; ');
      const inner = v.verdict === 'xfail'
        ? el('skipped', { message: `expected failure (${run.expectFail}): ${message}` }, v.problems.map(p => `${p.kind}: ${p.message}`).join('\n'))
        : el('failure', { message, type: 'preflight' }, v.problems.map(p => `${p.kind}: ${p.message}`).join('\n'));
      add('preflight', cls('model'), 0, inner, v.verdict === 'xfail' ? 'skipped' : 'failure');
    }
    if (r.layers) {
      for (const l of r.layers.layers) {
        if (l.kind === 'scope') continue;
        const c = layerCase(l, r.layers, r);
        let inner = '', kind = c.kind;
        if (c.kind === 'failure') {
          if (v.verdict === 'xfail') { inner = el('skipped', { message: `expected failure (${run.expectFail}): ${c.message}` }, c.body); kind = 'skipped'; }
          else inner = el('failure', { message: c.message, type: 'layer' }, c.body);
        } else if (c.body) inner = el('system-out', {}, c.body);
        add(l.name, cls('layers'), l.ms, inner, kind);
      }
    }
    if (r.portLayers) {
      // --port --layers: one testcase per compared Cell call of the port; the first diverging one fails (with why)
      for (const l of r.portLayers.layers) {
        if (l.passed === null) continue;
        const name = l.call > 1 ? `${l.name} (call ${l.call})` : l.name;
        const first = name === r.portLayers.firstDivergence;
        const message = `${name} (${l.cls}) differs from onnxruntime's ${l.onnx}: max abs diff ${fmtNum(l.maxAbsDiff ?? NaN)}${first && r.portLayers.explanation ? `; ${r.portLayers.explanation.message}` : ''}`;
        const inner = first && v.verdict !== 'xfail' ? el('failure', { message, type: 'port-layer' }) : !l.passed ? el('system-out', {}, message) : '';
        add(name, cls('layers'), 0, inner, first && v.verdict !== 'xfail' ? 'failure' : 'pass');
      }
    }
    if (v.verdict === 'xpass') {
      add('expectFail', cls('model'), 0, el('failure', { message: `the model passes but is marked expectFail (${run.expectFail}); remove the mark`, type: 'xpass' }), 'failure');
    }
  } else {
    add('check', cls('model'), run.ms, el('error', { message: 'no result', type: 'MSPORT_INTERNAL' }), 'error');
  }
  const propXml = props.length ? `\n    <properties>\n${props.map(([n, val]) => `      ${el('property', { name: n, value: val })}`).join('\n')}\n    </properties>` : '';
  const open = `<testsuite${attrs({ name: run.model, tests: counts.tests, failures: counts.failures, errors: counts.errors, skipped: counts.skipped, time: secs(run.ms), timestamp: opts.timestamp?.toISOString().replace(/\.\d{3}Z$/, '') })}>`;
  return { xml: `  ${open}${propXml}\n${cases.map(c => `    ${c}`).join('\n')}\n  </testsuite>`, ...counts };
}

export function renderJunit(results: ModelRun[], opts: JunitOptions = {}): string {
  const suites = results.map(r => suite(r, opts));
  const sum = (k: 'tests' | 'failures' | 'errors' | 'skipped') => suites.reduce((s, x) => s + x[k], 0);
  const time = results.reduce((s, r) => s + (Number.isFinite(r.ms) ? r.ms : 0), 0);
  const head = `<testsuites${attrs({ name: opts.name ?? 'msport check', tests: sum('tests'), failures: sum('failures'), errors: sum('errors'), skipped: sum('skipped'), time: secs(time) })}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}\n${suites.map(s => s.xml).join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
}
