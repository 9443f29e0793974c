import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import chalk from 'chalk';
import { allRules, rule } from '../../src/mappings/index.js';
import { fmtDefault, renderApiEntry, renderApiTable } from '../../src/cli/reporters/api-text.js';

let level: typeof chalk.level;
beforeAll(() => { level = chalk.level; chalk.level = 0; });
afterAll(() => { chalk.level = level; });

describe('renderApiTable', () => {
  it('has one row per rule with torch → ms, kind, default count and consequence', () => {
    const rules = [rule('torch.nn.Conv2d'), rule('torch.nn.ReLU')];
    const out = renderApiTable(rules);
    expect(out).toContain('torch.nn.Conv2d → mindspore.nn.Conv2d');
    expect(out).toContain('torch.nn.ReLU → mindspore.nn.ReLU');
    expect(out).toMatch(/torch\.nn\.Conv2d → mindspore\.nn\.Conv2d\s*│\s*cell\s*│\s*3\s*│\s*Leaving MindSpore defaults/);
    expect(out).toMatch(/torch\.nn\.ReLU → mindspore\.nn\.ReLU\s*│\s*cell\s*│\s*0\s*│\s*None: drop inplace/);
    expect(out).toContain('2 APIs · 3 default differences (3 forward, 0 training, 0 init) · 2 unsupported arguments');
  });

  it('fits a given terminal width by wrapping the consequence column', () => {
    const out = renderApiTable(allRules, { width: 120 });
    for (const line of out.split('\n').slice(0, -1)) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('renders every rule (the report comes from the entries, nothing else)', () => {
    const out = renderApiTable(allRules);
    for (const r of allRules) expect(out).toContain(r.torch);
    expect(out).toContain(`${allRules.length} APIs`);
  });
});

describe('renderApiEntry', () => {
  it('shows everything about BatchNorm2d', () => {
    const out = renderApiEntry(rule('torch.nn.BatchNorm2d'));
    expect(out.split('\n')[0]).toBe('torch.nn.BatchNorm2d → mindspore.nn.BatchNorm2d');
    expect(out).toContain('cell · MindSpore >=2.1 <=2.10');
    expect(out).toContain('track_running_stats → use_batch_statistics');
    expect(out).toMatch(/momentum\s*│\s*0\.1\s*│\s*0\.9\s*│\s*training/);
    expect(out).toContain('running_var → moving_variance');
    expect(out).toContain('weight → gamma');
    expect(out).toContain('Not supported in MindSpore');
    expect(out).toContain('- num_batches_tracked has no counterpart; drop it from the state_dict.');
    expect(out).toContain('ONNX  BatchNormalization');
    expect(out).toContain('Docs  https://www.mindspore.cn/docs/en/r2.4.1/note/api_mapping/pytorch_diff/BatchNorm2d.html');
  });

  it('shows layout, Python-style defaults and omits empty sections', () => {
    const conv1d = renderApiEntry(rule('torch.nn.Conv1d'));
    expect(conv1d).toContain('Weight layout');
    expect(conv1d).toContain('[out, in/group, 1, k]');
    expect(conv1d).toMatch(/has_bias\s*│\s*True\s*│\s*False\s*│\s*forward/);
    expect(conv1d).toContain('weight (same name)');

    const layerNorm = renderApiEntry(rule('torch.nn.LayerNorm'));
    expect(layerNorm).toMatch(/epsilon\s*│\s*1e-5\s*│\s*1e-7/);

    const relu = renderApiEntry(rule('torch.nn.ReLU'));
    expect(relu).not.toContain('Default differences');
    expect(relu).not.toContain('Weight layout');
    expect(relu).not.toContain('Parameters');
  });

  it('renders every rule without throwing', () => {
    for (const r of allRules) expect(renderApiEntry(r)).toContain(r.consequence);
  });
});

describe('fmtDefault', () => {
  it('prints Python literals', () => {
    expect(fmtDefault(null)).toBe('None');
    expect(fmtDefault(true)).toBe('True');
    expect(fmtDefault(1e-7)).toBe('1e-7');
    expect(fmtDefault(0.9)).toBe('0.9');
    expect(fmtDefault(0)).toBe('0');
    expect(fmtDefault('same')).toBe('same');
  });
});
