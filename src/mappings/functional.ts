import type { MappingRule } from './types.js';

const V = '>=2.1 <2.9';

/** torch functions and tensor methods → mindspore.ops, sorted by torch name. */
export const functionalRules = [
  { torch: 'torch.Tensor.view', ms: 'mindspore.ops.reshape', kind: 'tensor-method', versions: V, onnx: ['Reshape'] },
  { torch: 'torch.add', ms: 'mindspore.ops.add', kind: 'function', versions: V, onnx: ['Add'] },
  { torch: 'torch.cat', ms: 'mindspore.ops.concat', kind: 'function', versions: V, onnx: ['Concat'], args: [{ torch: 'dim', ms: 'axis' }],
    notes: ['No implicit dtype promotion: inputs must share a dtype.'] },
  { torch: 'torch.chunk', ms: 'mindspore.ops.split', kind: 'function', versions: V, onnx: ['Split', 'Slice'] },
  { torch: 'torch.clamp', ms: 'mindspore.ops.clamp', kind: 'function', versions: V, onnx: ['Clip'] },
  { torch: 'torch.div', ms: 'mindspore.ops.div', kind: 'function', versions: V, onnx: ['Div'] },
  { torch: 'torch.erf', ms: 'mindspore.ops.erf', kind: 'function', versions: V, onnx: ['Erf'] },
  { torch: 'torch.flatten', ms: 'mindspore.ops.flatten', kind: 'function', versions: V, onnx: ['Flatten', 'Reshape'],
    defaults: [{ arg: 'start_dim', torch: 0, ms: 1, note: 'pass start_dim explicitly' }] },
  { torch: 'torch.index_select', ms: 'mindspore.ops.gather', kind: 'function', versions: V, onnx: ['Gather'],
    notes: ['ops.gather takes whole slices along an axis; torch.gather is ops.gather_elements.'] },
  { torch: 'torch.matmul', ms: 'mindspore.ops.matmul', kind: 'function', versions: V, onnx: ['MatMul'] },
  { torch: 'torch.mean', ms: 'mindspore.ops.mean', kind: 'function', versions: V, onnx: ['ReduceMean'], args: [{ torch: 'dim', ms: 'axis' }, { torch: 'keepdim', ms: 'keep_dims' }] },
  { torch: 'torch.mul', ms: 'mindspore.ops.mul', kind: 'function', versions: V, onnx: ['Mul'] },
  { torch: 'torch.nn.functional.pad', ms: 'mindspore.ops.pad', kind: 'function', versions: V, onnx: ['Pad'],
    notes: ["Same padding order (last dim first). No 'circular' mode."] },
  { torch: 'torch.permute', ms: 'mindspore.ops.transpose', kind: 'function', versions: V, onnx: ['Transpose'],
    notes: ['ops.transpose takes a full permutation; torch.transpose (two axes) is ops.swapaxes.'] },
  { torch: 'torch.pow', ms: 'mindspore.ops.pow', kind: 'function', versions: V, onnx: ['Pow'] },
  { torch: 'torch.sigmoid', ms: 'mindspore.ops.sigmoid', kind: 'function', versions: V, onnx: ['Sigmoid'] },
  { torch: 'torch.slice', ms: 'mindspore.ops.strided_slice', kind: 'function', versions: V, onnx: ['Slice'], notes: ['Python slicing x[a:b:c] exports as Slice.'] },
  { torch: 'torch.softmax', ms: 'mindspore.ops.softmax', kind: 'function', versions: V, onnx: ['Softmax'], args: [{ torch: 'dim', ms: 'axis' }] },
  { torch: 'torch.sqrt', ms: 'mindspore.ops.sqrt', kind: 'function', versions: V, onnx: ['Sqrt'] },
  { torch: 'torch.sub', ms: 'mindspore.ops.sub', kind: 'function', versions: V, onnx: ['Sub'] },
] as const satisfies readonly MappingRule[];
