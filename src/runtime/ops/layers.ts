/**
 * Primitive ops behind the layer Cells that the core families do not cover: 3-D convolution, 2-D transposed
 * convolution, GatherElements (the class pick of the cross-entropy losses) and OneHot. Each backward sits next to its
 * forward. Normalisation layers, dropout and the losses are composites of existing primitives (functional-layers.ts)
 * and get their gradients from those.
 *
 * The convolutions share one N-d engine: spatial shapes are padded to three dims (D, H, W), `im2col` / `col2im` move
 * between an image and its patch matrix, and a GEMM does the channel mixing. A transposed convolution is exactly the
 * input gradient of a convolution, so ConvTranspose forward, Conv backward-data and ConvTranspose backward-data are the
 * same three helpers with the roles of input and output swapped.
 */
import { Tensor, shapeSize } from '../tensor.js';
import { allocData } from '../dtype.js';
import { kernels } from '../kernels/index.js';
import { defineOp } from './registry.js';
import type { OpDef } from './registry.js';

type V3 = [number, number, number];

/**
 * Geometry of one convolution x[C, inSp] → y[O, outSp]: output position o reads input position
 * o·stride − padBefore + k·dilation along every spatial dim (a zero when that falls outside the input).
 */
interface ConvGeometry { inSp: V3; k: V3; stride: V3; dilation: V3; padBefore: V3; outSp: V3 }

const prod = (a: readonly number[]): number => a.reduce((p, d) => p * d, 1);

/** Patch matrix col[C·kD·kH·kW, oD·oH·oW] of the image X[C, D, H, W] at offset xOff. */
function im2col(X: Float32Array, xOff: number, C: number, g: ConvGeometry, col: Float32Array): void {
  walkPatches(C, g, (ci, colIdx) => { col[colIdx] = ci < 0 ? 0 : X[xOff + ci]!; });
}

/** Adjoint of im2col: scatter-add the patch matrix back into the image X[C, D, H, W] at offset xOff. */
function col2im(col: Float32Array, C: number, g: ConvGeometry, X: Float32Array, xOff: number): void {
  walkPatches(C, g, (ci, colIdx) => { if (ci >= 0) X[xOff + ci] += col[colIdx]!; });
}

/** The one patch loop: calls visit(image index or −1 for padding, patch-matrix index) for every patch entry. */
function walkPatches(C: number, g: ConvGeometry, visit: (imageIdx: number, colIdx: number) => void): void {
  const [D, H, W] = g.inSp, [KD, KH, KW] = g.k, [sd, sh, sw] = g.stride, [dd, dh, dw] = g.dilation;
  const [pd, ph, pw] = g.padBefore, [OD, OH, OW] = g.outSp;
  const P = OD * OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KD; i++) for (let j = 0; j < KH; j++) for (let l = 0; l < KW; l++, row++) {
      let colIdx = row * P;
      for (let od = 0; od < OD; od++) {
        const id = od * sd - pd + i * dd;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - ph + j * dh;
          const inside = id >= 0 && id < D && ih >= 0 && ih < H;
          const base = ((c * D + id) * H + ih) * W;
          for (let ow = 0; ow < OW; ow++, colIdx++) {
            const iw = ow * sw - pw + l * dw;
            visit(inside && iw >= 0 && iw < W ? base + iw : -1, colIdx);
          }
        }
      }
    }
  }
}

/** y[N, O, outSp] = conv(x[N, C, inSp], w[O, C/group, k]) (+ bias[O]). */
function convForward(X: Float32Array, Wt: Float32Array, B: Float32Array | null, N: number, C: number, O: number, group: number, g: ConvGeometry): Float32Array {
  const Cg = C / group, Og = O / group, K = Cg * prod(g.k), P = prod(g.outSp), S = prod(g.inSp);
  const out = new Float32Array(N * O * P), col = new Float32Array(K * P);
  for (let n = 0; n < N; n++) for (let gi = 0; gi < group; gi++) {
    im2col(X, (n * C + gi * Cg) * S, Cg, g, col);
    kernels.gemm(Og, P, K, Wt, gi * Og * K, K, col, 0, P, out, (n * O + gi * Og) * P, P, false);
  }
  if (B) for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const b = B[o]!, off = (n * O + o) * P;
    for (let p = 0; p < P; p++) out[off + p] += b;
  }
  return out;
}

