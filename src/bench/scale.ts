/**
 * `npm run bench -- --scale`: msport check on decoder models the size people port (fixtures/make_big.py), whole and
 * streamed: wall time and peak RSS against the weight file's size, beside onnxruntime alone on the same model (its
 * own process, one run) where it fits in memory. Models that are not generated are listed with the command.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkProcess } from './rss.js';
import { availableMemory } from '../check.js';

const MAKE = 'fixtures/.venv-today/bin/python fixtures/make_big.py';
export const SCALE_MODELS = [
  { name: 'Llama, 4 layers of TinyLlama (0.31B)', file: 'fixtures/big/llama_l4.onnx', stream: false, make: `${MAKE} --layers 4` },
  { name: 'TinyLlama-sized, 22 layers (1.1B)', file: 'fixtures/big/llama_l22.onnx', stream: false, make: `${MAKE} --layers 22` },
  { name: 'TinyLlama-sized, 22 layers (1.1B)', file: 'fixtures/big/llama_l22.onnx', stream: true, make: `${MAKE} --layers 22` },
  { name: 'Llama-2-7B-sized, 32 layers (6.7B)', file: 'fixtures/big/llama7b.onnx', stream: true, make: `${MAKE} --llama7b` },
  // a half-precision export: float16 noise accumulates past the default float32-sized tolerance, so the check localises
  // and passes it as noise only when every layer stays within its float16 floor
  { name: 'Llama, 4 layers of TinyLlama, float16 (0.31B)', file: 'fixtures/big/llama_l4_float16.onnx', stream: false, make: `${MAKE} --layers 4 --dtype float16`, args: ['--accept-noise'] },
] as { name: string; file: string; stream: boolean; make: string; args?: string[] }[];

export interface ScaleRow {
  name: string; mode: 'whole' | 'stream'; weightsBytes: number;
  msport: { wallMs: number; peakKiB: number; passed: boolean; noiseAccepted: boolean; maxAbsDiff: number } | { error: string };
  onnxruntime: { wallMs: number; runMs: number; peakKiB: number } | { skipped: string };
}

const here = dirname(fileURLToPath(import.meta.url));
const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;

function weightsOf(file: string): number {
  return statSync(file).size + (existsSync(`${file}.data`) ? statSync(`${file}.data`).size : 0);
}

function ortAlone(file: string): Promise<{ wallMs: number; runMs: number; peakKiB: number }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(here, 'ort-alone.js'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', d => { out += String(d); });
    child.stderr.on('data', d => { err += String(d); });
    child.on('close', code => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`onnxruntime alone exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`))));
  });
}

export async function scaleBench(log: (s: string) => void): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const aloneDone = new Map<string, ScaleRow['onnxruntime']>();
  for (const m of SCALE_MODELS) {
    const file = resolve(m.file);
    if (!existsSync(file)) { log(`skip ${m.name}: ${m.file} is missing (make it with \`${m.make}\`)`); continue; }
    const weightsBytes = weightsOf(file);
    log(`scale ${m.name} (${gb(weightsBytes)}), ${m.stream ? 'streamed' : 'whole'} …`);
    let msport: ScaleRow['msport'];
    try {
      const r = await checkProcess(file, ['--json', '-q', ...(m.stream ? ['--stream'] : m.args ?? ['--no-localize'])]);
      const j = JSON.parse(r.stdout ?? '{}') as { passed?: boolean; noiseAccepted?: boolean; outputs?: { maxAbsDiff: number }[] };
      msport = { wallMs: r.wallMs, peakKiB: r.maxRssKiB, passed: !!j.passed, noiseAccepted: !!j.noiseAccepted, maxAbsDiff: Math.max(...(j.outputs ?? []).map(o => o.maxAbsDiff)) };
    } catch (e) { msport = { error: (e as Error).message }; }
    // onnxruntime holds the whole model: only where it fits (with room to spare), once per file
    let onnxruntime = aloneDone.get(file);
    if (!onnxruntime) {
      const have = availableMemory();
      if (weightsBytes * 1.5 > have) onnxruntime = { skipped: `needs ~${gb(weightsBytes * 1.5)}, ${gb(have)} available` };
      else {
        try { onnxruntime = await ortAlone(file); } catch (e) { onnxruntime = { skipped: (e as Error).message }; }
      }
      aloneDone.set(file, onnxruntime);
    }
    rows.push({ name: m.name, mode: m.stream ? 'stream' : 'whole', weightsBytes, msport, onnxruntime });
  }
  return rows;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const gib = (kib: number): string => `${(kib / 2 ** 20).toFixed(2)} GiB`;

export function scaleTable(rows: ScaleRow[]): string {
  const head = ['model', 'mode', 'weights', 'msport check wall', 'msport peak RSS', 'peak / weights', 'verdict', 'onnxruntime alone wall (run)', 'onnxruntime alone peak RSS'];
  const body = rows.map(r => [
    r.name, r.mode, gb(r.weightsBytes),
    'error' in r.msport ? `error: ${r.msport.error}` : s(r.msport.wallMs),
    'error' in r.msport ? '—' : gib(r.msport.peakKiB),
    'error' in r.msport ? '—' : `${((r.msport.peakKiB * 1024) / r.weightsBytes).toFixed(2)}×`,
    'error' in r.msport ? '—' : `${r.msport.passed ? (r.msport.noiseAccepted ? 'PASS (noise accepted)' : 'PASS') : 'FAIL'} (max abs diff ${r.msport.maxAbsDiff.toExponential(2)})`,
    'skipped' in r.onnxruntime ? `— (${r.onnxruntime.skipped})` : `${s(r.onnxruntime.wallMs)} (${s(r.onnxruntime.runMs)})`,
    'skipped' in r.onnxruntime ? '—' : gib(r.onnxruntime.peakKiB),
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map(r => `| ${r.join(' | ')} |`)].join('\n');
}
