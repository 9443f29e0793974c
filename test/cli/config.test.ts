/** msport.config.json / package.json "msport": discovery, hand validation with one-line errors, and precedence. */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { explicitFlags, loadConfig, loadConfigFile, settingsFor, validateConfig, type LoadedConfig } from '../../src/cli/config.js';
import { UsageError } from '../../src/errors.js';

let root: string;
const write = (p: string, v: unknown) => {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), typeof v === 'string' ? v : JSON.stringify(v, null, 2));
};
const errorOf = (f: () => unknown): string => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; }
  throw new Error('expected a UsageError');
};

beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'msport-config-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('finds msport.config.json walking up from the working folder', () => {
    write('p1/msport.config.json', { atol: 0.01 });
    mkdirSync(join(root, 'p1/a/b/c'), { recursive: true });
    expect(loadConfig(join(root, 'p1/a/b/c'))).toEqual({ path: join(root, 'p1/msport.config.json'), config: { atol: 0.01 } });
  });

  it('reads the "msport" key of package.json; msport.config.json in the same folder wins; the nearest config wins', () => {
    write('p2/package.json', { name: 'x', msport: { rtol: 0.5 } });
    expect(loadConfig(join(root, 'p2'))).toEqual({ path: join(root, 'p2/package.json'), config: { rtol: 0.5 } });
    write('p2/msport.config.json', { rtol: 0.25 });
    expect(loadConfig(join(root, 'p2')).config).toEqual({ rtol: 0.25 });
    write('p2/sub/package.json', { name: 'y', msport: { seed: 3 } });
    expect(loadConfig(join(root, 'p2/sub')).config).toEqual({ seed: 3 });
  });

  it('passes over a package.json without "msport"', () => {
    write('p3/msport.config.json', { seed: 9 });
    write('p3/pkg/package.json', { name: 'no-msport-here' });
    expect(loadConfig(join(root, 'p3/pkg'))).toMatchObject({ path: join(root, 'p3/msport.config.json'), config: { seed: 9 } });
  });

  it('no config up to the root: path null, empty config', () => {
    mkdirSync(join(root, 'p4'));
    expect(loadConfig(join(root, 'p4'))).toEqual({ path: null, config: {} });
  });

  it('invalid JSON is one line naming the file, relative to the working folder', () => {
    write('p5/msport.config.json', '{ "atol": 0.1, }');
    mkdirSync(join(root, 'p5/x'));
    const msg = errorOf(() => loadConfig(join(root, 'p5/x')));
    expect(msg).toMatch(/^\.\.\/msport\.config\.json: invalid JSON \(/);
    expect(msg.split('\n')).toHaveLength(1);
    write('p6/package.json', '{ nope');
    expect(errorOf(() => loadConfig(join(root, 'p6')))).toMatch(/^package\.json: invalid JSON/);
  });

  it('errors in package.json name the msport key path', () => {
    write('p7/package.json', { msport: { models: { 'a.onnx': { atol: -1 } } } });
    expect(errorOf(() => loadConfig(join(root, 'p7')))).toBe('package.json: msport.models["a.onnx"].atol must be a non-negative number');
  });

  it('loadConfigFile reads an explicit file (--config)', () => {
    write('p8/ci.json', { samples: 2 });
    expect(loadConfigFile('p8/ci.json', root)).toEqual({ path: join(root, 'p8/ci.json'), config: { samples: 2 } });
    expect(errorOf(() => loadConfigFile('p8/missing.json', root))).toBe('p8/missing.json: cannot read (ENOENT)');
    write('p8/package.json', { name: 'z' });
    expect(errorOf(() => loadConfigFile('p8/package.json', root))).toBe('p8/package.json: has no "msport" key');
  });
});