/** dx[N, C, inSp] of the convolution above from dy[N, O, outSp]: dcol = W_gᵀ · dy_g, then col2im. */
function convInputGrad(DY: Float32Array, Wt: Float32Array, N: number, C: number, O: number, group: number, g: ConvGeometry): Float32Array {
  const Cg = C / group, Og = O / group, K = Cg * prod(g.k), P = prod(g.outSp), S = prod(g.inSp);
  const dx = new Float32Array(N * C * S), dcol = new Float32Array(K * P), wT = new Float32Array(K * Og);
  for (let gi = 0; gi < group; gi++) {
    for (let o = 0; o < Og; o++) for (let k = 0; k < K; k++) wT[k * Og + o] = Wt[(gi * Og + o) * K + k]!;
    for (let n = 0; n < N; n++) {
      kernels.gemm(K, P, Og, wT, 0, Og, DY, (n * O + gi * Og) * P, P, dcol, 0, P, false);
      col2im(dcol, Cg, g, dx, (n * C + gi * Cg) * S);
    }
  }
  return dx;
}

/** dw[O, C/group, k] of the convolution above: Σ_n dy_g · col(x)ᵀ. */
function convWeightGrad(X: Float32Array, DY: Float32Array, N: number, C: number, O: number, group: number, g: ConvGeometry): Float32Array {
  const Cg = C / group, Og = O / group, K = Cg * prod(g.k), P = prod(g.outSp), S = prod(g.inSp);
  const dw = new Float32Array(O * K), col = new Float32Array(K * P), part = new Float32Array(Og * K);
  for (let n = 0; n < N; n++) for (let gi = 0; gi < group; gi++) {
    im2col(X, (n * C + gi * Cg) * S, Cg, g, col);
    kernels.gemmNT(Og, K, P, DY, (n * O + gi * Og) * P, col, 0, part, 0);
    const off = gi * Og * K;
    for (let i = 0; i < part.length; i++) dw[off + i] += part[i]!;
  }
  return dw;
}

/** Σ over batch and space of dy[N, O, P]: the bias gradient. */
function channelSum(DY: Float32Array, N: number, O: number, P: number): Float32Array {
  const db = new Float32Array(O);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    let s = 0;
    const off = (n * O + o) * P;
    for (let p = 0; p < P; p++) s += DY[off + p]!;
    db[o] += s;
  }
  return db;
}

const f32 = (t: Tensor, op: string, what: string): Float32Array => {
  if (!(t.data instanceof Float32Array)) throw new Error(`${op}: ${what} must be a float32 tensor, got ${t.dtype}`);
  return t.data;
};

function checkGroups(op: string, C: number, Cw: number, O: number, group: number, wShape: readonly number[]): void {
  if (C !== Cw) throw new Error(`${op}: input has ${C} channels but weight [${wShape}] with group=${group} expects ${Cw}`);
  if (O % group !== 0) throw new Error(`${op}: ${O} output channels are not divisible by group ${group}`);
}

