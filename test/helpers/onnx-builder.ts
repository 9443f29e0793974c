/** Build small ONNX models in tests (one node, or a few), encoded with the same protobuf schema msport reads. */
import onnxProto from 'onnx-proto';
import { Tensor } from '../../src/runtime/tensor.js';
import { DTYPE_TO_ONNX } from '../../src/onnx/proto.js';

const { onnx } = onnxProto;

export type AttrSpec = number | number[] | string | Tensor | { floats: number[] } | { float: number };

export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrSpec>; name?: string; domain?: string }

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: { name: string; dtype?: Tensor['dtype']; dims: (number | string)[] | null }[];
  outputs: { name: string; dtype?: Tensor['dtype']; dims?: (number | string)[] | null }[];
  initializers?: Record<string, Tensor>;
  opset?: number;
}

export function tensorProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dataType: DTYPE_TO_ONNX[t.dtype], dims: [...t.shape], rawData: bytes.slice() };
}

function attrProto(name: string, v: AttrSpec): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (v instanceof Tensor) return { name, type: 4, t: tensorProto('', v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 1, f: v.float };
}

function valueInfo(v: { name: string; dtype?: Tensor['dtype']; dims?: (number | string)[] | null }): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: DTYPE_TO_ONNX[v.dtype ?? 'float32'] };
  if (v.dims) tensorType.shape = { dim: v.dims.map(d => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'test',
    node: spec.nodes.map((n, i) => ({
      name: n.name ?? `/${n.op}_${i}`, opType: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
    })),
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: Object.entries(spec.initializers ?? {}).map(([k, t]) => tensorProto(k, t)),
  };
  const model: onnxProto.onnx.IModelProto = { irVersion: 7, producerName: 'msport-test', opsetImport: [{ domain: '', version: spec.opset ?? 13 }], graph };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
