/**
 * `npm run bench [-- options] [models...]`: forward latency of the msport runtime against onnxruntime-node (1 and 2
 * intra-op threads) and onnxruntime-web's WebAssembly build (1 thread, SIMD), in one process on the same inputs,
 * plus the peak RSS and wall time of a separate `msport check MODEL --samples 1` process.
 *
 * Options: --runs N (timed runs, median reported; default 5), --warmup N (default 2), --json (machine-readable output
 * only), --no-rss (skip the check child process), --no-web, --profile (per-op time of the msport 1-thread runs),
 * --zoo DIR (default fixtures/zoo). Models are zoo names (resnet18) or .onnx paths. --scale instead checks the large
 * decoder models of fixtures/make_big.py whole and streamed (src/bench/scale.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchModel, BenchResult, DEFAULT_MODELS } from './measure.js';
import { checkProcess } from './rss.js';
import { scaleBench, scaleTable } from './scale.js';

interface Args { models: string[]; runs: number; warmup: number; json: boolean; rss: boolean; web: boolean; profile: boolean; zoo: string; scale: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { models: [], runs: 5, warmup: 2, json: false, rss: true, web: true, profile: false, zoo: 'fixtures/zoo', scale: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${s} takes a non-negative integer`);
      return v;
    };
    if (s === '--runs') a.runs = Math.max(1, num());
    else if (s === '--warmup') a.warmup = num();
    else if (s === '--json') a.json = true;
    else if (s === '--no-rss') a.rss = false;
    else if (s === '--no-web') a.web = false;
    else if (s === '--profile') a.profile = true;
    else if (s === '--zoo') a.zoo = argv[++i]!;
    else if (s === '--scale') a.scale = true;
    else if (s.startsWith('--')) throw new Error(`unknown option ${s}`);
    else a.models.push(s);
  }
  if (a.models.length === 0) a.models = [...DEFAULT_MODELS];
  return a;
}

const ms = (v: number | null): string => (v === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const ratio = (a: number | null, b: number | null): string => (a === null || b === null ? '—' : `${(a / b).toFixed(2)}×`);

function table(results: BenchResult[]): string {
  const head = ['model', 'msport 1t', 'msport 2t', 'ort-node 1t', 'ort-node 2t', 'ort-web 1t', 'ms1t/node1t', 'ms2t/node2t', 'ms1t/web', 'max|Δ|', 'check wall', 'check peak RSS'];
  const rows = results.map(r => [
    r.model, ms(r.msport1t), ms(r.msport2t), ms(r.ortNode1t), ms(r.ortNode2t), ms(r.ortWeb1t),
    ratio(r.msport1t, r.ortNode1t), ratio(r.msport2t, r.ortNode2t), ratio(r.msport1t, r.ortWeb1t),
    r.maxAbsDiff === null ? '—' : r.maxAbsDiff.toExponential(1),
    r.check ? ms(r.check.wallMs) : '—', r.check ? `${(r.check.maxRssKiB / 1024).toFixed(0)} MiB` : '—',
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => { (args.json ? process.stderr : process.stdout).write(s + '\n'); };
  if (args.scale) {
    const rows = await scaleBench(log);
    if (args.json) process.stdout.write(JSON.stringify({ node: process.version, scale: rows }, null, 2) + '\n');
    else log('\n' + scaleTable(rows));
    return;
  }
  const results: BenchResult[] = [];
  for (const m of args.models) {
    const path = m.endsWith('.onnx') ? m : `${args.zoo}/${m}.onnx`;
    const name = m.endsWith('.onnx') ? m : m;
    if (!existsSync(path)) { log(`skip ${name}: ${path} is missing (make it with /usr/bin/python3 fixtures/make_models.py --zoo ${m})`); continue; }
    log(`bench ${name} …`);
    const r = await benchModel(name, path, { runs: args.runs, warmup: args.warmup, web: args.web, profile: args.profile, log });
    if (args.rss) {
      try { r.check = await checkProcess(resolve(path)); } catch (e) { log(`  check process failed: ${(e as Error).message}`); }
    }
    results.push(r);
    log(`  msport ${ms(r.msport1t)} (1t) ${ms(r.msport2t)} (2t) · ort-node ${ms(r.ortNode1t)} / ${ms(r.ortNode2t)} · ort-web ${ms(r.ortWeb1t)}` +
      (r.check ? ` · check ${ms(r.check.wallMs)}, peak RSS ${(r.check.maxRssKiB / 1024).toFixed(0)} MiB` : ''));
  }
  if (args.json) process.stdout.write(JSON.stringify({ node: process.version, runs: args.runs, warmup: args.warmup, results }, null, 2) + '\n');
  else log('\n' + table(results));
}

main().then(() => process.exit(0), e => { process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`); process.exit(1); });
