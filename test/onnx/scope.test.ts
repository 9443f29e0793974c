import { describe, expect, it } from 'vitest';
import { nodeScope, scopeOf } from '../../src/onnx/scope.js';

describe('module scopes from node names', () => {
  it('strips the Sequential parent prefix', () => {
    expect(scopeOf('/layer1/layer1.0/conv1/Conv')).toEqual({ path: ['layer1', '0', 'conv1'], leaf: 'Conv' });
  });
  it('keeps plain attribute names', () => {
    expect(scopeOf('/features/denseblock1/denselayer1/norm1/BatchNormalization')).toEqual({ path: ['features', 'denseblock1', 'denselayer1', 'norm1'], leaf: 'BatchNormalization' });
  });
  it('root-level and unscoped names', () => {
    expect(scopeOf('/Reshape')).toEqual({ path: [], leaf: 'Reshape' });
    expect(scopeOf('Constant_11')).toEqual({ path: [], leaf: 'Constant_11' });
  });
});

describe('ModuleList children', () => {
  it('`layers.0` under `encoder` is two steps, matching the state_dict prefix encoder.layers.0', () => {
    expect(scopeOf('/encoder/layers.0/self_attn/MatMul')).toEqual({ path: ['encoder', 'layers', '0', 'self_attn'], leaf: 'MatMul' });
  });
});

describe('module scopes from a node\'s weight', () => {
  const meta = (scopes: string[], classes: string[]) => new Map([
    ['pkg.torch.onnx.name_scopes', `[${scopes.map(s => `'${s}'`).join(', ')}]`],
    ['pkg.torch.onnx.class_hierarchy', `[${classes.map(s => `'${s}'`).join(', ')}]`],
  ]);
  const inits = (...names: string[]) => (n: string) => names.includes(n);

  it('torch <= 1.12 names nodes Conv_12: the weight\'s state_dict name gives the module (Gather reads its table first)', () => {
    expect(nodeScope({ name: 'Conv_12', opType: 'Conv', inputs: ['x', 'model.encoder.3.0.dw_conv.0.weight'] }, inits('model.encoder.3.0.dw_conv.0.weight')))
      .toEqual({ path: ['model', 'encoder', '3', '0', 'dw_conv', '0'], leaf: 'Conv_12', weightOwner: true });
    expect(nodeScope({ name: 'Gather_3', opType: 'Gather', inputs: ['emb.weight', 'ids'] }, inits('emb.weight')).path).toEqual(['emb']);
    // an exporter-made name (a folded constant) says nothing
    expect(nodeScope({ name: 'Conv_13', opType: 'Conv', inputs: ['x', '1122'] }, inits('1122'))).toEqual({ path: [], leaf: 'Conv_13' });
  });

  it('a Conv folded into a BatchNorm subclass\'s scope (timm\'s BatchNormAct2d) is placed at its weight\'s module', () => {
    const node = { name: 'node_conv', opType: 'Conv', inputs: ['x', 'stem.conv.weight', 'stem.conv.weight_bias'],
      metadata: meta(['', 'stem', 'stem.bn', 'bn_fx'], ['timm.models.mobilevit.MobileVit', 'timm.layers.conv_bn_act.ConvNormAct', 'timm.layers.norm_act.BatchNormAct2d', 'aten.bn']) };
    const s = nodeScope(node, inits('stem.conv.weight'));
    expect([s.path, s.foldedFrom]).toEqual([['stem', 'conv'], 'stem.bn']);
  });

  it('a child module\'s weight used in its parent\'s scope (F.linear on out_proj.weight) places the Cell at the child', () => {
    const node = { name: 'node_linear_1', opType: 'Gemm', inputs: ['x', 'enc.attn.out_proj.weight', 'enc.attn.out_proj.bias'],
      metadata: meta(['', 'enc', 'enc.attn', 'linear_1'], ['M', 'E', 'torch.nn.modules.activation.MultiheadAttention', 'aten.linear']) };
    const s = nodeScope(node, inits('enc.attn.out_proj.weight'));
    expect([s.path, s.weightOwner, s.scopePath]).toEqual([['enc', 'attn', 'out_proj'], true, ['enc', 'attn']]);
    // a weight of an unrelated module (the optimizer merged equal initializers) does not move the node
    const other = { ...node, inputs: ['x', 'dec.ln.weight'] };
    expect(nodeScope(other, inits('dec.ln.weight')).path).toEqual(['enc', 'attn']);
  });
});
