/**
 * Models from other exporters: paddle2onnx writes opset 9/11, symbolic dims named `p2o.DynamicDimension.N`, node
 * names without module scopes and parameter names like `conv2d_0.w_0`. They import into Cells at the root and check.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../helpers/onnx-builder.js';
import { randn } from '../helpers/parity.js';
import { check } from '../../src/check.js';
import { inspect } from '../../src/inspect.js';
import { Tensor } from '../../src/runtime/tensor.js';

function paddleStyle(opset: number): Uint8Array {
  return buildModel({
    opset,
    nodes: [
      { op: 'Conv', name: 'p2o.Conv.0', inputs: ['x', 'conv2d_0.w_0', 'conv2d_0.b_0'], outputs: ['conv2d_0.tmp_0'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
      { op: 'BatchNormalization', name: 'p2o.BatchNormalization.0', inputs: ['conv2d_0.tmp_0', 'batch_norm_0.w_0', 'batch_norm_0.b_0', 'batch_norm_0.w_1', 'batch_norm_0.w_2'], outputs: ['batch_norm_0.tmp_2'], attrs: { epsilon: { float: 1e-5 }, momentum: { float: 0.9 } } },
      { op: 'Relu', name: 'p2o.Relu.0', inputs: ['batch_norm_0.tmp_2'], outputs: ['relu_0.tmp_0'] },
      { op: 'MaxPool', name: 'p2o.MaxPool.0', inputs: ['relu_0.tmp_0'], outputs: ['pool2d_0.tmp_0'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', name: 'p2o.Flatten.0', inputs: ['pool2d_0.tmp_0'], outputs: ['flatten_0.tmp_0'], attrs: { axis: 1 } },
      { op: 'MatMul', name: 'p2o.MatMul.0', inputs: ['flatten_0.tmp_0', 'linear_0.w_0'], outputs: ['linear_0.tmp_0'] },
      { op: 'Add', name: 'p2o.Add.0', inputs: ['linear_0.tmp_0', 'linear_0.b_0'], outputs: ['save_infer_model/scale_0.tmp_0'] },
    ],
    inputs: [{ name: 'x', dims: ['p2o.DynamicDimension.0', 3, 8, 8] }],
    outputs: [{ name: 'save_infer_model/scale_0.tmp_0', dims: ['p2o.DynamicDimension.0', 5] }],
    initializers: {
      'conv2d_0.w_0': randn([4, 3, 3, 3], 1), 'conv2d_0.b_0': randn([4], 2),
      'batch_norm_0.w_0': randn([4], 3), 'batch_norm_0.b_0': randn([4], 4), 'batch_norm_0.w_1': randn([4], 5),
      'batch_norm_0.w_2': new Tensor(Float32Array.from(randn([4], 6).data as Float32Array, v => Math.abs(v) + 0.5), [4], 'float32'),
      'linear_0.w_0': randn([64, 5], 7), 'linear_0.b_0': randn([5], 8),
    },
  });
}

describe('paddle2onnx-style models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msport-p2o-'));
  for (const opset of [9, 11]) {
    it(`opset ${opset}: checks with --shape for p2o.DynamicDimension.0`, async () => {
      const file = join(dir, `p2o_${opset}.onnx`);
      writeFileSync(file, paddleStyle(opset));
      const r = await check(file, { atol: 1e-4, rtol: 1e-3, seed: 0, samples: 2, shapes: new Map([['x', [3, 3, 8, 8]]]) });
      expect(r.problems).toEqual([]);
      expect(r.outputs[0]).toMatchObject({ shape: [3, 5], mismatches: 0 });
      await expect(check(file, { atol: 1e-4, rtol: 1e-3, seed: 0 })).rejects.toThrow(/symbolic dims \[p2o\.DynamicDimension\.0, 3, 8, 8\]; pass --shape x=1,3,8,8/);
      const tree = inspect(file);
      expect(tree.cells.map(c => c.msApi)).toEqual(['mindspore.nn.Conv2d', 'mindspore.nn.BatchNorm2d', 'mindspore.nn.ReLU', 'mindspore.nn.MaxPool2d', 'mindspore.nn.Flatten']);
      expect(tree.parameters.map(p => p.onnx)).toContain('batch_norm_0.w_2');
    });
  }
});
