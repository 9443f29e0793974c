/**
 * GitHub Actions output: workflow-command annotations on failing models (shown on the run and in the PR's file view)
 * and a markdown job summary appended to `$GITHUB_STEP_SUMMARY`.
 *
 * Escaping follows the runner's workflow-command parser: the message (data) escapes `%`, `\r`, `\n`
 * (`%25`, `%0D`, `%0A`); property values (`file`, `title`) escape those and also `:` and `,` (`%3A`, `%2C`), which
 * would otherwise end the property. Escaping `:`/`,` in the message would show up literally, so it is not done.
 */
import { appendFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { UsageError } from '../../errors.js';
import { fmtMs, fmtNum } from '../format.js';
import { describeFailure, modelVerdict, ModelRun, Verdict, worstAbsDiff } from './verdict.js';

/** Workflow-command data (the message). */
export const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Workflow-command property value (`file=`, `title=`). */
export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

type Env = Record<string, string | undefined>;

export const inGithubActions = (env: Env = process.env): boolean => env.GITHUB_ACTIONS === 'true';

/** The path GitHub can attach an annotation to: relative to the workspace, with forward slashes. */
function annotationFile(model: string, env: Env): string {
  const ws = env.GITHUB_WORKSPACE;
  let p = model;
  if (ws && isAbsolute(model)) {
    const rel = relative(ws, model);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) p = rel;
  }
  return p.split(sep).join('/');
}

function annotationMessage(run: ModelRun): string {
  const v = modelVerdict(run);
  if (run.error) {
    const ops = run.error.unsupported?.map(o => `${o.domain ? `${o.domain}::` : ''}${o.opType} (opset ${o.opset}) x${o.count}`) ?? [];
    return ops.length ? `${run.model}: unsupported operators:\n${ops.join('\n')}` : `${run.model}: ${run.error.message} [${run.error.code}, exit ${run.error.exitCode}]`;
  }
  if (v.verdict === 'xpass') return `${run.model} passes but is marked expectFail in the msport config (${run.expectFail}); remove the mark`;
  const r = run.result!;
  const lines = [v.failing.length
    ? `${run.model}: parity fails for ${v.failing.length}/${r.outputs.length} output${r.outputs.length === 1 ? '' : 's'}`
    : `${run.model}: the check fails before values are compared`];
  for (const p of v.problems) lines.push(p.message);
  for (const o of v.failing) lines.push(`${o.name}: ${describeFailure(o, r, fmtNum)}`);
  if (r.layers?.firstDivergence) lines.push(`first divergence: ${r.layers.firstDivergence}${r.layers.firstDivergenceCause === 'accumulated' ? ' (accumulated)' : ''}`);
  return lines.join('\n');
}

/**
 * `::error file=<model>,title=msport parity::<message>` for every model that fails the gate (fail, xpass, error);
 * `::notice` for known failures (expectFail). Empty unless `GITHUB_ACTIONS=true`.
 */
export function githubAnnotations(results: ModelRun[], env: Env = process.env): string[] {
  if (!inGithubActions(env)) return [];
  const out: string[] = [];
  for (const run of results) {
    const v = modelVerdict(run);
    if (v.verdict === 'pass') continue;
    const level = v.verdict === 'xfail' ? 'notice' : 'error';
    const title = v.verdict === 'xfail' ? 'msport parity (expected failure)' : 'msport parity';
    const msg = v.verdict === 'xfail' ? `${run.model} fails as expected (${run.expectFail})` : annotationMessage(run);
    out.push(`::${level} file=${escapeProperty(annotationFile(run.model, env))},title=${escapeProperty(title)}::${escapeData(msg)}`);
  }
  return out;
}

const ICON: Record<Verdict, string> = { pass: '✅ pass', fail: '❌ FAIL', xfail: '☑️ expected failure', xpass: '❌ XPASS (stale expectFail)', error: '⚠️ ERROR' };

/** A table cell: no line breaks, `|` escaped, and HTML-significant characters neutralised. */
const cell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
const code = (s: string): string => `<code>${cell(s)}</code>`;

/** Markdown for the job summary: totals, one row per model, and the failures spelled out. */
export function stepSummary(results: ModelRun[]): string {
  const vs = results.map(r => ({ run: r, v: modelVerdict(r) }));
  const n = (k: Verdict) => vs.filter(x => x.v.verdict === k).length;
  const totals = [`${n('pass')} passed`, `${n('fail') + n('xpass')} failed`, `${n('error')} errors`, ...(n('xfail') ? [`${n('xfail')} expected failures`] : [])];
  const lines = ['### msport parity', '', `${results.length} model${results.length === 1 ? '' : 's'}: ${totals.join(', ')}`, ''];
  if (results.length) {
    lines.push('| model | outputs | max abs diff | verdict | time |', '|---|---|---|---|---|');
    for (const { run, v } of vs) {
      const outs = run.result ? `${run.result.outputs.length - v.failing.length}/${run.result.outputs.length}` : '-';
      const worst = worstAbsDiff(run);
      const verdict = v.verdict === 'error' ? `${ICON.error} (${run.error?.code ?? 'MSPORT_INTERNAL'})` : ICON[v.verdict];
      lines.push(`| ${code(run.model)} | ${outs} | ${worst === null ? '-' : fmtNum(worst)} | ${verdict} | ${fmtMs(run.ms)} |`);
    }
  }
  const bad = vs.filter(x => x.v.verdict === 'fail' || x.v.verdict === 'xpass' || x.v.verdict === 'error');
  if (bad.length) {
    lines.push('', '#### Failures', '');
    for (const { run } of bad) {
      const [head, ...rest] = annotationMessage(run).split('\n');
      lines.push(`- ${cell(head!)}`, ...rest.map(l => `  - ${cell(l)}`));
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Append `stepSummary(results)` to the file named by `GITHUB_STEP_SUMMARY`; returns that path, or null when the
 * variable is not set. Throws a UsageError (one line) when the file cannot be written.
 */
export function appendStepSummary(results: ModelRun[], env: Env = process.env): string | null {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return null;
  try { appendFileSync(path, stepSummary(results) + '\n'); } catch (e) {
    throw new UsageError(`cannot append the job summary to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return path;
}
