#!/usr/bin/env node
// Markdown tables from `npm run bench -- --json` outputs: node scripts/bench-table.mjs results.json [before.json]
// With two files, a last table compares msport's 1-thread latency and the check process between them.
import { readFileSync } from 'node:fs';

const [afterFile, beforeFile] = process.argv.slice(2);
if (!afterFile) { console.error('usage: node scripts/bench-table.mjs results.json [before.json]'); process.exit(2); }
const load = f => JSON.parse(readFileSync(f, 'utf8'));
const ms = v => (v == null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const x = (a, b) => (a == null || b == null ? '—' : `${(a / b).toFixed(2)}×`);
const mb = c => (c ? `${(c.maxRssKiB / 1024).toFixed(0)} MiB` : '—');

function table(run) {
  const rows = [
    '| model | msport 1t | msport 2t | ort-node 1t | ort-node 2t | ort-web 1t | ms1t/node1t | ms2t/node2t | ms1t/web | check wall | check peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of run.results) {
    rows.push(`| ${r.model} | ${ms(r.msport1t)} | ${ms(r.msport2t)} | ${ms(r.ortNode1t)} | ${ms(r.ortNode2t)} | ${ms(r.ortWeb1t)} | ` +
      `${x(r.msport1t, r.ortNode1t)} | ${x(r.msport2t, r.ortNode2t)} | ${x(r.msport1t, r.ortWeb1t)} | ${r.check ? ms(r.check.wallMs) : '—'} | ${mb(r.check)} |`);
  }
  return rows.join('\n');
}

const after = load(afterFile);
console.log(`${afterFile} (node ${after.node}, ${after.runs} runs after ${after.warmup} warm-up, medians)\n\n${table(after)}`);
if (beforeFile) {
  const before = load(beforeFile);
  console.log(`\n${beforeFile} (node ${before.node}, ${before.runs} runs after ${before.warmup} warm-up, medians)\n\n${table(before)}`);
  console.log('\n| model | msport 1t before | after | speed-up | check wall before | after | check peak RSS before | after |\n|---|---|---|---|---|---|---|---|');
  for (const a of after.results) {
    const b = before.results.find(r => r.model === a.model);
    if (!b) continue;
    console.log(`| ${a.model} | ${ms(b.msport1t)} | ${ms(a.msport1t)} | ${x(b.msport1t, a.msport1t)} | ${b.check ? ms(b.check.wallMs) : '—'} | ${a.check ? ms(a.check.wallMs) : '—'} | ${mb(b.check)} | ${mb(a.check)} |`);
  }
}
