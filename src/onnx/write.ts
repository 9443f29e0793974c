/** Objects → ONNX protobuf: tensors and single-node models, for reproductions and in-memory model edits. */
import onnxProto from 'onnx-proto';
import { Tensor } from '../runtime/tensor.js';
import { numberToFloat16Bits } from '../runtime/dtype.js';
import { DTYPE_TO_ONNX } from './proto.js';

const { onnx } = onnxProto;

/** TensorProto with raw little-endian data (float16 tensors are stored as binary16 bits). */
export function tensorToProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  let bytes: Uint8Array;
  if (t.dtype === 'float16') {
    const u16 = new Uint16Array(t.size);
    for (let i = 0; i < t.size; i++) u16[i] = numberToFloat16Bits(t.get(i));
    bytes = new Uint8Array(u16.buffer);
  } else bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name, dataType: DTYPE_TO_ONNX[t.dtype], dims: [...t.shape], rawData: bytes };
}

export function encodeTensor(name: string, t: Tensor): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(tensorToProto(name, t))).finish();
}

export function valueInfoOf(name: string, t: Tensor): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DTYPE_TO_ONNX[t.dtype], shape: { dim: t.shape.map(d => ({ dimValue: d })) } } } };
}

/** Decode the model's bytes again as protobuf messages (for edits that must keep every field). */
export function decodeModelProto(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export function encodeModelProto(m: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}
