/**
 * Project configuration for `msport check`: `msport.config.json`, or a `"msport"` key in `package.json`, found by
 * walking up from the working folder (in each folder `msport.config.json` is looked for first; the first config found
 * wins; the walk stops at the filesystem root). Every key is validated by hand; a problem is one line naming the file
 * and the key path (`msport.config.json: models["resnet.onnx"].atol must be a non-negative number`). Unknown keys are
 * errors, so a typo never silently loosens a gate.
 *
 * Precedence for one model: built-in defaults < top-level config < matching `models` entries (in the order written;
 * later entries override earlier ones, per key, and per input/output name for maps) < flags given explicitly on the
 * command line.
 *
 * `models` keys are paths or globs (`*`, `?`, `**`) relative to the config file's folder. A key without `/` matches the
 * model's file name in any folder under the config's folder (as in .gitignore): `"*.bn.onnx"`, `"resnet18.onnx"`.
 * `inputs` files resolve relative to the folder of the config that names them; `--input` flags relative to the
 * working folder.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { DEFAULT_TOLERANCE } from '../check.js';
import { matchGlob } from './models.js';
import { isLiteralInput } from '../compare/inputs.js';

export const CONFIG_FILE = 'msport.config.json';

export interface LayerTolerance { atol?: number; rtol?: number; reason: string }

export interface CommonSettings {
  atol?: number;
  rtol?: number;
  seed?: number;
  /** how many random input samples to check (the lead's multi-sample mode) */
  samples?: number;
  /** concrete dims by input name */
  shapes?: Record<string, number[]>;
  /** .npy file by input name */
  inputs?: Record<string, string>;
  /** pass a failure the per-layer pass finds to be float noise only (`--accept-noise`; float16 noise for a float16 model) */
  acceptNoise?: boolean;
}

export interface ModelConfig extends CommonSettings {
  /** outputs left out of the gate, with the reason */
  skipOutputs?: Record<string, string>;
  /** looser tolerances for named layers, with the reason */
  layerTolerances?: Record<string, LayerTolerance>;
  /** the model is known to fail parity, with the reason; it gates as passing while it fails, and failing once it passes */
  expectFail?: string;
}

export interface MsportConfig extends CommonSettings {
  $schema?: string;
  models?: Record<string, ModelConfig>;
}

export interface LoadedConfig {
  /** absolute path of the file the config came from (`msport.config.json` or `package.json`); null when none */
  path: string | null;
  config: MsportConfig;
}

/** Flags the user gave explicitly (commander defaults must not be passed: they would override the config). */
export interface CliFlags {
  atol?: number;
  rtol?: number;
  seed?: number;
  samples?: number;
  shapes?: Map<string, number[]> | Record<string, number[]>;
  inputs?: Map<string, string> | Record<string, string>;
}

export type SettingSource = 'default' | 'config' | 'model' | 'flag';

export interface ModelSettings {
  atol: number;
  rtol: number;
  seed: number;
  samples: number | null;
  shapes: Map<string, number[]>;
  /** .npy paths, resolved: config paths against the config's folder, flag paths as given */
  inputs: Map<string, string>;
  skipOutputs: Map<string, string>;
  /** with atol/rtol filled in from the model's tolerance when the entry leaves them out */
  layerTolerances: Map<string, { atol: number; rtol: number; reason: string }>;
  expectFail: string | null;
  acceptNoise: boolean;
  /** the `models` keys that matched, in the order applied */
  matched: string[];
  /** where atol, rtol, seed and samples came from */
  sources: Record<'atol' | 'rtol' | 'seed' | 'samples', SettingSource>;
}

// ---------------------------------------------------------------------------------------------------------------
// validation

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const keyPath = (base: string, key: string): string => (IDENT.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Validator {
  constructor(private readonly where: string) {}

  fail(path: string, msg: string): never {
    throw new UsageError(`${this.where}: ${path} ${msg}`);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (!isObject(v)) this.fail(path, 'must be an object');
    return v;
  }

  keys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) throw new UsageError(`${this.where}: unknown key ${keyPath(path, k)} (expected one of: ${allowed.join(', ')})`);
    }
  }

  nonNegative(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(path, 'must be a non-negative number');
    return v;
  }

  seed(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) this.fail(path, 'must be an integer in [0, 2^32)');
    return v;
  }

  positiveInt(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(path, 'must be a positive integer');
    return v;
  }

  reason(v: unknown, path: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, 'must be a non-empty string (the reason)');
    return v;
  }

  record<T>(v: unknown, path: string, each: (x: unknown, p: string) => T): Record<string, T> {
    const o = this.object(v, path);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === '') this.fail(`${path}[""]`, 'is an empty name');
      out[k] = each(x, keyPath(path, k));
    }
    return out;
  }

  dims(v: unknown, path: string): number[] {
    if (!Array.isArray(v) || v.some(d => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) this.fail(path, 'must be an array of non-negative integers');
    return [...(v as number[])];
  }

  npyPath(v: unknown, path: string): string {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string' || v === '') this.fail(path, 'must be a non-empty string (a .npy file path) or a number');
    return v;
  }

  common(o: Record<string, unknown>, path: string, out: CommonSettings): void {
    const p = (k: string) => keyPath(path, k);
    if (o.atol !== undefined) out.atol = this.nonNegative(o.atol, p('atol'));
    if (o.rtol !== undefined) out.rtol = this.nonNegative(o.rtol, p('rtol'));
    if (o.seed !== undefined) out.seed = this.seed(o.seed, p('seed'));
    if (o.samples !== undefined) out.samples = this.positiveInt(o.samples, p('samples'));
    if (o.shapes !== undefined) out.shapes = this.record(o.shapes, p('shapes'), (x, q) => this.dims(x, q));
    if (o.inputs !== undefined) out.inputs = this.record(o.inputs, p('inputs'), (x, q) => this.npyPath(x, q));
    if (o.acceptNoise !== undefined) {
      if (typeof o.acceptNoise !== 'boolean') this.fail(p('acceptNoise'), 'must be true or false');
      out.acceptNoise = o.acceptNoise;
    }
  }
}

