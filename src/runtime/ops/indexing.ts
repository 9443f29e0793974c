/** Scatter-style indexing ops and Einsum as the exporters write them. */
import { allocData } from '../dtype.js';
import { Tensor, shapeSize } from '../tensor.js';
import { defineOp } from './registry.js';

/** ONNX ScatterND (reduction none): a copy of data with the slices at `indices` replaced by `updates`. */
export const ScatterND = defineOp({
  name: 'ScatterND',
  forward: ([data, indices, updates]) => {
    const out = new Tensor(data!.data.slice(), data!.shape, data!.dtype);
    const q = indices!.ndim, k = indices!.shape[q - 1]!;
    const slice = shapeSize(data!.shape.slice(k));
    const n = indices!.size / k;
    const strides = data!.shape.map((_, i) => shapeSize(data!.shape.slice(i + 1)));
    if (updates!.size !== n * slice) throw new Error(`ScatterND: updates have ${updates!.size} elements, expected ${n * slice}`);
    const dst = out.data as unknown as { [i: number]: number | bigint }, src = updates!.data as unknown as { [i: number]: number | bigint };
    for (let j = 0; j < n; j++) {
      let off = 0;
      for (let d = 0; d < k; d++) {
        let i = indices!.get(j * k + d);
        if (i < 0) i += data!.shape[d]!;
        if (i < 0 || i >= data!.shape[d]!) throw new Error(`ScatterND: index ${indices!.get(j * k + d)} out of range for dim ${d} of size ${data!.shape[d]}`);
        off += i * strides[d]!;
      }
      for (let e = 0; e < slice; e++) dst[off + e] = src[j * slice + e]!;
    }
    return out;
  },
  // data's gradient is dy with the overwritten slices zeroed; updates' is dy gathered at the same slices
  backward: (dy, [data, indices, updates]) => {
    const q = indices!.ndim, k = indices!.shape[q - 1]!, slice = shapeSize(data!.shape.slice(k)), n = indices!.size / k;
    const strides = data!.shape.map((_, i) => shapeSize(data!.shape.slice(i + 1)));
    const gData = new Tensor((dy.data as Float32Array).slice(), dy.shape, dy.dtype);
    const gUpd = Tensor.zeros(updates!.shape, dy.dtype);
    const offsets: number[] = [];
    for (let j = 0; j < n; j++) {
      let off = 0;
      for (let d = 0; d < k; d++) { let i = indices!.get(j * k + d); if (i < 0) i += data!.shape[d]!; off += i * strides[d]!; }
      offsets.push(off);
    }
    // a slice written twice keeps the last update (forward order), so only the last writer gets the gradient
    const last = new Map<number, number>();
    offsets.forEach((off, j) => last.set(off, j));
    offsets.forEach((off, j) => {
      for (let e = 0; e < slice; e++) {
        if (last.get(off) === j) (gUpd.data as Float32Array)[j * slice + e] = (dy.data as Float32Array)[off + e]!;
        (gData.data as Float32Array)[off + e] = 0;
      }
    });
    return [gData, null, gUpd];
  },
});

/**
 * Einsum for explicit equations (`bij,bjk->bik`): each output element sums the product of the operands over the
 * letters that do not appear in the output. Direct loops, accumulated in float64.
 */
export const Einsum = defineOp<{ equation: string }>({
  name: 'Einsum',
  forward: (xs, { equation }) => {
    const eq = equation.replace(/\s/g, '');
    const [lhs, rhs] = eq.split('->');
    if (rhs === undefined || eq.includes('...')) throw new Error(`Einsum: only explicit equations without ellipsis are supported, got '${equation}'`);
    const terms = lhs!.split(',');
    if (terms.length !== xs.length) throw new Error(`Einsum: '${equation}' names ${terms.length} operands, got ${xs.length}`);
    const size = new Map<string, number>();
    terms.forEach((t, k) => [...t].forEach((c, i) => {
      const d = xs[k]!.shape[i]!;
      if (size.has(c) && size.get(c) !== d && d !== 1 && size.get(c) !== 1) throw new Error(`Einsum: letter ${c} has sizes ${size.get(c)} and ${d}`);
      size.set(c, Math.max(size.get(c) ?? 1, d));
    }));
    const outLetters = [...rhs], sumLetters = [...size.keys()].filter(c => !outLetters.includes(c));
    const all = [...outLetters, ...sumLetters];
    const outShape = outLetters.map(c => size.get(c)!);
    const out = allocData(xs[0]!.dtype, shapeSize(outShape)) as Float32Array;
    const strides = terms.map((t, k) => [...t].map((c, i) => ({ pos: all.indexOf(c), stride: xs[k]!.shape[i] === 1 ? 0 : shapeSize(xs[k]!.shape.slice(i + 1)) })));
    const dims = all.map(c => size.get(c)!);
    const sumCount = shapeSize(sumLetters.map(c => size.get(c)!));
    const idx = new Array<number>(all.length).fill(0);
    for (let o = 0; o < out.length; o++) {
      let rem = o;
      for (let d = outLetters.length - 1; d >= 0; d--) { idx[d] = rem % dims[d]!; rem = Math.floor(rem / dims[d]!); }
      let acc = 0;
      for (let s = 0; s < sumCount; s++) {
        let r = s;
        for (let d = all.length - 1; d >= outLetters.length; d--) { idx[d] = r % dims[d]!; r = Math.floor(r / dims[d]!); }
        let p = 1;
        for (let k = 0; k < xs.length; k++) {
          let off = 0;
          for (const { pos, stride } of strides[k]!) off += idx[pos]! * stride;
          p *= xs[k]!.get(off);
        }
        acc += p;
      }
      out[o] = acc;
    }
    return new Tensor(out, outShape, xs[0]!.dtype);
  },
  noGrad: 'einsum gradients are not needed by any training path yet',
});

export const indexingOps = [ScatterND, Einsum];
