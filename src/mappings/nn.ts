import type { MappingRule } from './types.js';

const DIFF = 'https://www.mindspore.cn/docs/en/r2.4.1/note/api_mapping/pytorch_diff';
/** Most entries were checked against the r2.1–r2.4 docs; 2.9+ announces PyTorch-like signatures for several layers. */
const V = '>=2.1 <2.9';

/** torch.nn layers → mindspore.nn Cells, sorted by torch name. */
export const nnRules = [
  { torch: 'torch.nn.AdaptiveAvgPool2d', ms: 'mindspore.nn.AdaptiveAvgPool2d', kind: 'cell', versions: V, onnx: ['GlobalAveragePool', 'AveragePool'],
    notes: ['Consistent. The exporter writes GlobalAveragePool for output_size 1 and AveragePool when the size divides evenly.'] },
  { torch: 'torch.nn.AdaptiveMaxPool2d', ms: 'mindspore.nn.AdaptiveMaxPool2d', kind: 'cell', versions: V, onnx: ['GlobalMaxPool', 'MaxPool'],
    notes: ['Consistent. The exporter writes MaxPool when the output size divides the input evenly.'] },
  { torch: 'torch.nn.AvgPool2d', ms: 'mindspore.nn.AvgPool2d', kind: 'cell', versions: V, onnx: ['AveragePool'], doc: `${DIFF}/AvgPool2d.html`,
    defaults: [
      { arg: 'stride', torch: 'kernel_size', ms: 1, note: 'pass stride explicitly' },
      { arg: 'pad_mode', torch: 'zero padding by `padding`', ms: 'valid', note: "use pad_mode='pad' when padding > 0 or ceil_mode" },
    ] },
  { torch: 'torch.nn.BatchNorm1d', ms: 'mindspore.nn.BatchNorm1d', kind: 'cell', versions: V, onnx: ['BatchNormalization'], doc: `${DIFF}/BatchNorm1d.html`,
    args: [{ torch: 'track_running_stats', ms: 'use_batch_statistics' }],
    defaults: [{ arg: 'momentum', torch: 0.1, ms: 0.9, note: 'MindSpore momentum = 1 − PyTorch momentum' }],
    params: [{ torch: 'weight', ms: 'gamma' }, { torch: 'bias', ms: 'beta' }, { torch: 'running_mean', ms: 'moving_mean' }, { torch: 'running_var', ms: 'moving_variance' }],
    notes: ['num_batches_tracked has no counterpart.'] },
  { torch: 'torch.nn.BatchNorm2d', ms: 'mindspore.nn.BatchNorm2d', kind: 'cell', versions: V, onnx: ['BatchNormalization'], doc: `${DIFF}/BatchNorm2d.html`,
    args: [{ torch: 'track_running_stats', ms: 'use_batch_statistics' }],
    defaults: [{ arg: 'momentum', torch: 0.1, ms: 0.9, note: 'MindSpore momentum = 1 − PyTorch momentum (ONNX momentum already is 1 − PyTorch momentum)' }],
    params: [{ torch: 'weight', ms: 'gamma' }, { torch: 'bias', ms: 'beta' }, { torch: 'running_mean', ms: 'moving_mean' }, { torch: 'running_var', ms: 'moving_variance' }],
    notes: ['num_batches_tracked has no counterpart.', 'Cells start in predict phase; BatchNorm uses moving statistics until set_train().'] },
  { torch: 'torch.nn.Conv1d', ms: 'mindspore.nn.Conv1d', kind: 'cell', versions: V, onnx: ['Conv'], doc: `${DIFF}/Conv1d.html`,
    args: [{ torch: 'groups', ms: 'group' }, { torch: 'bias', ms: 'has_bias' }, { torch: 'padding_mode', ms: 'pad_mode', note: 'different meaning' }],
    defaults: [
      { arg: 'pad_mode', torch: 'zeros (explicit padding)', ms: 'same', note: "use pad_mode='pad' with padding" },
      { arg: 'has_bias', torch: true, ms: false, note: 'pass has_bias=True' },
    ],
    params: [{ torch: 'weight', ms: 'weight' }, { torch: 'bias', ms: 'bias' }] },
  { torch: 'torch.nn.Conv2d', ms: 'mindspore.nn.Conv2d', kind: 'cell', versions: V, onnx: ['Conv'], doc: `${DIFF}/Conv2d.html`,
    args: [{ torch: 'groups', ms: 'group' }, { torch: 'bias', ms: 'has_bias' }, { torch: 'padding_mode', ms: 'pad_mode', note: 'different meaning' }],
    defaults: [
      { arg: 'pad_mode', torch: 'zeros (explicit padding)', ms: 'same', note: "use pad_mode='pad' with padding" },
      { arg: 'has_bias', torch: true, ms: false, note: 'pass has_bias=True' },
      { arg: 'padding', torch: '(pH, pW)', ms: '(top, bottom, left, right)', note: 'PyTorch (pH, pW) is MindSpore (pH, pH, pW, pW)' },
    ],
    params: [{ torch: 'weight', ms: 'weight' }, { torch: 'bias', ms: 'bias' }],
    layout: 'weight [out, in/group, kH, kW], same as PyTorch' },
  { torch: 'torch.nn.Dropout', ms: 'mindspore.nn.Dropout', kind: 'cell', versions: V, onnx: ['Dropout'], doc: `${DIFF}/Dropout.html`,
    args: [{ torch: 'p', ms: 'p', note: 'keep_prob is 1 − p' }],
    notes: ['Identity in predict phase; exporters drop it in eval mode.'] },
  { torch: 'torch.nn.Flatten', ms: 'mindspore.nn.Flatten', kind: 'cell', versions: V, onnx: ['Flatten'], notes: ['Same defaults (start_dim=1, end_dim=-1).'] },
  { torch: 'torch.nn.Hardsigmoid', ms: 'mindspore.nn.HSigmoid', kind: 'cell', versions: V, onnx: ['HardSigmoid'] },
  { torch: 'torch.nn.Hardswish', ms: 'mindspore.nn.HSwish', kind: 'cell', versions: V, onnx: ['HardSwish'] },
  { torch: 'torch.nn.Identity', ms: 'mindspore.nn.Identity', kind: 'cell', versions: V, onnx: ['Identity'] },
  { torch: 'torch.nn.Linear', ms: 'mindspore.nn.Dense', kind: 'cell', versions: V, onnx: ['Gemm', 'MatMul'], doc: `${DIFF}/Dense.html`,
    args: [{ torch: 'in_features', ms: 'in_channels' }, { torch: 'out_features', ms: 'out_channels' }, { torch: 'bias', ms: 'has_bias' }],
    params: [{ torch: 'weight', ms: 'weight' }, { torch: 'bias', ms: 'bias' }],
    layout: 'weight [out, in], same as PyTorch' },
  { torch: 'torch.nn.MaxPool2d', ms: 'mindspore.nn.MaxPool2d', kind: 'cell', versions: V, onnx: ['MaxPool'], doc: `${DIFF}/MaxPool2d.html`,
    defaults: [
      { arg: 'stride', torch: 'kernel_size', ms: 1, note: 'pass stride explicitly' },
      { arg: 'pad_mode', torch: 'zero padding by `padding`', ms: 'valid', note: "use pad_mode='pad' when padding > 0 or ceil_mode" },
    ] },
  { torch: 'torch.nn.ReLU', ms: 'mindspore.nn.ReLU', kind: 'cell', versions: V, onnx: ['Relu'], notes: ['No inplace argument.'] },
  { torch: 'torch.nn.ReLU6', ms: 'mindspore.nn.ReLU6', kind: 'cell', versions: V, onnx: ['Clip'] },
  { torch: 'torch.nn.SiLU', ms: 'mindspore.nn.SiLU', kind: 'cell', versions: V, onnx: ['Sigmoid', 'Mul'] },
  { torch: 'torch.nn.Sigmoid', ms: 'mindspore.nn.Sigmoid', kind: 'cell', versions: V, onnx: ['Sigmoid'] },
  { torch: 'torch.nn.Softmax', ms: 'mindspore.nn.Softmax', kind: 'cell', versions: V, onnx: ['Softmax'], doc: `${DIFF}/nn_Softmax.html`,
    args: [{ torch: 'dim', ms: 'axis' }], defaults: [{ arg: 'axis', torch: null, ms: -1, note: 'pass axis explicitly' }] },
  { torch: 'torch.nn.Tanh', ms: 'mindspore.nn.Tanh', kind: 'cell', versions: V, onnx: ['Tanh'] },
] as const satisfies readonly MappingRule[];
