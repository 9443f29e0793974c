/** The migration report is computed from the checked Cell tree; its measured consequences are real reruns. */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/report.js';
import { renderHtml, renderMarkdown } from '../../src/report/render.js';
import { inspect } from '../../src/inspect.js';
import { runCli } from '../helpers/cli.js';

const opts = { atol: 1e-4, rtol: 1e-3, seed: 0 };

describe('msport report', () => {
  it("seed Conv2d network: leaving pad_mode at 'same' gives (2, 240, 12, 12) instead of (2, 240, 9, 9)", async () => {
    const d = await buildReport('fixtures/models/seed_conv_relu.onnx', opts);
    const padMode = d.rules.find(r => r.torch === 'torch.nn.Conv2d' && r.arg === 'pad_mode')!;
    expect(padMode.layers).toEqual(['conv']);
    expect(padMode.measured).toEqual({ outcome: 'shape-mismatch', layer: 'conv', expectedShape: [2, 240, 9, 9], shape: [2, 240, 12, 12] });
    expect(d.layers[0]).toMatchObject({ name: 'conv', torchCall: 'nn.Conv2d(120, 240, 4, bias=False)', msCall: "nn.Conv2d(120, 240, 4, pad_mode='pad', has_bias=False)" });
    expect(d.layers[0]!.explicit.map(e => e.arg)).toContain('pad_mode');
  });

  it('activation modules get a row with the arguments that differ from MindSpore (LeakyReLU, LogSoftmax, ELU), measured', async () => {
    const row = async (f: string) => {
      const d = await buildReport(`fixtures/models/ops/${f}.onnx`, opts);
      const l = d.layers.find(x => x.name === 'act')!;
      return [l.torchCall, l.msCall, l.explicit.map(e => `${e.arg}=${e.value}`)];
    };
    expect(await row('leaky_relu_op13')).toEqual(['nn.LeakyReLU(negative_slope=0.1)', 'nn.LeakyReLU(alpha=0.1)', ['alpha=0.1']]);
    expect(await row('log_softmax_op13')).toEqual(['nn.LogSoftmax(dim=1)', 'nn.LogSoftmax(axis=1)', ['axis=1']]);
    expect(await row('elu_op13')).toEqual(['nn.ELU()', 'nn.ELU()', []]);
    // what leaving LeakyReLU's alpha at MindSpore's 0.2 does to this model is measured, not asserted
    const d = await buildReport('fixtures/models/ops/leaky_relu_op13.onnx', opts);
    const alpha = d.rules.find(r => r.torch === 'torch.nn.LeakyReLU' && r.arg === 'alpha')!;
    expect(alpha.layers).toEqual(['act']);
    expect(alpha.measured).toMatchObject({ outcome: 'value-diff', layer: 'act', passed: false });
  });

  it('the BatchNorm-folding note appears only where a Conv carries an exporter-made weight: not for RNN weights, not for kept BatchNorms', async () => {
    // a 2-layer GRU's weights all have exporter names (onnx::GRU_185): no Conv, so no folding to speak of
    expect((await buildReport('fixtures/models/ops/gru_l2_op13.onnx', opts)).notes).toEqual([]);
    expect((await buildReport('fixtures/models/seed_cnn.bn.onnx', opts)).notes).toEqual([]);
  });

  it('Conv3d and ConvTranspose2d defaults are measured (the report used to fail, or say nothing changed)', async () => {
    for (const [f, api] of [['conv3d_op13', 'torch.nn.Conv3d'], ['conv_transpose2d_op13', 'torch.nn.ConvTranspose2d']] as const) {
      const d = await buildReport(`fixtures/models/ops/${f}.onnx`, opts);
      for (const arg of ['pad_mode', 'has_bias']) {
        expect(d.rules.find(r => r.torch === api && r.arg === arg)!.measured, `${f} ${arg}`).toMatchObject({ outcome: 'value-diff', passed: false });
      }
    }
  });

  it('a PyTorch default of None is printed as Python writes it', async () => {
    const d = await buildReport('fixtures/models/ops/log_softmax_op13.onnx', opts);
    const md = renderMarkdown(d);
    expect(md).toMatch(/\| `torch.nn.LogSoftmax` \| `axis` \| None \| -1 \|/);
    expect(md).not.toMatch(/\| null \|/);
  });

  it('the name table gives each side\'s shape as it stores it, and an optimizer-made tensor\'s state_dict source', async () => {
    const d = await buildReport('fixtures/models/dynamo/whisper_tiny.onnx', opts);
    const conv = d.names.find(n => n.ms === 'model.encoder.conv1.weight')!;
    expect([conv.torchShape, conv.shape]).toEqual([[32, 8, 3], [32, 8, 1, 3]]);
    // the Linear's weight reaches the export transposed, as val_N with folded_from = proj_out.weight
    expect(d.names.find(n => n.ms === 'proj_out.weight')!.torch).toBe('proj_out.weight');
    expect(d.names.some(n => /^val_\d+$/.test(n.torch))).toBe(false);
  });

  it('TorchScript exports: an Embedding (a Gather in the module\'s own weight) and a decomposed GroupNorm are Cells with their names', async () => {
    const emb = await buildReport('fixtures/models/ops/embedding_op13.onnx', opts);
    expect(emb.names.find(n => n.torch === 'embed.weight')!.ms).toBe('embed.embedding_table');
    const gn = await buildReport('fixtures/models/ops/groupnorm_op13.onnx', opts);
    expect(gn.layers.map(l => [l.name, l.msCall])).toEqual([['norm', 'nn.GroupNorm(2, 8)']]);
    expect(gn.names.map(n => [n.torch, n.ms])).toEqual([['norm.weight', 'norm.gamma'], ['norm.bias', 'norm.beta']]);
  });

  it('functional ops with an API difference get rows: where they run and what differs (F.interpolate, F.pad, torch.cat)', async () => {
    const fn = async (f: string) => (await buildReport(`fixtures/models/ops/${f}.onnx`, opts)).functions;
    const interp = await fn('upsample_bilinear_op13');
    expect(interp.map(f => [f.torch, f.count, f.scopes])).toEqual([['torch.nn.functional.interpolate', 1, ['up']]]);
    expect(interp[0]!.notSupported.join()).toMatch(/scale_factor/);
    const pad = (await fn('pad_reflect_op13')).find(f => f.torch === 'torch.nn.functional.pad')!;
    expect(pad.args).toEqual(expect.arrayContaining([{ torch: 'pad', ms: 'padding' }]));
    expect((await fn('interp_size_bilinear_op13')).map(f => f.torch)).toContain('torch.cat');
    const md = renderMarkdown(await buildReport('fixtures/models/ops/pad_reflect_op13.onnx', opts));
    expect(md).toMatch(/## Functional ops with an API difference[\s\S]*`torch.nn.functional.pad` \| `mindspore.ops.pad` \| 1× in/);
  });

  it('ConvTranspose2d\'s PyTorch call has its padding and output_padding back (the importer folds one into the other)', async () => {
    const d = await buildReport('fixtures/models/ops/conv_transpose2d_op13.onnx', opts);
    expect(d.layers.find(l => l.name === 'deconv')!.torchCall).toBe('nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=2)');
  });

  it('a weight a functional op reads under an exporter-made name is reported (MHA\'s in_proj_weight as onnx::MatMul_100); masks are not', async () => {
    const mha = await buildReport('fixtures/models/ops/mha_batchfirst_op13.onnx', opts);
    expect(mha.notes.join(' ')).toMatch(/1 weight is read by functional ops under a name the exporter made.*`onnx::MatMul_\d+` \(32, 96\) in `self_attn`/);
    // BERT's precomputed attention mask (val_83, folded from FX nodes) is a constant, not a weight
    expect((await buildReport('fixtures/models/dynamo/bert_tiny.onnx', opts)).notes.join(' ')).not.toMatch(/under a name the exporter made/);
  });

  it('a default applied and changing nothing is "no effect" (symmetric padding in either order); MindSpore\'s own default is not printed', async () => {
    const d = await buildReport('fixtures/models/seed_cnn.bn.onnx', opts);
    const padding = d.rules.find(r => r.torch === 'torch.nn.Conv2d' && r.arg === 'padding')!;
    expect([padding.layers.length, padding.measured.outcome]).toEqual([2, 'no-effect']);
    // BatchNorm's momentum 0.9 (PyTorch's 0.1) is MindSpore's default: the call leaves it out
    expect(d.layers.filter(l => l.torchApi === 'torch.nn.BatchNorm2d').every(l => !l.msCall.includes('momentum'))).toBe(true);
    expect(d.layers.some(l => l.torchApi === 'torch.nn.BatchNorm2d')).toBe(true);
  });

  it('torch 2.9+ exports: a state_dict tensor the optimizer folded into a constant is named; a folded BatchNorm is said once, its bias marked as made', async () => {
    const gpt2 = await buildReport('fixtures/models/dynamo/gpt2_tiny.onnx', opts);
    expect(gpt2.notes.join(' ')).toMatch(/folded a state_dict tensor into constants of this input size.*`transformer\.wpe\.weight` \(into `embedding_1` \(1, 8, 32\)\)/);
    const blocks = await buildReport('fixtures/models/dynamo/resnet_blocks.onnx', opts);
    expect(blocks.notes.filter(n => /folded/.test(n)).length).toBe(6); // one per BatchNorm, from the importer
    expect(blocks.notes.some(n => /constant folding/.test(n))).toBe(false); // not the TorchScript note as well
    const names = new Map(blocks.names.map(n => [n.ms, n]));
    expect([names.get('0.weight')!.derived, names.get('0.bias')!.derived]).toEqual([false, true]); // `0.weight_bias` is no state_dict key
  });

  it('the name table lists state_dict entries MindSpore has no place for (BatchNorm\'s num_batches_tracked) as dropped', async () => {
    const d = await buildReport('fixtures/models/seed_cnn.bn.onnx', opts);
    const i = d.names.findIndex(n => n.torch === 'layer1.1.num_batches_tracked');
    expect(d.names[i]).toMatchObject({ ms: '', dropped: true, dtype: 'Int64' });
    expect(d.names[i - 1]!.ms).toBe('layer1.1.moving_variance'); // right after its BatchNorm's rows
    expect(renderMarkdown(d)).toContain('| `layer1.1.num_batches_tracked` | () | — (PyTorch only: drop it) |');
  });

  it('calls and names match the Cell tree that was checked', async () => {
    const file = 'fixtures/models/seed_cnn.bn.onnx';
    const d = await buildReport(file, opts);
    const tree = inspect(file);
    expect(d.layers.map(l => l.name)).toEqual(tree.cells.map(c => c.name));
    expect(d.layers.map(l => l.msApi)).toEqual(tree.cells.map(c => c.msApi));
    expect(d.names.filter(n => !n.dropped).map(n => n.ms).sort()).toEqual(tree.parameters.map(p => p.name).sort());
    const bn = new Map(d.names.map(n => [n.torch, n.ms]));
    expect(bn.get('layer1.1.running_var')).toBe('layer1.1.moving_variance');
    expect(bn.get('layer1.1.weight')).toBe('layer1.1.gamma');
    // MaxPool2d(kernel_size=2, stride=2): MindSpore's stride default 1 would change the shape
    const stride = d.rules.find(r => r.torch === 'torch.nn.MaxPool2d' && r.arg === 'stride')!;
    expect(stride.measured).toMatchObject({ outcome: 'shape-mismatch', layer: 'layer1.3', expectedShape: [1, 12, 20, 20], shape: [1, 12, 39, 39] });
    // momentum only matters in training
    const momentum = d.rules.find(r => r.arg === 'momentum')!;
    expect(momentum.measured.outcome).toBe('not-measured');
  });

  it('folded exports get the lost names back from the module path, and say BatchNorm was folded', async () => {
    const d = await buildReport('fixtures/models/seed_cnn.onnx', opts);
    expect(d.names.filter(n => n.derived).map(n => n.torch)).toEqual(['layer1.0.weight', 'layer1.0.bias', 'layer2.0.weight', 'layer2.0.bias']);
    expect(d.notes.join(' ')).toMatch(/folded a BatchNorm into 2 Convs `layer1.0`, `layer2.0`/);
  });

  it('renders markdown and one self-contained HTML file', async () => {
    const d = await buildReport('fixtures/models/seed_cnn.bn.onnx', opts);
    const md = renderMarkdown(d);
    expect(md).toContain("| `torch.nn.MaxPool2d` | `stride` |");
    const html = renderHtml(d);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link |src="http/);
  });

  it('-o writes the file; --format json is one object', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const out = join(mkdtempSync(join(tmpdir(), 'msport-report-')), 'r.json');
    const r = await runCli(['report', 'fixtures/models/seed_conv_relu.onnx', '--format', 'json', '-o', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ model: 'fixtures/models/seed_conv_relu.onnx', passed: true });
  });
});
