/**
 * Output ranks of common ops from their input ranks, for exports without value_info (torch 1.13's TorchScript
 * exporter writes none for many graphs): handlers choose Cells by rank (BatchNorm1d on a Linear's [N, C] output,
 * BatchNorm2d on a Conv's [N, C, H, W]). A rule table keyed by op type; an op not listed leaves the rank unknown.
 */
import type { Tensor } from '../runtime/tensor.js';
import type { OnnxNode } from './proto.js';

type RankRule = (node: OnnxNode, rank: (i: number) => number | undefined, constant: (i: number) => Tensor | undefined) => number | undefined;

const sameAsFirst: RankRule = (_n, rank) => rank(0);
const broadcast: RankRule = (n, rank) => {
  const rs = n.inputs.map((name, i) => (name ? rank(i) : 0));
  return rs.every(r => r !== undefined) ? Math.max(...(rs as number[])) : undefined;
};

const rules: Record<string, RankRule> = {
  Gemm: () => 2,
  Flatten: () => 2,
  MatMul: (_n, rank) => { const a = rank(0), b = rank(1); return a !== undefined && b !== undefined ? Math.max(a, b, 2) - (a === 1 || b === 1 ? 1 : 0) : undefined; },
  Reshape: (_n, _r, k) => k(1)?.size,
  Unsqueeze: (n, rank, k) => { const r = rank(0), axes = k(1)?.size ?? (n.attrs.get('axes') as number[] | undefined)?.length; return r !== undefined && axes !== undefined ? r + axes : undefined; },
  Squeeze: (n, rank, k) => { const r = rank(0), axes = k(1)?.size ?? (n.attrs.get('axes') as number[] | undefined)?.length; return r !== undefined && axes !== undefined ? r - axes : undefined; },
  Concat: sameAsFirst, Transpose: sameAsFirst, Conv: sameAsFirst, ConvTranspose: sameAsFirst, BatchNormalization: sameAsFirst,
  MaxPool: sameAsFirst, AveragePool: sameAsFirst, GlobalAveragePool: sameAsFirst, GlobalMaxPool: sameAsFirst, Dropout: sameAsFirst,
  Softmax: sameAsFirst, LogSoftmax: sameAsFirst, LayerNormalization: sameAsFirst, InstanceNormalization: sameAsFirst, Identity: sameAsFirst,
  Cast: sameAsFirst, Slice: sameAsFirst, Pad: sameAsFirst, Resize: sameAsFirst,
  Relu: sameAsFirst, LeakyRelu: sameAsFirst, PRelu: sameAsFirst, Sigmoid: sameAsFirst, Tanh: sameAsFirst, Elu: sameAsFirst, Selu: sameAsFirst,
  HardSigmoid: sameAsFirst, HardSwish: sameAsFirst, Softplus: sameAsFirst, Gelu: sameAsFirst, Erf: sameAsFirst, Exp: sameAsFirst, Log: sameAsFirst,
  Sqrt: sameAsFirst, Neg: sameAsFirst, Abs: sameAsFirst, Reciprocal: sameAsFirst, Clip: sameAsFirst,
  Add: broadcast, Sub: broadcast, Mul: broadcast, Div: broadcast, Pow: broadcast, Where: broadcast, Max: broadcast, Min: broadcast,
};

/** The rank of `node`'s first output, when its rule and its inputs' ranks give it. */
export function inferRank(node: OnnxNode, rank: (i: number) => number | undefined, constant: (i: number) => Tensor | undefined): number | undefined {
  if (node.domain !== '') return undefined;
  return rules[node.opType]?.(node, rank, constant);
}