/** Output length of a convolution along one dim (PyTorch/MindSpore 'pad' formula). */
export function convOutLength(inSize: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((inSize + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/** Conv3D attributes in MindSpore's terms: padding is (head, tail, top, bottom, left, right). */
export interface Conv3DAttrs {
  stride: V3;
  padding: [number, number, number, number, number, number];
  dilation: V3;
  group: number;
}

function conv3dGeometry(x: Tensor, w: Tensor, { stride, padding, dilation }: Conv3DAttrs): ConvGeometry {
  const inSp = x.shape.slice(2) as V3, k = w.shape.slice(2) as V3;
  const outSp = inSp.map((d, i) => convOutLength(d, k[i]!, stride[i]!, padding[2 * i]!, padding[2 * i + 1]!, dilation[i]!)) as V3;
  if (outSp.some(d => d <= 0)) throw new Error(`Conv3D: output size [${outSp}] is empty for input [${inSp}] and kernel [${k}]`);
  return { inSp, k, stride, dilation, padBefore: [padding[0], padding[2], padding[4]], outSp };
}

/** NCDHW convolution, weight [O, C/group, kD, kH, kW]; optional bias [O]. */
export const Conv3D: OpDef<Conv3DAttrs> = defineOp<Conv3DAttrs>({
  name: 'Conv3D',
  forward: ([x, w, b], attrs) => {
    if (x!.ndim !== 5 || w!.ndim !== 5) throw new Error(`Conv3D: input [${x!.shape}] and weight [${w!.shape}] must both be 5-D`);
    const [N, C] = x!.shape as [number, number], O = w!.shape[0]!;
    checkGroups('Conv3D', C, w!.shape[1]! * attrs.group, O, attrs.group, w!.shape);
    const g = conv3dGeometry(x!, w!, attrs);
    const out = convForward(f32(x!, 'Conv3D', 'input'), f32(w!, 'Conv3D', 'weight'), b ? f32(b, 'Conv3D', 'bias') : null, N, C, O, attrs.group, g);
    return new Tensor(out, [N, O, ...g.outSp], x!.dtype);
  },
  backward: (dy, [x, w, b], _y, attrs) => {
    const [N, C] = x!.shape as [number, number], O = w!.shape[0]!;
    const g = conv3dGeometry(x!, w!, attrs);
    const DY = dy.data as Float32Array;
    return [
      new Tensor(convInputGrad(DY, w!.data as Float32Array, N, C, O, attrs.group, g), x!.shape, x!.dtype),
      new Tensor(convWeightGrad(x!.data as Float32Array, DY, N, C, O, attrs.group, g), w!.shape, w!.dtype),
      ...(b ? [new Tensor(channelSum(DY, N, O, prod(g.outSp)), b.shape, b.dtype)] : []),
    ];
  },
});

/**
 * Conv2DTranspose attributes. `padding` (top, bottom, left, right) is cropped from the full transposed output
 * (H_in − 1)·stride + dilation·(k − 1) + 1; a negative bottom/right value extends it with rows no input reaches (how
 * MindSpore's 'same' and 'valid' modes come out when kernel < stride). `outputPadding` (bottom, right) then appends
 * zeros after the bias, as MindSpore's nn.Conv2dTranspose does with its trailing Pad.
 */
export interface Conv2DTransposeAttrs {
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  group: number;
  outputPadding: [number, number];
}

/** The convolution whose input gradient this transposed convolution is: its "input" is our output region. */
function convTransposeGeometry(x: Tensor, w: Tensor, { stride, padding, dilation }: Conv2DTransposeAttrs): ConvGeometry {
  const [H, W] = x.shape.slice(2) as [number, number], [KH, KW] = w.shape.slice(2) as [number, number];
  const OH = (H - 1) * stride[0] + dilation[0] * (KH - 1) + 1 - padding[0] - padding[1];
  const OW = (W - 1) * stride[1] + dilation[1] * (KW - 1) + 1 - padding[2] - padding[3];
  if (OH <= 0 || OW <= 0) throw new Error(`Conv2DTranspose: output size ${OH}x${OW} is empty for input ${H}x${W}, kernel ${KH}x${KW}, padding [${padding}]`);
  if (padding[0] < 0 || padding[2] < 0) throw new Error(`Conv2DTranspose: top/left padding must be >= 0, got [${padding}]`);
  return { inSp: [1, OH, OW], k: [1, KH, KW], stride: [1, ...stride], dilation: [1, ...dilation], padBefore: [0, padding[0], padding[2]], outSp: [1, H, W] };
}

/** Copy [N, C, h, w] into the top-left of a zero [N, C, h + ph, w + pw] (or crop it back when `crop`). */
function zeroPadEnd(src: Float32Array, N: number, C: number, h: number, w: number, ph: number, pw: number, crop: boolean): Float32Array {
  if (ph === 0 && pw === 0) return src;
  const W2 = w + pw, out = new Float32Array(N * C * (crop ? h * w : (h + ph) * W2));
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < h; i++) {
    const a = (nc * (h + ph) + i) * W2, b = (nc * h + i) * w;
    if (crop) out.set(src.subarray(a, a + w), b); else out.set(src.subarray(b, b + w), a);
  }
  return out;
}

/** NCHW transposed convolution (MindSpore Conv2DTranspose / Conv2DBackpropInput), weight [C_in, C_out/group, kH, kW]. */
export const Conv2DTranspose: OpDef<Conv2DTransposeAttrs> = defineOp<Conv2DTransposeAttrs>({
  name: 'Conv2DTranspose',
  forward: ([x, w, b], attrs) => {
    if (x!.ndim !== 4 || w!.ndim !== 4) throw new Error(`Conv2DTranspose: input [${x!.shape}] and weight [${w!.shape}] must both be 4-D`);
    const [N, Cin] = x!.shape as [number, number], Cout = w!.shape[1]! * attrs.group;
    if (w!.shape[0] !== Cin) throw new Error(`Conv2DTranspose: input has ${Cin} channels but weight [${w!.shape}] expects ${w!.shape[0]}`);
    if (Cin % attrs.group !== 0) throw new Error(`Conv2DTranspose: ${Cin} input channels are not divisible by group ${attrs.group}`);
    const g = convTransposeGeometry(x!, w!, attrs);
    const [, OH, OW] = g.inSp, [ph, pw] = attrs.outputPadding;
    const region = convInputGrad(f32(x!, 'Conv2DTranspose', 'input'), f32(w!, 'Conv2DTranspose', 'weight'), N, Cout, Cin, attrs.group, g);
    if (b) {
      const B = f32(b, 'Conv2DTranspose', 'bias'), P = OH * OW;
      for (let n = 0; n < N; n++) for (let c = 0; c < Cout; c++) for (let p = 0, off = (n * Cout + c) * P; p < P; p++) region[off + p] += B[c]!;
    }
    return new Tensor(zeroPadEnd(region, N, Cout, OH, OW, ph, pw, false), [N, Cout, OH + ph, OW + pw], x!.dtype);
  },
  backward: (dy, [x, w, b], _y, attrs) => {
    const [N, Cin] = x!.shape as [number, number], Cout = w!.shape[1]! * attrs.group;
    const g = convTransposeGeometry(x!, w!, attrs);
    const [, OH, OW] = g.inSp;
    // the zero output padding receives no contribution, so its gradient is dropped
    const DY = zeroPadEnd(dy.data as Float32Array, N, Cout, OH, OW, attrs.outputPadding[0], attrs.outputPadding[1], true);
    return [
      new Tensor(convForward(DY, w!.data as Float32Array, null, N, Cout, Cin, attrs.group, g), x!.shape, x!.dtype),
      new Tensor(convWeightGrad(DY, x!.data as Float32Array, N, Cout, Cin, attrs.group, g), w!.shape, w!.dtype),
      ...(b ? [new Tensor(channelSum(DY, N, Cout, OH * OW), b.shape, b.dtype)] : []),
    ];
  },
});

/** For element i of `index` (shape `idxShape`), the flat offset into a tensor of `shape` with the `axis` coordinate taken from the index. */
function forEachGather(shape: readonly number[], idxShape: readonly number[], axis: number, index: Tensor, op: string,
  visit: (idxFlat: number, srcFlat: number) => void): void {
  const n = shape.length, D = shape[axis]!;
  const strides: number[] = [];
  let s = 1;
  for (let d = n - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]!; }
  const pos = new Array<number>(n).fill(0);
  let base = 0; // offset of pos with the axis coordinate set to 0
  for (let i = 0; i < index.size; i++) {
    let j = index.get(i);
    if (j < 0) j += D;
    if (!(j >= 0 && j < D)) throw new Error(`${op}: index ${index.get(i)} is out of range for axis ${axis} of size ${D}`);
    visit(i, base + j * strides[axis]!);
    for (let d = n - 1; d >= 0; d--) {
      pos[d]!++;
      if (d !== axis) base += strides[d]!;
      if (pos[d]! < idxShape[d]!) break;
      if (d !== axis) base -= strides[d]! * idxShape[d]!;
      pos[d] = 0;
    }
  }
}

function checkGatherShapes(x: Tensor, index: Tensor, axis: number, op: string): number {
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (ax < 0 || ax >= x.ndim) throw new Error(`${op}: axis ${axis} is out of range for a ${x.ndim}-D input`);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== ax && d > x.shape[i]!)) {
    throw new Error(`${op}: index shape [${index.shape}] must have the input's rank ${x.ndim} and no dim larger than input [${x.shape}] off axis ${ax}`);
  }
  if (index.dtype !== 'int64' && index.dtype !== 'int32') throw new Error(`${op}: index must be int32 or int64, got ${index.dtype}`);
  return ax;
}

