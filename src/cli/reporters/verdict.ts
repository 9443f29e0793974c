/**
 * One model's outcome in a multi-model run, shared by the JUnit, GitHub and summary reporters so they always agree
 * with the exit code.
 *
 *   pass   every output within tolerance (outputs listed in `skipOutputs` are left out)      exit 0
 *   fail   an output out of tolerance or of the wrong shape, a blocking preflight             exit 1
 *          problem (unloaded parameter, train phase), or a --baseline regression
 *   xfail  fails, and the config marks the model `expectFail` (a known, explained failure)    exit 0
 *   xpass  passes although marked `expectFail`: the mark is stale; remove it                  exit 1
 *   error  the model or an input cannot be read (2), unsupported operators (3), internal (4)  its exit code
 */
import type { CheckResult } from '../../check.js';
import type { OutputComparison } from '../../compare/comparator.js';
import { MsportError, UnsupportedOp, UnsupportedOpsError } from '../../errors.js';

export interface ModelRunError {
  code: string;
  message: string;
  exitCode: number;
  /** for MSPORT_UNSUPPORTED_OP */
  unsupported?: UnsupportedOp[];
}

export interface ModelRun {
  /** the model path as the user gave it (or as a folder/glob expanded to) */
  model: string;
  result?: CheckResult;
  error?: ModelRunError;
  /** wall time of this model's check */
  ms: number;
  /** outputs left out of the gate, with the reason (`settingsFor(...).skipOutputs`) */
  skipOutputs?: Map<string, string> | Record<string, string>;
  /** the reason the model is expected to fail (`settingsFor(...).expectFail`) */
  expectFail?: string | null;
}

export type Verdict = 'pass' | 'fail' | 'xfail' | 'xpass' | 'error';

export interface ModelVerdict {
  verdict: Verdict;
  exitCode: number;
  /** outputs that fail and are not skipped */
  failing: OutputComparison[];
  /** outputs left out by skipOutputs, with the reason */
  skipped: { name: string; reason: string }[];
  /** skipOutputs names the model has no output for (likely a typo in the config) */
  unknownSkips: string[];
  /** what else fails the check: blocking preflight problems, baseline regressions (see blockingProblems) */
  problems: { kind: string; name: string; message: string }[];
}

const skipMap = (s: ModelRun['skipOutputs']): Map<string, string> => (s instanceof Map ? s : new Map(Object.entries(s ?? {})));

/**
 * What fails a check besides its outputs: blocking preflight problems (check.ts: every problem but an unused
 * initializer) and regressions against a --baseline run.
 */
export function blockingProblems(r: CheckResult): { kind: string; name: string; message: string }[] {
  const extra = r as { problems?: { kind: string; name: string; message: string }[]; regressions?: { what: string; name: string; baseline: number; now: number; factor: number }[] };
  const blocking = (extra.problems ?? []).filter(p => p.kind !== 'unused-initializer');
  for (const g of extra.regressions ?? []) {
    blocking.push({ kind: 'regression', name: g.name, message: `${g.what} ${g.name}: max abs diff ${g.now} vs baseline ${g.baseline} (allowed growth ${g.factor}x)` });
  }
  // the result is the authority: if it failed with every output passing, something else failed it
  if (!r.passed && r.outputs.every(o => o.passed) && blocking.length === 0) return [{ kind: 'unknown', name: '', message: 'the check failed for a reason other than an output' }];
  return blocking;
}

/** The tolerance an output was judged with (integer outputs are compared exactly), else the run's. */
export function toleranceOf(o: OutputComparison, r: { atol: number; rtol: number }): { atol: number; rtol: number } {
  const t = o as { atol?: number; rtol?: number };
  return { atol: t.atol ?? r.atol, rtol: t.rtol ?? r.rtol };
}

export function modelVerdict(run: ModelRun): ModelVerdict {
  const none = { failing: [], skipped: [], unknownSkips: [], problems: [] };
  if (run.error) return { verdict: 'error', exitCode: run.error.exitCode, ...none };
  if (!run.result) return { verdict: 'error', exitCode: 4, ...none };
  const skips = skipMap(run.skipOutputs);
  const names = new Set(run.result.outputs.map(o => o.name));
  const skipped = run.result.outputs.filter(o => skips.has(o.name)).map(o => ({ name: o.name, reason: skips.get(o.name)! }));
  // --accept-noise: outputs that fail only by float32 noise accumulating through the network do not fail the model
  const failing = run.result.noiseAccepted ? [] : run.result.outputs.filter(o => !o.passed && !skips.has(o.name));
  const unknownSkips = [...skips.keys()].filter(k => !names.has(k));
  const problems = blockingProblems(run.result);
  const passed = failing.length === 0 && problems.length === 0;
  const verdict: Verdict = run.expectFail ? (passed ? 'xpass' : 'xfail') : passed ? 'pass' : 'fail';
  return { verdict, exitCode: verdict === 'fail' || verdict === 'xpass' ? 1 : 0, failing, skipped, unknownSkips, problems };
}

/** The `error` of a ModelRun from whatever a check threw (mirrors the CLI's error payload and exit codes). */
export function runError(e: unknown): ModelRunError {
  if (e instanceof UnsupportedOpsError) return { code: e.code, message: e.message, exitCode: e.exitCode, unsupported: e.ops };
  if (e instanceof MsportError) return { code: e.code, message: e.message, exitCode: e.exitCode };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: 'MSPORT_INTERNAL', message: msg.split('\n')[0] ?? '', exitCode: 4 };
}

/** Largest finite-or-not max abs diff over the gated outputs; null when there are none. */
export function worstAbsDiff(run: ModelRun): number | null {
  if (!run.result || run.result.outputs.length === 0) return null;
  const skips = skipMap(run.skipOutputs);
  const gated = run.result.outputs.filter(o => !skips.has(o.name));
  if (gated.length === 0) return null;
  return gated.reduce((m, o) => (Number.isNaN(o.maxAbsDiff) || o.maxAbsDiff > m ? o.maxAbsDiff : m), 0);
}

/** `max abs diff 3.2e-3, max rel diff 0.4, 12/1000 mismatched (atol=1e-4, rtol=1e-3), worst at [0, 3]: 1.2 vs 1.1` */
export function describeFailure(o: OutputComparison, run: { atol: number; rtol: number }, fmt: (v: number | null) => string): string {
  if (o.error) return o.error;
  const tol = toleranceOf(o, run);
  const worst = o.worstIndex ? `, worst at [${o.worstIndex.join(', ')}]: reference ${fmt(o.reference)} vs msport ${fmt(o.actual)}` : '';
  return `max abs diff ${fmt(o.maxAbsDiff)}, max rel diff ${fmt(o.maxRelDiff)}, ${o.mismatches}/${o.size} mismatched (atol=${tol.atol}, rtol=${tol.rtol})${worst}`;
}
