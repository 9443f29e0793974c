import { execFile } from 'node:child_process';

export interface CliRun { code: number; stdout: string; stderr: string }

/** Run the built CLI (bin/msport → dist/) as a user would, without colors. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise(resolve => {
    execFile(process.execPath, ['bin/msport', ...args], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
