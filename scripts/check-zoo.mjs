#!/usr/bin/env node
// Acceptance run: `msport check` on every model in fixtures/zoo (made by `fixtures/make_models.py --zoo`),
// printing max abs diff and both timings as a markdown table. Usage: node scripts/check-zoo.mjs [files...]
import { readdirSync } from 'node:fs';
import { check } from '../dist/check.js';

const files = process.argv.slice(2).length ? process.argv.slice(2)
  : readdirSync('fixtures/zoo').filter(f => f.endsWith('.onnx')).sort().map(f => `fixtures/zoo/${f}`);
console.log('| model | passed | max abs diff | max rel diff | onnxruntime ms | msport ms |\n|---|---|---|---|---|---|');
let failed = 0;
for (const f of files) {
  try {
    const r = await check(f, { atol: 1e-4, rtol: 1e-3, seed: 0 });
    const o = r.outputs;
    if (!r.passed) failed++;
    console.log(`| ${f} | ${r.passed ? 'yes' : 'NO'} | ${Math.max(...o.map(x => x.maxAbsDiff)).toExponential(2)} | ${Math.max(...o.map(x => x.maxRelDiff)).toExponential(2)} | ${r.timings.referenceMs.toFixed(1)} | ${r.timings.runtimeMs.toFixed(0)} |`);
  } catch (e) {
    failed++;
    console.log(`| ${f} | error | ${e.message.split('\n')[0]} | | | |`);
  }
}
process.exitCode = failed ? 1 : 0;