describe('validateConfig', () => {
  const err = (raw: unknown) => errorOf(() => validateConfig(raw, 'msport.config.json'));

  it('accepts the whole schema', () => {
    const cfg = {
      $schema: './node_modules/msport/schema/config.json',
      atol: 1e-4, rtol: 0, seed: 4294967295, samples: 3, shapes: { input: [1, 3, 224, 224] }, inputs: { input: 'x.npy' },
      models: {
        'resnet.onnx': {
          atol: 0.001, rtol: 0.01, seed: 1, samples: 1, shapes: { input: [2, 3, 8, 8] }, inputs: { input: 'y.npy' },
          skipOutputs: { aux: 'dropout in train mode' },
          layerTolerances: { 'layer4.1.conv2': { atol: 1e-3, reason: 'winograd conv accumulates differently' }, fc: { reason: 'inherits' } },
          expectFail: 'GroupNorm eps differs (#12)',
        },
      },
    };
    expect(validateConfig(cfg, 'msport.config.json')).toEqual(cfg);
  });

  it('one-line errors name the key path', () => {
    expect(err({ models: { 'resnet.onnx': { atol: -1 } } })).toBe('msport.config.json: models["resnet.onnx"].atol must be a non-negative number');
    expect(err({ atol: '0.1' })).toBe('msport.config.json: atol must be a non-negative number');
    expect(err({ rtol: Infinity })).toBe('msport.config.json: rtol must be a non-negative number');
    expect(err({ seed: 1.5 })).toBe('msport.config.json: seed must be an integer in [0, 2^32)');
    expect(err({ seed: 2 ** 32 })).toBe('msport.config.json: seed must be an integer in [0, 2^32)');
    expect(err({ samples: 0 })).toBe('msport.config.json: samples must be a positive integer');
    expect(err({ shapes: { input: [1, -3] } })).toBe('msport.config.json: shapes.input must be an array of non-negative integers');
    expect(err({ shapes: { 'input:0': 'big' } })).toBe('msport.config.json: shapes["input:0"] must be an array of non-negative integers');
    expect(err({ shapes: [] })).toBe('msport.config.json: shapes must be an object');
    expect(err({ inputs: { input: true } })).toBe('msport.config.json: inputs.input must be a non-empty string (a .npy file path) or a number');
    expect(err({ inputs: { input: '' } })).toBe('msport.config.json: inputs.input must be a non-empty string (a .npy file path) or a number');
    expect(err({ models: [] })).toBe('msport.config.json: models must be an object');
    expect(err({ models: { 'a.onnx': null } })).toBe('msport.config.json: models["a.onnx"] must be an object');
    expect(err({ models: { m: { skipOutputs: { aux: '' } } } })).toBe('msport.config.json: models.m.skipOutputs.aux must be a non-empty string (the reason)');
    expect(err({ models: { m: { expectFail: true } } })).toBe('msport.config.json: models.m.expectFail must be a non-empty string (the reason)');
    expect(err({ models: { m: { layerTolerances: { conv1: { atol: 1 } } } } })).toBe('msport.config.json: models.m.layerTolerances.conv1.reason is required (say why this layer needs its own tolerance)');
    expect(err({ models: { m: { layerTolerances: { 'layer1.0': { rtol: -2, reason: 'x' } } } } })).toBe('msport.config.json: models.m.layerTolerances["layer1.0"].rtol must be a non-negative number');
    expect(err([])).toBe('msport.config.json: (top level) must be an object');
    expect(err({ models: { m: { acceptNoise: 'yes' } } })).toBe('msport.config.json: models.m.acceptNoise must be true or false');
  });

  it('unknown keys are errors at every level', () => {
    expect(err({ atoll: 1 })).toBe('msport.config.json: unknown key atoll (expected one of: $schema, atol, rtol, seed, samples, shapes, inputs, acceptNoise, models)');
    expect(err({ models: { 'a.onnx': { skip: {} } } })).toMatch(/^msport\.config\.json: unknown key models\["a\.onnx"\]\.skip \(expected one of: atol, .*expectFail\)$/);
    expect(err({ models: { m: { layerTolerances: { c: { reason: 'r', tol: 1 } } } } })).toBe('msport.config.json: unknown key models.m.layerTolerances.c.tol (expected one of: atol, rtol, reason)');
    expect(err({ models: { m: { models: {} } } })).toMatch(/unknown key models\.m\.models/);
  });
});