/** MindSpore ops.gather_elements(input, dim, index) (torch.gather): out[i][j] = input[i][index[i][j]] along `axis`. */
export const GatherElements: OpDef<{ axis: number }> = defineOp<{ axis: number }>({
  name: 'GatherElements',
  forward: ([x, index], { axis }) => {
    const ax = checkGatherShapes(x!, index!, axis, 'GatherElements');
    const out = allocData(x!.dtype, index!.size);
    const src = x!.data as Float32Array, dst = out as Float32Array;
    forEachGather(x!.shape, index!.shape, ax, index!, 'GatherElements', (i, k) => { dst[i] = src[k]!; });
    return new Tensor(out, index!.shape, x!.dtype);
  },
  // scatter-add: every picked element passes its output gradient back to where it was read
  backward: (dy, [x, index], _y, { axis }) => {
    const ax = axis < 0 ? axis + x!.ndim : axis;
    const dx = new Float32Array(x!.size), g = dy.data as Float32Array;
    forEachGather(x!.shape, index!.shape, ax, index!, 'GatherElements', (i, k) => { dx[k] += g[i]!; });
    return [new Tensor(dx, x!.shape, x!.dtype), null];
  },
});

export interface OneHotAttrs { depth: number; onValue: number; offValue: number; axis: number }

/** MindSpore ops.one_hot(indices, depth, on_value, off_value, axis=-1); out-of-range indices give an all-off row. */
export const OneHot: OpDef<OneHotAttrs> = defineOp<OneHotAttrs>({
  name: 'OneHot',
  forward: ([indices], { depth, onValue, offValue, axis }) => {
    const n = indices!.ndim, ax = axis < 0 ? axis + n + 1 : axis;
    if (ax < 0 || ax > n) throw new Error(`OneHot: axis ${axis} is out of range for ${n}-D indices`);
    const outShape = [...indices!.shape.slice(0, ax), depth, ...indices!.shape.slice(ax)];
    const inner = shapeSize(indices!.shape.slice(ax)), outer = indices!.size / Math.max(inner, 1);
    const out = new Float32Array(shapeSize(outShape)).fill(offValue);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const c = indices!.get(o * inner + i);
      if (c >= 0 && c < depth) out[(o * depth + c) * inner + i] = onValue;
    }
    return new Tensor(out, outShape, 'float32');
  },
  noGrad: 'integer indices: piecewise constant',
});

export const layerOps: OpDef<any>[] = [Conv3D, Conv2DTranspose, GatherElements, OneHot];
