#!/usr/bin/env node
// Mutation fuzzing of `msport check` (see scripts/fuzz-lib.mjs): N seeded cases of mutated ONNX fixtures and malformed
// .npy inputs, run through the built CLI's main() in worker threads (a hung or crashed case is killed and reported,
// the run goes on). Prints cases by exit code and every contract violation with the seed that reproduces it.
//
//   node scripts/fuzz.mjs [--cases 10000] [--seed 1] [--workers 2] [--timeout 60]
//   node scripts/fuzz.mjs --only 123456789[,...] [--keep DIR]     rerun single cases (seeds as printed), keep files
//   --ort-logs                                                     let onnxruntime's own log lines through
//   --all                                                          list every failing seed, not 3 per outcome
//
// Needs `npm run build` first (it runs dist/, as users do). Exit code 1 when a case broke the contract.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caseSeed, judge, loadFixtures, makeCase, materialize, outcomeLine, runInProcess } from './fuzz-lib.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

if (!isMainThread) {
  // worker: run the cases the parent sends, one at a time (the parent has made ROOT the working folder)
  // onnxruntime's own log lines (warnings about mutated graphs) go straight to fd 2; keep them out of the summary
  if (!workerData.ortLogs) (await import('onnxruntime-node')).env.logLevel = 'fatal';
  const { main } = await import(pathToFileURL(join(ROOT, 'dist/cli/main.js')).href);
  const fixtures = loadFixtures(ROOT);
  parentPort.on('message', async ({ seed }) => {
    const c = makeCase(seed, fixtures);
    const { path, argv } = materialize(c, workerData.dir);
    const res = await runInProcess(main, argv);
    const problems = judge(res);
    if (!workerData.keep) rmSync(path, { force: true });
    parentPort.postMessage({ seed, kind: c.kind, what: c.what, code: res.threw ? 'throw' : res.code, problems, line: outcomeLine(res), ms: res.ms, rss: process.memoryUsage().rss });
  });
} else {
  process.chdir(ROOT); // fixture paths are relative to the repository, as in the README
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const cases = Number(opt('cases', 10000));
  const base = Number(opt('seed', 1));
  const workers = Math.max(1, Number(opt('workers', Math.min(2, availableParallelism()))));
  const timeoutMs = Number(opt('timeout', 60)) * 1000;
  const only = opt('only', null)?.split(',').map(Number);
  const keep = opt('keep', null);
  const ortLogs = argv.includes('--ort-logs');
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) { console.error('fuzz: dist/ is missing; run `npm run build` first'); process.exit(2); }

  const dir = mkdtempSync(join(tmpdir(), 'msport-fuzz-'));
  if (keep) mkdirSync(keep, { recursive: true });
  const seeds = only ?? Array.from({ length: cases }, (_, i) => caseSeed(base, i));
  const byCode = new Map();
  const byKind = new Map();
  const bad = [];
  const slow = [];
  let next = 0, done = 0;
  const t0 = Date.now();

  const record = r => {
    done++;
    byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
    const mut = r.kind === 'npy' ? `npy ${r.what.split(':')[0]}` : r.kind === '?' ? `(${r.code})` : (r.what.split(' ')[1] ?? '?').replace(/:$/, '');
    const k = byKind.get(mut) ?? new Map(); k.set(r.code, (k.get(r.code) ?? 0) + 1); byKind.set(mut, k);
    if (r.problems.length) bad.push(r);
    if (r.ms > 10_000) slow.push(r);
    if (only) console.log(`seed ${r.seed}: ${r.what}\n  -> ${r.line}${r.problems.length ? `\n  PROBLEMS: ${r.problems.join('; ')}` : ''}`);
    if (keep) { const f = join(dir, `case-${r.seed}${r.kind === 'npy' ? '.npy' : '.onnx'}`); if (existsSync(f)) copyFileSync(f, join(keep, `case-${r.seed}${r.kind === 'npy' ? '.npy' : '.onnx'}`)); }
    if (!only && done % 500 === 0) process.stderr.write(`fuzz: ${done}/${seeds.length} cases, ${bad.length} problems, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  };

  await new Promise(resolveAll => {
    let live = 0;
    const spawn = () => {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { dir, keep: !!keep, ortLogs }, resourceLimits: { maxOldGenerationSizeMb: 4096 }, stdout: false, stderr: false });
      live++;
      let current = null, timer = null;
      const give = () => {
        if (next >= seeds.length) { w.terminate(); return; }
        current = { seed: seeds[next++], started: Date.now() };
        timer = setTimeout(() => {
          const c = current; current = null;
          record({ seed: c.seed, kind: '?', what: '(see --only)', code: 'timeout', problems: [`no result after ${timeoutMs / 1000} s (hang or huge allocation)`], line: 'killed', ms: Date.now() - c.started });
          w.terminate();
        }, timeoutMs);
        w.postMessage({ seed: current.seed });
      };
      w.on('message', r => { clearTimeout(timer); current = null; record(r); give(); });
      w.on('error', e => {
        clearTimeout(timer);
        if (current) { record({ seed: current.seed, kind: '?', what: '(see --only)', code: 'crash', problems: [`worker died: ${e.message}`], line: `crash: ${e.code ?? ''} ${e.message}`, ms: Date.now() - current.started }); current = null; }
      });
      w.on('exit', () => {
        clearTimeout(timer);
        if (current) { record({ seed: current.seed, kind: '?', what: '(see --only)', code: 'crash', problems: ['worker exited mid-case'], line: 'crash', ms: Date.now() - current.started }); current = null; }
        live--;
        if (next < seeds.length) spawn(); else if (live === 0) resolveAll();
      });
      w.once('online', give);
    };
    for (let i = 0; i < Math.min(workers, seeds.length); i++) spawn();
    if (seeds.length === 0) resolveAll();
  });

  if (!keep) rmSync(dir, { recursive: true, force: true });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`msport fuzz: ${done} cases (base seed ${base}) in ${secs} s on ${workers} worker${workers === 1 ? '' : 's'}`);
  console.log(`by exit code: ${[...byCode].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([c, n]) => `${c}: ${n}`).join(', ')}`);
  console.log('by mutation:');
  for (const [k, m] of [...byKind].sort()) console.log(`  ${k.padEnd(14)} ${[...m].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([c, n]) => `${c}:${n}`).join(' ')}`);
  if (slow.length) {
    console.log(`slow cases (> 10 s): ${slow.length}`);
    for (const r of slow.slice(0, 20)) console.log(`  seed ${r.seed} ${(r.ms / 1000).toFixed(1)} s: ${r.what}`);
  }
  if (bad.length) {
    // group by outcome with numbers blanked, so one bug reads as one entry with its count and example seeds
    const groups = new Map();
    for (const r of bad) {
      const sig = `${r.line.replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, 'N').replace(/[^\x20-\x7e]/g, '?').slice(0, 160)} [${r.problems.join('; ').replace(/\d+/g, 'N')}]`;
      const g = groups.get(sig) ?? []; g.push(r); groups.set(sig, g);
    }
    console.log(`PROBLEMS: ${bad.length} case${bad.length === 1 ? '' : 's'} broke the contract, ${groups.size} distinct outcomes (rerun one with --only SEED --keep DIR)`);
    for (const [sig, g] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
      console.log(`  ${g.length} x ${sig}`);
      for (const r of g.slice(0, argv.includes('--all') ? g.length : 3)) console.log(`      seed ${r.seed}: ${r.what.replace(/[^\x20-\x7e]/g, '?').slice(0, 240)}`);
    }
  } else console.log('no contract violations');
  process.exitCode = bad.length ? 1 : 0;
}