describe('settingsFor', () => {
  const cfgDir = () => join(root, 'proj');
  const loaded = (): LoadedConfig => ({
    path: join(cfgDir(), 'msport.config.json'),
    config: {
      atol: 1e-3, seed: 5, shapes: { input: [1, 3, 32, 32] }, inputs: { mask: 'data/mask.npy', sr: '16000' },
      models: {
        'zoo/**/*.onnx': { rtol: 0.01, samples: 2 },
        '*.bn.onnx': { atol: 2e-3, skipOutputs: { aux: 'train-only head' } },
        'zoo/resnet18.bn.onnx': { shapes: { input: [4, 3, 32, 32] }, layerTolerances: { 'layer4.1': { atol: 0.05, reason: 'deep' }, fc: { reason: 'r' } }, expectFail: 'known #7' },
      },
    },
  });

  it('defaults when there is no config', () => {
    const s = settingsFor({ path: null, config: {} }, 'm.onnx', {}, root);
    expect(s).toMatchObject({ atol: 1e-4, rtol: 1e-3, seed: 0, samples: null, expectFail: null, acceptNoise: false, matched: [] });
    // acceptNoise: top level, then a matching model entry
    expect(settingsFor({ path: join(root, 'msport.config.json'), config: { acceptNoise: true, models: { 'b.onnx': { acceptNoise: false } } } }, 'a.onnx', {}, root).acceptNoise).toBe(true);
    expect(settingsFor({ path: join(root, 'msport.config.json'), config: { acceptNoise: true, models: { 'b.onnx': { acceptNoise: false } } } }, 'b.onnx', {}, root).acceptNoise).toBe(false);
    expect(s.sources).toEqual({ atol: 'default', rtol: 'default', seed: 'default', samples: 'default' });
  });

  it('top-level < matching model entries in order < explicit flags', () => {
    const s = settingsFor(loaded(), 'zoo/resnet18.bn.onnx', {}, cfgDir());
    expect(s.matched).toEqual(['zoo/**/*.onnx', '*.bn.onnx', 'zoo/resnet18.bn.onnx']);
    expect(s).toMatchObject({ atol: 2e-3, rtol: 0.01, seed: 5, samples: 2, expectFail: 'known #7' });
    expect(s.sources).toEqual({ atol: 'model', rtol: 'model', seed: 'config', samples: 'model' });
    expect(s.shapes).toEqual(new Map([['input', [4, 3, 32, 32]]]));
    expect(s.skipOutputs).toEqual(new Map([['aux', 'train-only head']]));
    expect(s.layerTolerances).toEqual(new Map([['layer4.1', { atol: 0.05, rtol: 0.01, reason: 'deep' }], ['fc', { atol: 2e-3, rtol: 0.01, reason: 'r' }]]));

    const f = settingsFor(loaded(), 'zoo/resnet18.bn.onnx', { atol: 0, seed: 0, shapes: new Map([['input', [8, 3, 32, 32]]]), inputs: { input: 'x.npy' } }, cfgDir());
    expect(f).toMatchObject({ atol: 0, rtol: 0.01, seed: 0 });
    expect(f.sources.atol).toBe('flag');
    expect(f.shapes.get('input')).toEqual([8, 3, 32, 32]);
    expect(f.inputs).toEqual(new Map([['mask', join(cfgDir(), 'data/mask.npy')], ['sr', '16000'], ['input', 'x.npy']]));
  });

  it('config paths resolve against the config folder, wherever msport runs', () => {
    const sub = join(cfgDir(), 'zoo');
    const s = settingsFor(loaded(), 'resnet18.bn.onnx', {}, sub); // same model, run from inside zoo/
    expect(s.matched).toEqual(['zoo/**/*.onnx', '*.bn.onnx', 'zoo/resnet18.bn.onnx']);
    expect(s.inputs.get('mask')).toBe(join(cfgDir(), 'data/mask.npy'));
    // a number fills the input: it is not a path to resolve
    expect(s.inputs.get('sr')).toBe('16000');
    expect(settingsFor(loaded(), join(cfgDir(), 'zoo/resnet18.bn.onnx'), {}, '/').matched).toHaveLength(3);
  });

  it('bare-name keys match the file name anywhere under the config folder, and nothing outside it', () => {
    expect(settingsFor(loaded(), 'deep/er/x.bn.onnx', {}, cfgDir()).matched).toEqual(['*.bn.onnx']);
    expect(settingsFor(loaded(), 'x.onnx', {}, cfgDir()).matched).toEqual([]);
    expect(settingsFor(loaded(), join(root, 'elsewhere/x.bn.onnx'), {}, cfgDir()).matched).toEqual([]);
    expect(settingsFor(loaded(), 'other/resnet18.bn.onnx', {}, cfgDir()).matched).toEqual(['*.bn.onnx']); // path key needs zoo/
  });
});

describe('explicitFlags', () => {
  it('returns only options given on the command line, not commander defaults', async () => {
    const run = async (argv: string[]) => {
      let got = {};
      const cmd = new Command('x').exitOverride()
        .addOption(new Option('--atol <n>').argParser(Number).default(1e-4))
        .addOption(new Option('--rtol <n>').argParser(Number).default(1e-3))
        .addOption(new Option('--seed <n>').argParser(Number).default(0))
        .action((_o, c: Command) => { got = explicitFlags(c); });
      await cmd.parseAsync(argv, { from: 'user' });
      return got;
    };
    expect(await run([])).toEqual({});
    expect(await run(['--rtol', '0.5'])).toEqual({ rtol: 0.5 });
    expect(await run(['--atol', '0', '--seed', '3'])).toEqual({ atol: 0, seed: 3 });
  });
});
