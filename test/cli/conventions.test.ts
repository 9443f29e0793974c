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

describe('CLI conventions: the dtype of a given input', () => {
  const npy = (t: Tensor): string => { const d = mkdtempSync(join(tmpdir(), 'msport-npy-')); const p = join(d, 'x.npy'); writeFileSync(p, writeNpy(t)); return p; };

  it('an exact conversion is made and said: int32 token ids for an int64 input, float64 for a float32 one', async () => {
    const ids = npy(new Tensor(Int32Array.from([1, 5, 7, 2, 0, 3, 9, 4]), [1, 8], 'int32'));
    const r = await runCli(['check', 'fixtures/models/dynamo/bert_tiny.onnx', '--input', `input_ids=${ids}`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs[0].source).toBe(`${ids} (cast from int32)`);
    const f64 = npy(new Tensor(Float64Array.from({ length: 3 * 40 * 40 }, (_, i) => Math.cos(i)), [1, 3, 40, 40], 'float64'));
    const f = await runCli(['check', model, '--input', `input=${f64}`, '--json']);
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout).inputs[0].source).toBe(`${f64} (cast from float64)`);
  });

  it('a conversion that is not exact is refused in one line with the fix (exit 2)', async () => {
    const floats = npy(new Tensor(Float32Array.from([1, 5, 7, 2, 0, 3, 9, 4]), [1, 8], 'float32'));
    const r = await runCli(['check', 'fixtures/models/dynamo/bert_tiny.onnx', '--input', `input_ids=${floats}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`msport: error: --input input_ids: ${floats} holds float32, the model expects int64 (save it with .astype(np.int64))`);
  });
});

describe('vacuous checks are flagged', () => {
  it('an empty input and output, and identical samples, are said in text and JSON', async () => {
    const r = await runCli(['check', 'fixtures/models/seed_mlp.onnx', '--shape', 'input=0,1,28,28', '--samples', '2', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).vacuous.map((v: { kind: string }) => v.kind)).toEqual(['empty-input', 'empty-output', 'identical-samples']);
    const t = await runCli(['check', 'fixtures/models/seed_mlp.onnx', '--shape', 'input=0,1,28,28', '--samples', '2']);
    expect(t.stdout).toMatch(/warning the check proves little: input input is empty/);
    expect(t.stdout).toMatch(/proves little \(3 warnings above\)/);
  });

  it('an output that is one value everywhere in the reference is flagged; a real check is not', async () => {
    const zero = await runCli(['check', 'fixtures/models/modules/ReLU.onnx', '--input', 'input=-1', '--json']);
    expect(JSON.parse(zero.stdout).vacuous).toEqual([{ kind: 'constant-output', name: JSON.parse(zero.stdout).outputs[0].name,
      message: expect.stringMatching(/is 0 everywhere in the reference: a port that also gives 0 would pass, right or wrong/) }]);
    const real = await runCli(['check', model, '--json']);
    expect(JSON.parse(real.stdout).vacuous).toBeUndefined();
  });

  it('an error that escapes msport\'s own handling (thrown in a callback) is one line and exit 4, not a stack and 1', async () => {
    // a preload that makes reading the model schedule a throw on the event loop, outside any awaited promise
    const dir = mkdtempSync(join(tmpdir(), 'msport-boom-'));
    const preload = join(dir, 'boom.cjs');
    writeFileSync(preload, `const fs = require('node:fs'); const open = fs.openSync;
fs.openSync = function (p, ...a) { if (String(p).endsWith('.onnx')) setImmediate(() => { throw new Error('boom in a callback'); }); return open.call(this, p, ...a); };
require('node:module').syncBuiltinESMExports();\n`);
    const r = await runCli(['check', model], { NODE_OPTIONS: `--require ${preload}` });
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toEqual(['msport: internal error: boom in a callback (rerun with --verbose for details)']);
  });

  it('report and convert read the config file like check (shapes, tolerances), under explicit flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msport-cfg-'));
    const cfg = join(dir, 'msport.config.json');
    writeFileSync(cfg, JSON.stringify({ atol: 0.002, seed: 3, shapes: { input: [2, 1, 28, 28] } }));
    // seed_mlp has a symbolic batch: without the config's shape, report refuses
    expect((await runCli(['report', 'fixtures/models/seed_mlp.onnx', '--format', 'json'])).code).toBe(2);
    const r = await runCli(['report', 'fixtures/models/seed_mlp.onnx', '--format', 'json', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ atol: 0.002, seed: 3 });
    const flag = JSON.parse((await runCli(['report', 'fixtures/models/seed_mlp.onnx', '--format', 'json', '--config', cfg, '--atol', '1e-5'])).stdout);
    expect(flag.atol).toBe(1e-5);
    const c = await runCli(['convert', 'fixtures/models/seed_mlp.onnx', '-o', join(dir, 'port'), '--config', cfg, '--json']);
    expect(c.code).toBe(0);
    expect(readFileSync(join(dir, 'port', 'README.md'), 'utf8')).toMatch(/\(2, 1, 28, 28\)/);
  });
});
