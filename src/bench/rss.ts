/** Peak RSS and wall time of a separate `node bin/msport check MODEL --samples 1` process. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface CheckProcessResult {
  /** peak resident set size of the check process, KiB */
  maxRssKiB: number;
  /** where the peak came from: VmHWM (/proc) or getrusage maxRSS */
  rssSource?: string;
  /** wall time of the process from its preload to exit, ms */
  wallMs: number;
  exitCode: number;
  /** what the check printed on stdout (its JSON with --json) */
  stdout?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** bin/msport of this package (dist/bench → ../../bin) */
export const MSPORT_BIN = resolve(here, '..', '..', 'bin', 'msport');

export function checkProcess(modelPath: string, extraArgs: string[] = []): Promise<CheckProcessResult> {
  const dir = mkdtempSync(join(tmpdir(), 'msport-bench-'));
  const file = join(dir, 'rss.json');
  const probe = pathToFileURL(join(here, 'rss-probe.js')).href;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', probe, MSPORT_BIN, 'check', modelPath, '--samples', '1', ...extraArgs], {
      env: { ...process.env, MSPORT_RSS_FILE: file }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '', out = '';
    child.stderr.on('data', d => { err += String(d); });
    child.stdout.on('data', d => { out += String(d); });
    child.on('error', rej);
    child.on('close', code => {
      try {
        const r = JSON.parse(readFileSync(file, 'utf8')) as CheckProcessResult;
        if (code !== 0) rej(new Error(`msport check exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`));
        else res({ ...r, stdout: out });
      } catch {
        rej(new Error(`msport check exited with ${code} without reporting: ${err.trim().split('\n').pop() ?? ''}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
