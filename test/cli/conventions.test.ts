/** CLI conventions (issue 19): --version, repeated options refused, -q everywhere, given inputs make one sample. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { writeNpy } from '../../src/compare/npy.js';
import { Tensor } from '../../src/runtime/tensor.js';

const model = 'fixtures/models/seed_cnn.onnx';

describe('CLI conventions', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('a repeated --shape or --input for one input is refused in one line (exit 2), not silently the last', async () => {
    for (const args of [['--shape', 'input=1,3,40,40', '--shape', 'input=2,3,40,40'], ['--input', 'input=1', '--input', 'input=2']]) {
      const r = await runCli(['check', model, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/is given twice/);
    }
  });

  it('report and inspect accept -q like check', async () => {
    expect((await runCli(['inspect', '-q', model])).code).toBe(0);
    expect((await runCli(['report', '-q', model, '--format', 'json'])).code).toBe(0);
  });

  it('inputs all given from files run once, not the same array --samples times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msport-conv-'));
    const data = Float32Array.from({ length: 3 * 40 * 40 }, (_, i) => Math.sin(i));
    writeFileSync(join(dir, 'x.npy'), writeNpy(new Tensor(data, [1, 3, 40, 40], 'float32')));
    const r = await runCli(['check', model, '--input', `input=${join(dir, 'x.npy')}`, '--samples', '4', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).samples).toBe(1);
    const t = await runCli(['check', model, '--input', `input=${join(dir, 'x.npy')}`, '--samples', '4']);
    expect(t.stdout).not.toMatch(/over 4 samples/);
  });
});

describe('CLI conventions: errors and colors', () => {
  it('--json with a bad option still prints one JSON object (exit 2)', async () => {
    const r = await runCli(['check', model, '--bogus', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: false, error: { code: 'MSPORT_USAGE', message: "unknown option '--bogus'" } });
  });

  it('an output in a folder that does not exist says so in words (exit 2)', async () => {
    const r = await runCli(['report', model, '-o', '/nonexistent-msport/dir/r.md']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('msport: error: cannot write /nonexistent-msport/dir/r.md: the folder /nonexistent-msport/dir does not exist');
  });

  it('NO_COLOR turns colors off even where colors are forced on', async () => {
    const r = await runCli(['check', model, '--samples', '1'], { NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASS');
    expect(r.stdout).not.toContain('\u001b[');
    const colored = await runCli(['check', model, '--samples', '1'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(colored.stdout).toContain('\u001b[');
  });
});
