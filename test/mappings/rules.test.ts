/** The mapping tables are data; check them like ESLint checks its rule files. */
import { describe, expect, it } from 'vitest';
import { nnRules } from '../../src/mappings/nn.js';
import { functionalRules } from '../../src/mappings/functional.js';
import { allRules, findRule, msParamName, rule } from '../../src/mappings/index.js';
import type { MappingRule } from '../../src/mappings/types.js';

const KNOWN_FIELDS = new Set(['float16', 'torch', 'ms', 'kind', 'args', 'defaults', 'params', 'msOnlyParams', 'torchOnlyBuffers', 'layout', 'notSupported', 'notes', 'consequence', 'doc', 'versions', 'onnx']);
const ARG_FIELDS = new Set(['torch', 'ms', 'note']);
const DEFAULT_FIELDS = new Set(['arg', 'torch', 'ms', 'effect', 'note']);
const PARAM_FIELDS = new Set(['torch', 'ms']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The APIs the mapping layer must cover (the port checklist); the report and the importer rely on these names. */
const REQUIRED = [
  'torch.nn.Conv1d', 'torch.nn.Conv2d', 'torch.nn.Conv3d', 'torch.nn.ConvTranspose2d', 'torch.nn.Linear',
  'torch.nn.BatchNorm1d', 'torch.nn.BatchNorm2d', 'torch.nn.LayerNorm', 'torch.nn.GroupNorm', 'torch.nn.InstanceNorm2d',
  'torch.nn.MaxPool2d', 'torch.nn.AvgPool2d', 'torch.nn.AdaptiveAvgPool2d', 'torch.nn.AdaptiveMaxPool2d', 'torch.nn.Dropout',
  'torch.nn.ReLU', 'torch.nn.ReLU6', 'torch.nn.LeakyReLU', 'torch.nn.PReLU', 'torch.nn.ELU', 'torch.nn.GELU', 'torch.nn.SiLU',
  'torch.nn.Hardswish', 'torch.nn.Hardsigmoid', 'torch.nn.Sigmoid', 'torch.nn.Tanh', 'torch.nn.Softmax', 'torch.nn.LogSoftmax',
  'torch.nn.Flatten', 'torch.nn.Embedding', 'torch.nn.LSTM', 'torch.nn.GRU', 'torch.nn.MultiheadAttention', 'torch.nn.Upsample',
  'torch.nn.functional.interpolate', 'torch.nn.functional.pad', 'torch.nn.Identity', 'torch.nn.Sequential', 'torch.nn.ModuleList',
  'torch.flatten', 'torch.transpose', 'torch.permute', 'torch.gather', 'torch.index_select', 'torch.std', 'torch.var', 'torch.max',
  'torch.cat', 'torch.nn.functional.dropout', 'torch.nn.functional.gelu', 'torch.nn.functional.softmax', 'torch.mean',
  // already used by the importer
  'torch.Tensor.view', 'torch.add', 'torch.chunk', 'torch.clamp', 'torch.div', 'torch.erf', 'torch.matmul', 'torch.mul', 'torch.pow',
  'torch.sigmoid', 'torch.slice', 'torch.softmax', 'torch.sqrt', 'torch.sub',
];

/** Default-difference ids the importer (`keepMsDefault`) and the report refer to. */
const PINNED_DEFAULT_IDS: Record<string, string[]> = {
  'torch.nn.Conv1d': ['pad_mode', 'has_bias', 'padding'],
  'torch.nn.Conv2d': ['pad_mode', 'has_bias', 'padding'],
  'torch.nn.BatchNorm1d': ['momentum'],
  'torch.nn.BatchNorm2d': ['momentum'],
  'torch.nn.MaxPool2d': ['stride', 'pad_mode'],
  'torch.nn.AvgPool2d': ['stride', 'pad_mode'],
  'torch.nn.GELU': ['approximate'],
  'torch.nn.Softmax': ['axis'],
  'torch.flatten': ['start_dim'],
};

const ruleOf = (torch: string): MappingRule => {
  const r = allRules.find(x => x.torch === torch);
  if (!r) throw new Error(`no rule for ${torch}`);
  return r;
};

describe('mapping rules: structure', () => {
  for (const [file, rules] of [['nn.ts', nnRules], ['functional.ts', functionalRules]] as [string, readonly MappingRule[]][]) {
    it(`${file} is sorted by torch name`, () => {
      const names = rules.map(r => r.torch);
      expect(names).toEqual([...names].sort()); // code-point order, as the files list them
    });
  }

  it('has no duplicate torch names', () => {
    expect(new Set(allRules.map(r => r.torch)).size).toBe(allRules.length);
  });

  it('uses only known fields, at every level', () => {
    for (const r of allRules) {
      for (const k of Object.keys(r)) expect(KNOWN_FIELDS.has(k), `${r.torch}.${k}`).toBe(true);
      for (const a of r.args ?? []) for (const k of Object.keys(a)) expect(ARG_FIELDS.has(k), `${r.torch} args.${k}`).toBe(true);
      for (const d of r.defaults ?? []) for (const k of Object.keys(d)) expect(DEFAULT_FIELDS.has(k), `${r.torch} defaults.${k}`).toBe(true);
      for (const p of r.params ?? []) for (const k of Object.keys(p)) expect(PARAM_FIELDS.has(k), `${r.torch} params.${k}`).toBe(true);
    }
  });

  it('names are full dotted API names, kinds match them, and versions are ranges', () => {
    for (const r of allRules) {
      expect(r.torch).toMatch(/^torch\.[A-Za-z_][\w.]*$/);
      expect(r.ms).toMatch(/^mindspore\.[A-Za-z_][\w.]*$/);
      expect(r.versions).toMatch(/^(?:[<>]=?|=)\d+\.\d+(?:\.\d+)?(?: (?:[<>]=?|=)\d+\.\d+(?:\.\d+)?)*$/);
      if (r.kind === 'cell') expect(r.ms, r.torch).toMatch(/^mindspore\.nn\.[A-Z]/);
      if (r.kind === 'function') expect(r.ms, r.torch).toMatch(/^mindspore\.ops\./);
      if (r.kind === 'tensor-method') expect(r.ms, r.torch).toMatch(/^mindspore\.Tensor\./);
    }
  });
});

describe('mapping rules: content', () => {
  it('every rule has a one-line consequence and a doc link on mindspore.cn', () => {
    for (const r of allRules) {
      expect(r.consequence.length, r.torch).toBeGreaterThan(5);
      expect(r.consequence, r.torch).not.toMatch(/\n/);
      expect(r.consequence, r.torch).toMatch(/[.)]$/);
      const url = new URL(r.doc);
      expect(url.protocol, r.torch).toBe('https:');
      expect(url.hostname, r.torch).toMatch(/(^|\.)mindspore\.cn$/);
      expect(url.pathname, r.torch).toMatch(/^\/docs\/en\/r2\.4\.1\/(note\/api_mapping\/pytorch_diff|api_python)\/.+\.html$/);
    }
  });

  it('every default difference states both values, an effect and what to do', () => {
    for (const r of allRules) for (const d of r.defaults ?? []) {
      const where = `${r.torch} ${d.arg}`;
      expect(d.torch, where).not.toBeUndefined();
      expect(d.ms, where).not.toBeUndefined();
      expect(d.torch, where).not.toEqual(d.ms);
      expect(['forward', 'training', 'init'], where).toContain(d.effect);
      expect(d.note.length, where).toBeGreaterThan(5);
      expect(d.arg, where).toMatch(IDENT);
    }
  });

  it('default-difference ids are unique within a rule', () => {
    for (const r of allRules) {
      const ids = (r.defaults ?? []).map(d => d.arg);
      expect(new Set(ids).size, r.torch).toBe(ids.length);
    }
  });

  it('every parameter rename maps to a valid MindSpore identifier, once per PyTorch name', () => {
    for (const r of allRules) {
      const torchNames = (r.params ?? []).map(p => p.torch);
      expect(new Set(torchNames).size, r.torch).toBe(torchNames.length);
      for (const p of r.params ?? []) {
        expect(p.torch, r.torch).toMatch(IDENT);
        expect(p.ms, r.torch).toMatch(IDENT);
      }
    }
  });

  it('argument renames name both sides; unsupported arguments and notes are non-empty and unique', () => {
    for (const r of allRules) {
      for (const a of r.args ?? []) {
        expect(a.torch, r.torch).toMatch(/^_?[a-z][a-z0-9_]*$/);
        expect(a.ms, r.torch).toMatch(/^[a-z][a-z0-9_]*$/);
      }
      for (const list of [r.notSupported ?? [], r.notes ?? [], r.onnx ?? []]) {
        expect(new Set(list).size, r.torch).toBe(list.length);
        for (const s of list) expect(s.trim().length, r.torch).toBeGreaterThan(0);
      }
      for (const op of r.onnx ?? []) expect(op, r.torch).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });

  it('an "unverified" note says what is unverified', () => {
    for (const r of allRules) for (const n of r.notes ?? []) if (/unverified/i.test(n)) expect(n, r.torch).toMatch(/^unverified( for r[\d.]+)?: \S/);
  });

  it('covers every API on the port checklist', () => {
    const have = new Set(allRules.map(r => r.torch));
    expect(REQUIRED.filter(t => !have.has(t))).toEqual([]);
  });

  it('keeps the default-difference ids the importer and the report refer to', () => {
    for (const [torch, ids] of Object.entries(PINNED_DEFAULT_IDS)) {
      const have = (ruleOf(torch).defaults ?? []).map(d => d.arg);
      for (const id of ids) expect(have, `${torch}#${id}`).toContain(id);
    }
  });
});

describe('mapping rules: facts that are easy to get wrong', () => {
  const params = (torch: string) => Object.fromEntries((ruleOf(torch).params ?? []).map(p => [p.torch, p.ms]));
  const dflt = (torch: string, arg: string) => ruleOf(torch).defaults?.find(d => d.arg === arg);

  it('BatchNorm renames all four tensors to MindSpore names and inverts momentum', () => {
    for (const bn of ['torch.nn.BatchNorm1d', 'torch.nn.BatchNorm2d']) {
      expect(params(bn)).toEqual({ weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' });
      expect(dflt(bn, 'momentum')).toMatchObject({ torch: 0.1, ms: 0.9, effect: 'training' });
    }
  });

  it('norm layers, Embedding and PReLU rename weight', () => {
    for (const n of ['torch.nn.LayerNorm', 'torch.nn.GroupNorm', 'torch.nn.InstanceNorm2d']) expect(params(n)).toEqual({ weight: 'gamma', bias: 'beta' });
    expect(params('torch.nn.Embedding')).toEqual({ weight: 'embedding_table' });
    expect(params('torch.nn.PReLU')).toEqual({ weight: 'w' });
  });

  it('records the defaults that change the forward pass', () => {
    expect(dflt('torch.nn.Conv2d', 'pad_mode')).toMatchObject({ ms: 'same', effect: 'forward' });
    expect(dflt('torch.nn.Conv2d', 'has_bias')).toMatchObject({ torch: true, ms: false, effect: 'forward' });
    expect(dflt('torch.nn.LayerNorm', 'epsilon')).toMatchObject({ torch: 1e-5, ms: 1e-7, effect: 'forward' });
    expect(dflt('torch.nn.LeakyReLU', 'alpha')).toMatchObject({ torch: 0.01, ms: 0.2, effect: 'forward' });
    expect(dflt('torch.nn.GELU', 'approximate')).toMatchObject({ torch: 'none', ms: true, effect: 'forward' });
    expect(dflt('torch.flatten', 'start_dim')).toMatchObject({ torch: 0, ms: 1 });
    expect(dflt('torch.std', 'ddof')).toMatchObject({ ms: 0, effect: 'forward' });
    expect(dflt('torch.var', 'ddof')).toMatchObject({ ms: 0, effect: 'forward' });
    expect(dflt('torch.nn.InstanceNorm2d', 'affine')).toMatchObject({ torch: false, ms: true, effect: 'training' });
    expect(dflt('torch.nn.Embedding', 'embedding_table')).toMatchObject({ effect: 'init' });
  });

  it('maps the look-alike functions to the right MindSpore ops', () => {
    expect(ruleOf('torch.transpose').ms).toBe('mindspore.ops.swapaxes');
    expect(ruleOf('torch.permute').ms).toBe('mindspore.ops.transpose');
    expect(ruleOf('torch.gather').ms).toBe('mindspore.ops.gather_elements');
    expect(ruleOf('torch.index_select').ms).toBe('mindspore.ops.gather');
  });

  it('lists what MindSpore cannot express', () => {
    expect(ruleOf('torch.nn.LSTM').notSupported).toContain('proj_size');
    expect(ruleOf('torch.nn.functional.pad').notSupported).toContain("mode='circular'");
    expect(ruleOf('torch.nn.Conv2d').notSupported?.join(' ')).toMatch(/circular/);
    expect(ruleOf('torch.nn.ELU').notSupported?.join(' ')).toMatch(/alpha/);
  });

  it('records the Conv1d kernel layout and the LSTM/GRU gate order', () => {
    expect(ruleOf('torch.nn.Conv1d').layout).toMatch(/\[out, in\/group, 1, k\]/);
    expect(ruleOf('torch.nn.LSTM').layout).toMatch(/\(i, f, g, o\)/);
    expect(ruleOf('torch.nn.GRU').layout).toMatch(/\(r, z, n\)/);
  });
});

describe('rule() and msParamName()', () => {
  it('rule() returns the entry for a torch name', () => {
    expect(rule('torch.nn.Linear').ms).toBe('mindspore.nn.Dense');
    expect(rule('torch.nn.ConvTranspose2d').ms).toBe('mindspore.nn.Conv2dTranspose');
    expect(rule('torch.nn.Sequential').ms).toBe('mindspore.nn.SequentialCell');
    expect(rule('torch.nn.ModuleList').ms).toBe('mindspore.nn.CellList');
    for (const r of allRules) expect(rule(r.torch as Parameters<typeof rule>[0])).toBe(r);
  });

  it('msParamName() renames listed parameters and passes others through', () => {
    expect(msParamName('torch.nn.BatchNorm2d', 'running_var')).toBe('moving_variance');
    expect(msParamName('torch.nn.BatchNorm1d', 'weight')).toBe('gamma');
    expect(msParamName('torch.nn.Embedding', 'weight')).toBe('embedding_table');
    expect(msParamName('torch.nn.PReLU', 'weight')).toBe('w');
    expect(msParamName('torch.nn.Conv2d', 'weight')).toBe('weight');
    expect(msParamName('torch.nn.BatchNorm2d', 'num_batches_tracked')).toBe('num_batches_tracked');
    expect(msParamName('torch.nn.ReLU', 'anything')).toBe('anything');
  });

  it('findRule() accepts full names and unique suffixes', () => {
    expect(findRule('torch.nn.Conv2d')?.ms).toBe('mindspore.nn.Conv2d');
    expect(findRule('Conv2d')?.torch).toBe('torch.nn.Conv2d');
    expect(findRule('functional.pad')?.torch).toBe('torch.nn.functional.pad');
    expect(findRule('flatten')?.torch).toBe('torch.flatten');
    expect(findRule('softmax')).toBeUndefined(); // torch.softmax and torch.nn.functional.softmax
    expect(findRule('NoSuchLayer')).toBeUndefined();
  });
});