const COMMON_KEYS = ['atol', 'rtol', 'seed', 'samples', 'shapes', 'inputs', 'acceptNoise'] as const;
const TOP_KEYS = ['$schema', ...COMMON_KEYS, 'models'] as const;
const MODEL_KEYS = [...COMMON_KEYS, 'skipOutputs', 'layerTolerances', 'expectFail'] as const;
const LAYER_KEYS = ['atol', 'rtol', 'reason'] as const;

/**
 * Check a parsed config against the schema in the module comment; `file` prefixes every message, `root` is the key
 * path of the config inside that file (`msport` in package.json).
 */
export function validateConfig(raw: unknown, file: string, root = ''): MsportConfig {
  const v: Validator = new Validator(file);
  if (!isObject(raw)) v.fail(root || '(top level)', 'must be an object');
  v.keys(raw, root, TOP_KEYS);
  const out: MsportConfig = {};
  if (raw.$schema !== undefined) {
    if (typeof raw.$schema !== 'string') v.fail(keyPath(root, '$schema'), 'must be a string');
    out.$schema = raw.$schema;
  }
  v.common(raw, root, out);
  if (raw.models !== undefined) {
    out.models = v.record(raw.models, keyPath(root, 'models'), (m, path) => {
      const o = v.object(m, path);
      v.keys(o, path, MODEL_KEYS);
      const mc: ModelConfig = {};
      v.common(o, path, mc);
      if (o.skipOutputs !== undefined) mc.skipOutputs = v.record(o.skipOutputs, keyPath(path, 'skipOutputs'), (x, q) => v.reason(x, q));
      if (o.layerTolerances !== undefined) {
        mc.layerTolerances = v.record(o.layerTolerances, keyPath(path, 'layerTolerances'), (x, q) => {
          const lo = v.object(x, q);
          v.keys(lo, q, LAYER_KEYS);
          if (lo.reason === undefined) v.fail(keyPath(q, 'reason'), 'is required (say why this layer needs its own tolerance)');
          const lt: LayerTolerance = { reason: v.reason(lo.reason, keyPath(q, 'reason')) };
          if (lo.atol !== undefined) lt.atol = v.nonNegative(lo.atol, keyPath(q, 'atol'));
          if (lo.rtol !== undefined) lt.rtol = v.nonNegative(lo.rtol, keyPath(q, 'rtol'));
          return lt;
        });
      }
      if (o.expectFail !== undefined) mc.expectFail = v.reason(o.expectFail, keyPath(path, 'expectFail'));
      return mc;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// loading

/** How a config file is named in messages: relative to the working folder when that is shorter. */
function displayName(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && rel.length < path.length ? rel : path;
}

function readJson(path: string, shown: string): unknown {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new UsageError(`${shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try { return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); } catch (e) {
    throw new UsageError(`${shown}: invalid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

const isFile = (p: string): boolean => { try { return statSync(p).isFile(); } catch { return false; } };

/** Read one config file: `msport.config.json`-style, or a `package.json` whose `"msport"` key holds the config. */
export function loadConfigFile(path: string, cwd: string = process.cwd()): LoadedConfig {
  const abs = resolve(cwd, path);
  const shown = displayName(abs, cwd);
  const raw = readJson(abs, shown);
  if (basename(abs) === 'package.json') {
    if (!isObject(raw) || raw.msport === undefined) throw new UsageError(`${shown}: has no "msport" key`);
    return { path: abs, config: validateConfig(raw.msport, shown, 'msport') };
  }
  return { path: abs, config: validateConfig(raw, shown) };
}

/**
 * Find and read the project config, walking up from `cwd`. A `package.json` without an `"msport"` key is passed over
 * (but one that is not valid JSON is an error: it might hold the config). No config gives `{ path: null, config: {} }`.
 */
export function loadConfig(cwd: string = process.cwd()): LoadedConfig {
  let dir = resolve(cwd);
  for (;;) {
    const own = join(dir, CONFIG_FILE);
    if (isFile(own)) return loadConfigFile(own, cwd);
    const pkg = join(dir, 'package.json');
    if (isFile(pkg)) {
      const raw = readJson(pkg, displayName(pkg, cwd));
      if (isObject(raw) && raw.msport !== undefined) return { path: pkg, config: validateConfig(raw.msport, displayName(pkg, cwd), 'msport') };
    }
    const up = dirname(dir);
    if (up === dir) return { path: null, config: {} };
    dir = up;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// merging

const toPosix = (p: string): string => p.split(sep).join('/');

/** Does a `models` key (relative to `base`, the config's folder) select the model at absolute path `abs`? */
export function modelKeyMatches(key: string, abs: string, base: string): boolean {
  const k = toPosix(key).replace(/^\.\//, '');
  const target = toPosix(abs);
  if (!k.includes('/')) {
    // .gitignore-style: a bare name matches the file name anywhere under the config's folder
    const rel = toPosix(relative(base, abs));
    if (rel.startsWith('../') || rel === '..' || isAbsolute(rel)) return false;
    const name = target.slice(target.lastIndexOf('/') + 1);
    return matchGlob(k, name);
  }
  const pattern = toPosix(isAbsolute(key) ? key : resolve(base, key));
  return pattern === target || matchGlob(pattern, target) || (k.endsWith('/') && target.startsWith(pattern + '/'));
}

const entries = <T>(m: Map<string, T> | Record<string, T> | undefined): [string, T][] => (m instanceof Map ? [...m] : Object.entries(m ?? {}));

/**
 * The settings for one model: defaults < top-level config < matching `models` entries < explicit flags.
 * `modelPath` is resolved against `cwd`; config paths against the config's folder.
 */
export function settingsFor(loaded: LoadedConfig, modelPath: string, cliFlags: CliFlags = {}, cwd: string = process.cwd()): ModelSettings {
  const base = loaded.path ? dirname(loaded.path) : resolve(cwd);
  const abs = resolve(cwd, modelPath);
  const cfg = loaded.config;
  const s: ModelSettings = {
    atol: DEFAULT_TOLERANCE.atol, rtol: DEFAULT_TOLERANCE.rtol, seed: 0, samples: null,
    shapes: new Map(), inputs: new Map(), skipOutputs: new Map(), layerTolerances: new Map(), expectFail: null, acceptNoise: false, matched: [],
    sources: { atol: 'default', rtol: 'default', seed: 'default', samples: 'default' },
  };
  const layerRaw = new Map<string, LayerTolerance>();
  const apply = (c: ModelConfig, source: SettingSource) => {
    for (const k of ['atol', 'rtol', 'seed', 'samples'] as const) {
      if (c[k] !== undefined) { s[k] = c[k]!; s.sources[k] = source; }
    }
    for (const [k, d] of entries(c.shapes)) s.shapes.set(k, [...d]);
    // a number fills the input; a path resolves against the config's folder
    for (const [k, f] of entries(c.inputs)) s.inputs.set(k, isLiteralInput(f) ? f : resolve(base, f));
    for (const [k, r] of entries(c.skipOutputs)) s.skipOutputs.set(k, r);
    for (const [k, t] of entries(c.layerTolerances)) layerRaw.set(k, { ...layerRaw.get(k), ...t });
    if (c.expectFail !== undefined) s.expectFail = c.expectFail;
    if (c.acceptNoise !== undefined) s.acceptNoise = c.acceptNoise;
  };
  apply(cfg, 'config');
  for (const [key, mc] of Object.entries(cfg.models ?? {})) {
    if (modelKeyMatches(key, abs, base)) { apply(mc, 'model'); s.matched.push(key); }
  }
  for (const k of ['atol', 'rtol', 'seed', 'samples'] as const) {
    if (cliFlags[k] !== undefined) { s[k] = cliFlags[k]!; s.sources[k] = 'flag'; }
  }
  for (const [k, d] of entries(cliFlags.shapes)) s.shapes.set(k, [...d]);
  for (const [k, f] of entries(cliFlags.inputs)) s.inputs.set(k, f);
  for (const [k, t] of layerRaw) s.layerTolerances.set(k, { atol: t.atol ?? s.atol, rtol: t.rtol ?? s.rtol, reason: t.reason });
  return s;
}

/**
 * The options a commander command received from the command line itself (not its defaults), for `settingsFor`.
 * `cmd` is the commander Command of `msport check`.
 */
export function explicitFlags(cmd: { getOptionValueSource(key: string): string | undefined; opts(): Record<string, unknown> }, names: readonly string[] = ['atol', 'rtol', 'seed', 'samples']): CliFlags {
  const o = cmd.opts();
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const src = cmd.getOptionValueSource(n);
    if (src === 'cli' || src === 'env') out[n] = o[n];
  }
  return out as CliFlags;
}
