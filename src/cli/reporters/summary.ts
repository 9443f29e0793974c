/** The multi-model summary: one row per model, a totals line, and the exit code of the whole run. */
import chalk from 'chalk';
import Table from 'cli-table3';
import { fmtMs, fmtNum, tableStyle } from '../format.js';
import { modelVerdict, ModelRun, Verdict, worstAbsDiff } from './verdict.js';

/**
 * Exit codes by severity, worst first: 4 (internal error) > 3 (unsupported operators) > 2 (usage error / unreadable
 * model or input) > 1 (parity fails) > 0 (parity holds). A run over several models exits with the worst code of any
 * model, so a crash is never hidden behind a mismatch and a mismatch never behind a pass. A code outside 0–4 counts
 * as 4 (something went wrong that msport does not describe). No codes → 0.
 */
export const EXIT_SEVERITY: readonly number[] = [4, 3, 2, 1, 0];

export function worstExitCode(codes: Iterable<number>): number {
  let worst = 0;
  for (const c of codes) {
    const k = Number.isInteger(c) && c >= 0 && c <= 4 ? c : 4;
    if (k > worst) worst = k; // severity order coincides with numeric order for 0..4
  }
  return worst;
}

const VERDICT_TEXT: Record<Verdict, (s: string) => string> = {
  pass: s => chalk.green(s), fail: s => chalk.red(s), xfail: s => chalk.yellow(s), xpass: s => chalk.red(s), error: s => chalk.red.bold(s),
};
const VERDICT_LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', xfail: 'XFAIL (expected)', xpass: 'XPASS (stale expectFail)', error: 'ERROR' };

/** Table of models (model, outputs, max abs diff, verdict, time) and a totals line (`totalMs`: wall time; default the sum). */
export function renderSummary(results: ModelRun[], opts: { totalMs?: number } = {}): string {
  const t = new Table({ head: ['model', 'outputs', 'max abs diff', 'verdict', 'time'], style: tableStyle() });
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, xfail: 0, xpass: 0, error: 0 };
  for (const run of results) {
    const v = modelVerdict(run);
    counts[v.verdict]++;
    const outs = run.result ? `${run.result.outputs.length - v.failing.length}/${run.result.outputs.length}` : '-';
    const worst = worstAbsDiff(run);
    let label = VERDICT_LABEL[v.verdict];
    if (v.verdict === 'error') label += ` (exit ${run.error?.exitCode ?? 4}: ${(run.error?.message ?? 'no result').split('\n')[0]})`;
    else if (v.skipped.length) label += ` · ${v.skipped.length} skipped`;
    // where a failure comes from (the per-layer pass the check ran by itself), or that noise was accepted
    if (run.result?.noiseAccepted) label += ' (noise accepted)';
    else if (run.result?.localized && v.verdict !== 'pass') label += run.result.localized.cause === 'accumulated' ? ' · float noise only' : run.result.localized.layer ? ` · at ${run.result.localized.layer}` : '';
    t.push([run.model, outs, worst === null ? '-' : fmtNum(worst), VERDICT_TEXT[v.verdict](label), fmtMs(run.ms)]);
  }
  const total = opts.totalMs ?? results.reduce((s, r) => s + r.ms, 0);
  const code = worstExitCode(results.map(r => modelVerdict(r).exitCode));
  const parts = [`${counts.pass} passed`, `${counts.fail + counts.xpass} failed`, `${counts.error} error${counts.error === 1 ? '' : 's'}`];
  if (counts.xfail) parts.push(`${counts.xfail} expected failure${counts.xfail === 1 ? '' : 's'}`);
  const verdict = code === 0 ? chalk.green.bold('PASS') : chalk.red.bold('FAIL');
  return `${t.toString()}\n${verdict} ${results.length} model${results.length === 1 ? '' : 's'}: ${parts.join(', ')} in ${fmtMs(total)} (exit ${code})`;
}
