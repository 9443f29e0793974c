import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/onnx/scope.js';

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
