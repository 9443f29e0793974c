/**
 * Every imported ONNX op against onnxruntime on small random cases. Cases are data: inputs are random normals unless
 * given; `init` inputs become initializers (so Cells get built), others are fed at run time.
 * Tolerance: atol = rtol = 1e-5 — every case is a handful of float32 ops on O(1) values, so both engines agree to a
 * few float32 ulps (~1e-7 relative); 1e-5 leaves room for different summation orders in reductions of length ≤ 300.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, AttrSpec } from '../helpers/onnx-builder.js';
import { parity, randn } from '../helpers/parity.js';
import { Tensor } from '../../src/runtime/tensor.js';

interface In { shape: number[]; value?: Tensor; init?: boolean; positive?: boolean }
interface Case { name: string; op: string; inputs: (In | null)[]; attrs?: Record<string, AttrSpec>; opset?: number; outputs?: number }

const i64 = (v: number[]): Tensor => Tensor.from(v, 'int64');
const f32 = (v: number[]): Tensor => Tensor.from(v, 'float32');
const c = (value: Tensor): In => ({ shape: [...value.shape], value, init: true });

const cases: Case[] = [
  { name: 'Conv 2-D 3x3 pad 1 + bias', op: 'Conv', inputs: [{ shape: [2, 3, 8, 8] }, { shape: [4, 3, 3, 3], init: true }, { shape: [4], init: true }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
  { name: 'Conv 2-D stride 2, asymmetric pads', op: 'Conv', inputs: [{ shape: [1, 3, 9, 7] }, { shape: [5, 3, 3, 2], init: true }], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [0, 1, 2, 0] } },
  { name: 'Conv 2-D dilation 2', op: 'Conv', inputs: [{ shape: [1, 2, 10, 10] }, { shape: [3, 2, 3, 3], init: true }], attrs: { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] } },
  { name: 'Conv 2-D groups', op: 'Conv', inputs: [{ shape: [1, 6, 6, 6] }, { shape: [4, 3, 3, 3], init: true }, { shape: [4], init: true }], attrs: { kernel_shape: [3, 3], group: 2, pads: [1, 1, 1, 1] } },
  { name: 'Conv 2-D depthwise stride 2', op: 'Conv', inputs: [{ shape: [1, 5, 9, 9] }, { shape: [5, 1, 3, 3], init: true }], attrs: { kernel_shape: [3, 3], group: 5, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'Conv 2-D 1x1', op: 'Conv', inputs: [{ shape: [2, 8, 5, 5] }, { shape: [6, 8, 1, 1], init: true }, { shape: [6], init: true }], attrs: { kernel_shape: [1, 1] } },
  { name: 'Conv 2-D auto_pad SAME_UPPER stride 2', op: 'Conv', inputs: [{ shape: [1, 2, 7, 8] }, { shape: [3, 2, 4, 3], init: true }], attrs: { kernel_shape: [4, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'Conv 1-D', op: 'Conv', inputs: [{ shape: [2, 3, 11] }, { shape: [4, 3, 3], init: true }, { shape: [4], init: true }], attrs: { kernel_shape: [3], pads: [1, 2], strides: [2] } },
  { name: 'Conv with runtime weight', op: 'Conv', inputs: [{ shape: [1, 2, 5, 5] }, { shape: [3, 2, 3, 3] }], attrs: { kernel_shape: [3, 3] } },
  { name: 'Gemm transB=1 (Linear)', op: 'Gemm', inputs: [{ shape: [3, 7] }, { shape: [5, 7], init: true }, { shape: [5], init: true }], attrs: { transB: 1 } },
  { name: 'Gemm transB=0', op: 'Gemm', inputs: [{ shape: [3, 7] }, { shape: [7, 5], init: true }, { shape: [5], init: true }] },
  { name: 'Gemm alpha/beta/transA', op: 'Gemm', inputs: [{ shape: [7, 3] }, { shape: [7, 5] }, { shape: [3, 5] }], attrs: { alpha: 0.5, beta: { float: 2 }, transA: 1 } },
  { name: 'MatMul batched broadcast', op: 'MatMul', inputs: [{ shape: [2, 3, 4, 5] }, { shape: [5, 6] }] },
  { name: 'MatMul batch x batch', op: 'MatMul', inputs: [{ shape: [2, 1, 4, 5] }, { shape: [3, 5, 2] }] },
  { name: 'MatMul vector', op: 'MatMul', inputs: [{ shape: [5] }, { shape: [2, 5, 3] }] },
  { name: 'Relu', op: 'Relu', inputs: [{ shape: [2, 3, 4] }] },
  { name: 'Clip opset 6 attrs', op: 'Clip', inputs: [{ shape: [20] }], attrs: { min: { float: -0.5 }, max: { float: 0.7 } }, opset: 6 },
  { name: 'Clip opset 13 inputs (ReLU6)', op: 'Clip', inputs: [{ shape: [30], value: randn([30], 3, 5) }, c(f32([0]).view([])), c(f32([6]).view([]))] },
  { name: 'Clip opset 13 min only', op: 'Clip', inputs: [{ shape: [30] }, c(f32([-0.25]).view([])), null] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [{ shape: [3, 5] }] },
  { name: 'Tanh', op: 'Tanh', inputs: [{ shape: [3, 5] }] },
  { name: 'HardSigmoid default', op: 'HardSigmoid', inputs: [{ shape: [40], value: randn([40], 4, 4) }] },
  { name: 'HardSigmoid torch (alpha 1/6)', op: 'HardSigmoid', inputs: [{ shape: [40], value: randn([40], 4, 4) }], attrs: { alpha: { float: 1 / 6 }, beta: { float: 0.5 } } },
  { name: 'HardSwish', op: 'HardSwish', inputs: [{ shape: [40], value: randn([40], 5, 4) }], opset: 14 },
  { name: 'Add broadcast', op: 'Add', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }] },
  { name: 'Sub', op: 'Sub', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] },
  { name: 'Mul channel broadcast', op: 'Mul', inputs: [{ shape: [2, 3, 4, 4] }, { shape: [2, 3, 1, 1] }] },
  { name: 'Div', op: 'Div', inputs: [{ shape: [4, 5] }, { shape: [5], positive: true }] },
  { name: 'Pow', op: 'Pow', inputs: [{ shape: [10], positive: true }, c(f32([3]).view([]))] },
  { name: 'Sqrt', op: 'Sqrt', inputs: [{ shape: [10], positive: true }] },
  { name: 'Erf', op: 'Erf', inputs: [{ shape: [64], value: randn([64], 6, 2.5) }] },
  { name: 'MaxPool 3x3 s2 p1', op: 'MaxPool', inputs: [{ shape: [1, 2, 9, 9] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'MaxPool ceil_mode', op: 'MaxPool', inputs: [{ shape: [1, 2, 8, 8] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
  { name: 'MaxPool asymmetric pads', op: 'MaxPool', inputs: [{ shape: [1, 1, 6, 6] }], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] } },
  { name: 'AveragePool count_include_pad=0', op: 'AveragePool', inputs: [{ shape: [1, 2, 7, 7] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'AveragePool count_include_pad=1', op: 'AveragePool', inputs: [{ shape: [1, 2, 7, 7] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } },
  { name: 'AveragePool ceil_mode', op: 'AveragePool', inputs: [{ shape: [1, 2, 8, 8] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
  { name: 'AveragePool ceil_mode + pad + count_include_pad', op: 'AveragePool', inputs: [{ shape: [1, 1, 6, 6] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 } },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [{ shape: [2, 3, 5, 4] }] },
  { name: 'ReduceMean axes keepdims', op: 'ReduceMean', inputs: [{ shape: [2, 3, 4, 5] }], attrs: { axes: [2, 3], keepdims: 1 } },
  { name: 'ReduceMean no keepdims', op: 'ReduceMean', inputs: [{ shape: [2, 3, 4] }], attrs: { axes: [-1], keepdims: 0 } },
  { name: 'Flatten axis 1', op: 'Flatten', inputs: [{ shape: [2, 3, 4] }] },
  { name: 'Flatten axis 2', op: 'Flatten', inputs: [{ shape: [2, 3, 4, 5] }], attrs: { axis: 2 } },
  { name: 'Reshape with 0 and -1', op: 'Reshape', inputs: [{ shape: [2, 3, 4] }, c(i64([0, -1, 2]))] },
  { name: 'Transpose', op: 'Transpose', inputs: [{ shape: [2, 3, 4, 5] }], attrs: { perm: [0, 2, 3, 1] } },
  { name: 'Transpose default perm', op: 'Transpose', inputs: [{ shape: [2, 3, 4] }] },
  { name: 'Concat axis 1', op: 'Concat', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }, { shape: [2, 2, 4] }], attrs: { axis: 1 } },
  { name: 'Split opset 13 sizes input', op: 'Split', inputs: [{ shape: [2, 6, 3] }, c(i64([2, 4]))], attrs: { axis: 1 }, outputs: 2 },
  { name: 'Split opset 11 attr', op: 'Split', inputs: [{ shape: [6, 2] }], attrs: { axis: 0, split: [1, 2, 3] }, outputs: 3, opset: 11 },
  { name: 'Split equal', op: 'Split', inputs: [{ shape: [2, 6] }], attrs: { axis: -1 }, outputs: 3 },
  { name: 'Slice steps and negative', op: 'Slice', inputs: [{ shape: [5, 6, 7] }, c(i64([1, -1])), c(i64([4, -6])), c(i64([0, 2])), c(i64([2, -2]))] },
  { name: 'Slice INT64_MAX end', op: 'Slice', inputs: [{ shape: [4, 10] }, c(i64([3])), c(Tensor.from([9223372036854775807n as unknown as number], 'int64')), c(i64([1]))] },
  { name: 'Slice opset 9 attrs', op: 'Slice', inputs: [{ shape: [4, 5] }], attrs: { starts: [1, 0], ends: [3, 4], axes: [0, 1] }, opset: 9 },
  { name: 'Gather axis 1', op: 'Gather', inputs: [{ shape: [3, 5, 2] }, c(i64([4, 0, -1]))], attrs: { axis: 1 } },
  { name: 'Gather scalar index', op: 'Gather', inputs: [{ shape: [3, 4] }, c(i64([2]).view([]))], attrs: { axis: 0 } },
  { name: 'Pad constant opset 13', op: 'Pad', inputs: [{ shape: [1, 2, 3, 3] }, c(i64([0, 0, 1, 2, 0, 0, 2, 1])), c(f32([0.5]).view([]))] },
  { name: 'Pad reflect', op: 'Pad', inputs: [{ shape: [1, 2, 4, 4] }, c(i64([0, 0, 2, 1, 0, 0, 1, 2]))], attrs: { mode: 'reflect' } },
  { name: 'Pad edge', op: 'Pad', inputs: [{ shape: [1, 1, 3, 3] }, c(i64([0, 0, 1, 1, 0, 0, 2, 2]))], attrs: { mode: 'edge' } },
  { name: 'Pad opset 2 attrs', op: 'Pad', inputs: [{ shape: [2, 3] }], attrs: { pads: [1, 0, 0, 2], value: { float: 1.5 } }, opset: 2 },
  { name: 'BatchNormalization', op: 'BatchNormalization', inputs: [{ shape: [2, 3, 4, 4] }, { shape: [3], init: true }, { shape: [3], init: true }, { shape: [3], init: true }, { shape: [3], init: true, positive: true }], attrs: { epsilon: { float: 1e-3 } } },
  { name: 'Softmax opset 13 axis 1', op: 'Softmax', inputs: [{ shape: [2, 5, 3] }], attrs: { axis: 1 } },
  { name: 'Softmax opset 11 coerced 2-D', op: 'Softmax', inputs: [{ shape: [2, 3, 4] }], attrs: { axis: 1 }, opset: 11 },
  { name: 'Identity', op: 'Identity', inputs: [{ shape: [3, 3] }] },
  { name: 'Dropout inference', op: 'Dropout', inputs: [{ shape: [4, 4] }], opset: 13 },
  { name: 'Unsqueeze opset 13', op: 'Unsqueeze', inputs: [{ shape: [3, 4] }, c(i64([0, -1]))] },
  { name: 'Squeeze opset 11', op: 'Squeeze', inputs: [{ shape: [1, 3, 1, 4] }], attrs: { axes: [0, 2] }, opset: 11 },
];

describe('ONNX ops against onnxruntime', () => {
  for (const k of cases) {
    it(k.name, async () => {
      const initializers: Record<string, Tensor> = {};
      const feeds: Record<string, Tensor> = {};
      const inputs: { name: string; dtype: Tensor['dtype']; dims: number[] }[] = [];
      const names = k.inputs.map((inp, i) => {
        if (!inp) return '';
        const name = `in${i}`;
        let t = inp.value ?? randn(inp.shape, 100 + i);
        if (inp.positive) t = new Tensor(Float32Array.from(t.data as Float32Array, v => Math.abs(v) + 0.1), t.shape, 'float32');
        if (inp.init) initializers[name] = t;
        else { feeds[name] = t; inputs.push({ name, dtype: t.dtype, dims: [...t.shape] }); }
        return name;
      });
      const outs = Array.from({ length: k.outputs ?? 1 }, (_, i) => `out${i}`);
      const bytes = buildModel({ nodes: [{ op: k.op, inputs: names, outputs: outs, attrs: k.attrs }], inputs, outputs: outs.map(name => ({ name, dims: null })), initializers, opset: k.opset ?? 13 });
      const results = await parity(bytes, feeds);
      expect(results).toHaveLength(outs.length);
      for (const r of results) {
        expect(r.error).toBeUndefined();
        expect(r.shape).toEqual(r.referenceShape);
        expect(r.size).toBeGreaterThan(0);
        expect(r.mismatches, `${r.name}: max abs diff ${r.maxAbsDiff} at [${r.worstIndex}]`).toBe(0);
      }
    });
  }
});
