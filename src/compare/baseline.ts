/**
 * Saved runs and baselines: `--save-results` stores what a run measured (seeds, per-output and per-layer statistics,
 * versions); `--baseline` compares a new run with it and flags every difference that grew beyond a factor — a
 * dependency upgrade that makes parity worse fails CI even while the absolute gate still passes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CheckResult } from '../check.js';
import { UsageError } from '../errors.js';

export interface SavedRun {
  format: 'msport-results';
  version: 1;
  model: string;
  seed: number;
  samples: number;
  atol: number;
  rtol: number;
  versions: { msport: string; onnxruntime: string; node: string };
  outputs: { name: string; maxAbsDiff: number; maxRelDiff: number; meanAbsDiff: number; passed: boolean }[];
  layers: { name: string; maxAbsDiff: number; localMaxAbsDiff: number | null }[] | null;
}

const require = createRequire(import.meta.url);
const pkgVersion = (name: string): string => { try { return (require(`${name}/package.json`) as { version: string }).version; } catch { return 'unknown'; } };
const finite = (v: number): number => (Number.isFinite(v) ? v : Number.MAX_VALUE);

export function toSavedRun(r: CheckResult): SavedRun {
  return {
    format: 'msport-results', version: 1, model: r.model, seed: r.seed, samples: r.samples, atol: r.atol, rtol: r.rtol,
    versions: { msport: pkgVersion('msport'), onnxruntime: pkgVersion('onnxruntime-node'), node: process.versions.node },
    outputs: r.outputs.map(o => ({ name: o.name, maxAbsDiff: finite(o.maxAbsDiff), maxRelDiff: finite(o.maxRelDiff), meanAbsDiff: finite(o.meanAbsDiff), passed: o.passed })),
    layers: r.layers ? r.layers.layers.map(l => ({ name: l.name, maxAbsDiff: finite(l.maxAbsDiff), localMaxAbsDiff: l.local ? finite(l.local.maxAbsDiff) : null })) : null,
  };
}

export function readSavedRun(path: string): SavedRun {
  let data: unknown;
  try { data = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw new UsageError(`--baseline: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const d = data as Partial<SavedRun>;
  if (d?.format !== 'msport-results' || d.version !== 1 || !Array.isArray(d.outputs)) throw new UsageError(`--baseline: ${path} is not a file written by msport check --save-results`);
  return d as SavedRun;
}

export interface Regression { what: 'output' | 'layer'; name: string; baseline: number; now: number; factor: number }

/**
 * A difference regresses when now > factor · baseline + slack. The slack (one float32 ulp at the output's scale is
 * not known here, so the run's atol / 100) keeps a 0 → 1e-9 change from counting as an infinite regression.
 */
export function compareWithBaseline(now: SavedRun, base: SavedRun, factor: number): Regression[] {
  const slack = now.atol / 100;
  const out: Regression[] = [];
  const check = (what: Regression['what'], name: string, b: number, n: number): void => {
    if (n > factor * b + slack) out.push({ what, name, baseline: b, now: n, factor: b > 0 ? n / b : Infinity });
  };
  const baseOut = new Map(base.outputs.map(o => [o.name, o]));
  for (const o of now.outputs) { const b = baseOut.get(o.name); if (b) check('output', o.name, b.maxAbsDiff, o.maxAbsDiff); }
  if (now.layers && base.layers) {
    const baseLayers = new Map(base.layers.map(l => [l.name, l]));
    for (const l of now.layers) { const b = baseLayers.get(l.name); if (b) check('layer', l.name, b.maxAbsDiff, l.maxAbsDiff); }
  }
  return out;
}
