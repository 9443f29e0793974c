#!/usr/bin/env node
// Kernel-level check and micro-benchmark of the WebAssembly backend (run after `npm run build`):
//   node scripts/bench-kernels.mjs [--no-bench]
// 1. every wasm kernel against the plain-JS kernel on random shapes (conv: im2col, 1×1, depthwise, grouped, dilated,
//    transposed small-P path; gemm/gemmNT with offsets and accumulate; max pooling, relu/clip exactly; sigmoid, erf,
//    softmax within float32 rounding), and the same results with 1 and 2 threads (bit for bit);
// 2. GFLOPS of the conv/GEMM shapes that dominate the zoo models, 1 and 2 threads (best of several runs).
// Exits non-zero when a check fails.
import { jsKernels, kernels, kernelInfo, setKernelThreads } from '../dist/runtime/kernels/index.js';

const info = kernelInfo();
console.log(`kernels: ${info.description}`);
if (!info.description.startsWith('wasm')) { console.log('no WebAssembly module (run npm run build): nothing to compare'); process.exit(1); }
let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 - 0.5; };
const arr = n => Float32Array.from({ length: n }, rnd);
const maxDiff = (a, b) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };
const identical = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
let failures = 0;
const fail = msg => { failures++; console.log(`FAIL ${msg}`); };
const bothThreads = f => { setKernelThreads(1); const a = f(); setKernelThreads(2); const b = f(); return [a, b]; };

// ---------------------------------------------------------------- convolution
let convCases = 0, worstConv = 0;
const convCase = p => {
  const X = arr(p.N * p.C * p.H * p.W), W = arr(p.O * (p.C / p.group) * p.KH * p.KW), B = convCases % 2 ? arr(p.O) : null;
  const ref = jsKernels.conv2d(p, X, W, B);
  const [a, b] = bothThreads(() => kernels.conv2d(p, X, W, B));
  const K = (p.C / p.group) * p.KH * p.KW;
  const d = maxDiff(ref, a) / Math.sqrt(K);
  worstConv = Math.max(worstConv, d);
  convCases++;
  if (d > 2e-6) fail(`conv ${JSON.stringify(p)}: max diff ${d.toExponential(2)}·√K`);
  if (!identical(a, b)) fail(`conv ${JSON.stringify(p)}: 1 and 2 threads differ`);
};
for (let t = 0; t < 80; t++) {
  const depthwise = t % 5 === 0, group = depthwise ? 0 : [1, 1, 2, 3][t % 4];
  const Cg = depthwise ? 1 : 1 + (t * 7) % 9;
  const C = depthwise ? 4 + t : Cg * group, g = depthwise ? C : group;
  const Og = depthwise ? 1 : 1 + (t * 5) % 13, O = Og * g;
  const KH = 1 + (t % 4), KW = 1 + ((t >> 2) % 4);
  const H = KH + (t * 3) % 20, W = KW + (t * 11) % 20;
  const sh = 1 + (t % 3 === 0), sw = 1 + (t % 2 === 0), dh = 1 + (t % 7 === 0), dw = 1 + (t % 6 === 0);
  const pt = t % 3, pb = (t >> 1) % 3, pl = t % 2, pr = (t >> 2) % 3, N = 1 + (t % 3 === 1);
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1, OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  if (OH > 0 && OW > 0) convCase({ N, C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, group: g });
}
// large shapes: threads split the work; few pixels with many channels take the transposed path
for (const [C, O, H, k, s, g, N, dil] of [[64, 64, 56, 3, 1, 1, 1, 1], [3, 64, 224, 7, 2, 1, 1, 1], [512, 2048, 7, 1, 1, 1, 1, 1],
  [64, 128, 8, 3, 1, 1, 2, 1], [96, 200, 9, 3, 2, 1, 1, 1], [128, 256, 7, 3, 1, 2, 1, 2], [300, 72, 6, 1, 1, 1, 1, 1], [144, 144, 56, 3, 1, 144, 1, 1], [96, 96, 112, 3, 2, 96, 1, 1],
  // split calls of one image and group pack the shared operand ahead: the weights (parts split the pixels), the
  // im2col or the image (parts split the channels), the transposed patches; odd channel and pixel counts
  [64, 66, 40, 3, 1, 1, 1, 1], [200, 258, 14, 3, 1, 1, 1, 1], [256, 256, 28, 3, 2, 1, 1, 1], [1024, 252, 14, 1, 1, 1, 1, 1],
  [512, 512, 7, 3, 1, 1, 1, 1], [256, 72, 7, 3, 1, 1, 1, 1]]) {
  const pad = (k - 1) >> 1, OH = Math.floor((H + 2 * pad - dil * (k - 1) - 1) / s) + 1;
  convCase({ N, C, H, W: H, O, KH: k, KW: k, sh: s, sw: s, pt: pad, pl: pad, dh: dil, dw: dil, OH, OW: OH, group: g });
}
console.log(`conv: ${convCases} cases, worst |Δ|/√K ${worstConv.toExponential(2)}`);

// ---------------------------------------------------------------- gemm / gemmNT
for (const [M, N, K] of [[5, 7, 3], [64, 100, 300], [197, 768, 768], [13, 2000, 17], [300, 49, 600], [2, 1000, 512]]) {
  const A = arr(M * K + 3), B = arr(K * N + 5), Bt = arr(N * K), C0 = arr(M * N + 7);
  const ref = Float32Array.from(C0), refNT = new Float32Array(M * N);
  jsKernels.gemm(M, N - 1, K, A, 3, K, B, 5, N, ref, 7, N, true);
  jsKernels.gemmNT(M, N, K, A, 0, Bt, 0, refNT, 0);
  const [a, b] = bothThreads(() => { const c = Float32Array.from(C0); kernels.gemm(M, N - 1, K, A, 3, K, B, 5, N, c, 7, N, true); return c; });
  const [p, q] = bothThreads(() => { const c = new Float32Array(M * N); kernels.gemmNT(M, N, K, A, 0, Bt, 0, c, 0); return c; });
  const d = Math.max(maxDiff(ref, a), maxDiff(refNT, p)) / Math.sqrt(K);
  if (d > 2e-6) fail(`gemm ${M}×${N}×${K}: max diff ${d.toExponential(2)}·√K`);
  if (!identical(a, b) || !identical(p, q)) fail(`gemm ${M}×${N}×${K}: 1 and 2 threads differ`);
}
console.log('gemm/gemmNT: checked');

// ---------------------------------------------------------------- pooling and elementwise
let poolCases = 0;
for (let t = 0; t < 200; t++) {
  const KH = 1 + (t % 4), KW = 1 + ((t >> 2) % 4), sh = 1 + (t % 3), sw = 1 + ((t >> 1) % 3), dh = 1 + (t % 5 === 0), dw = 1 + (t % 7 === 0);
  const H = 1 + (t * 7) % 30, W = 1 + (t * 13) % 30, pt = Math.min(t % 2, KH >> 1), pl = Math.min((t >> 3) % 2, KW >> 1);
  const OH = Math.floor((H + 2 * pt - dh * (KH - 1) - 1) / sh) + 1 + (t % 11 === 0), OW = Math.floor((W + 2 * pl - dw * (KW - 1) - 1) / sw) + 1;
  if (OH <= 0 || OW <= 0) continue;
  const planes = 1 + (t % 13), X = arr(planes * H * W);
  if (t % 4 === 0) X[t % X.length] = NaN;
  if (t % 6 === 0) X[(t * 7) % X.length] = -0;
  const g = { planes, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW };
  poolCases++;
  if (!identical(jsKernels.maxPool2d(g, X), kernels.maxPool2d(g, X))) fail(`maxPool2d ${JSON.stringify(g)} differs`);
}
const X = arr(100003).map(v => v * 40);
[[5, NaN], [7, -0], [9, Infinity], [11, -Infinity], [13, 7], [15, -3], [17, 200], [19, -200]].forEach(([i, v]) => { X[i] = v; });
if (!identical(jsKernels.relu(X), kernels.relu(X))) fail('relu differs');
if (!identical(jsKernels.clip(X, 0, 6), kernels.clip(X, 0, 6)) || !identical(jsKernels.clip(X, -0.25, 0.25), kernels.clip(X, -0.25, 0.25))) fail('clip differs');
const rel = (a, b) => { let d = 0; for (let i = 0; i < a.length; i++) { if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity; if (!Number.isNaN(a[i]) && a[i] !== b[i]) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-30)); } return d; };
const dSig = rel(jsKernels.sigmoid(X), kernels.sigmoid(X)), dErf = rel(jsKernels.erf(X), kernels.erf(X));
if (!(dSig < 1e-6)) fail(`sigmoid relative diff ${dSig}`);
if (!(dErf < 1e-6)) fail(`erf relative diff ${dErf}`);
// GELU is x·Φ(x): Φ's float32 error (~5e-7 absolute, where 1 + erf cancels for x ≪ 0) scales with x, so the bound
// is on |Δ| / max(|x|, 1); SiLU's sigmoid has no such cancellation and is checked relatively
const scaled = (a, b) => { let d = 0; for (let i = 0; i < a.length; i++) { if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity; if (!Number.isNaN(a[i]) && a[i] !== b[i]) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(Math.abs(X[i]), 1)); } return d; };
const dGelu = scaled(jsKernels.gelu(X), kernels.gelu(X)), dSilu = rel(jsKernels.silu(X), kernels.silu(X));
if (!(dGelu < 1e-6)) fail(`gelu scaled diff ${dGelu}`);
if (!(dSilu < 1e-6)) fail(`silu relative diff ${dSilu}`);
console.log(`maxPool2d: ${poolCases} cases exact; relu, clip exact; sigmoid within ${dSig.toExponential(1)}, erf within ${dErf.toExponential(1)}, silu within ${dSilu.toExponential(1)} (relative); gelu within ${dGelu.toExponential(1)}·max(|x|, 1)`);

// binary ops and the BatchNorm affine: the wasm loops must equal the JS ones bit for bit (see asm binary)
{
  const { rowBroadcast } = await import('../dist/runtime/ops/broadcast.js');
  const { Tensor } = await import('../dist/runtime/tensor.js');
  const ops = await import('../dist/runtime/functional.js');
  const { useKernels } = await import('../dist/runtime/kernels/index.js');
  const cases = [[[2, 8, 17, 19], [2, 8, 17, 19]], [[40, 17, 19], [17, 19]], [[2, 8, 17, 19], [1, 8, 1, 1]], [[2, 8, 17, 19], [2, 8, 1, 1]], [[1, 8, 17, 19], []],
    [[64, 300], [300]], [[8, 1, 1], [4, 8, 33, 33]], [[197, 768], [1]], [[3, 5, 7, 11, 13], [5, 7, 1, 1]]];
  let n = 0;
  for (const [as, bs] of cases) {
    const a = new Tensor(arr(as.reduce((p, d) => p * d, 1)).map(v => v * 3), as, 'float32');
    const b = new Tensor(arr(bs.reduce((p, d) => p * d, 1)).map(v => v + 2.5), bs, 'float32');
    for (const op of ['add', 'sub', 'mul', 'div']) {
      const fast = ops[op](a, b), fastR = ops[op](b, a);
      const restore = useKernels({ binary: () => null, affineRows: () => null });
      const slow = ops[op](a, b), slowR = ops[op](b, a);
      restore();
      if (!identical(fast.data, slow.data) || !identical(fastR.data, slowR.data)) fail(`${op} [${as}] ∘ [${bs}] differs from the JS loop`);
      n++;
    }
  }
  if (rowBroadcast([2, 3, 4], [3, 1]) !== null ? rowBroadcast([2, 3, 4], [3, 1]).bMod !== 3 : true) fail('rowBroadcast [3, 1] against [2, 3, 4]');
  if (rowBroadcast([2, 3, 4], [2, 1, 4]) !== null) fail('rowBroadcast [2, 1, 4] is not one value per row');
  if (rowBroadcast([64, 300], [300])?.bMod !== -1) fail('rowBroadcast [300] against [64, 300] is one row for every row');
  // gemmOut is gemm into a new array: the same kernel and split, so the same bits
  for (const [M, N, K, transB] of [[197, 300, 64, false], [50, 77, 129, true], [3, 5, 7, false]]) {
    const A = arr(M * K), B = arr(K * N);
    const C = new Float32Array(M * N);
    if (transB) kernels.gemmNT(M, N, K, A, 0, B, 0, C, 0); else kernels.gemm(M, N, K, A, 0, K, B, 0, N, C, 0, N, false);
    const O = kernels.gemmOut(M, N, K, A, 0, K, B, 0, transB ? K : N, transB);
    if (O && !identical(O, C)) fail(`gemmOut ${M}×${N}×${K} differs from gemm`);
  }
  // one row by a weight takes the gemv kernel: the same bits as that row in a batch of three (the GEMM), within
  // float32 rounding of the JS dot products (float64 partial sums), the same bits on 1 and 2 threads (the largest
  // case splits); the last weight is a JS array, copied in
  for (const [N, K, resident] of [[1000, 2048, true], [37, 1000, true], [4096, 3001, true], [300, 700, false]]) {
    const res = resident ? kernels.residentBytes(N * K * 4) : null;
    if (resident && !res) { fail('no resident block for the gemv weight'); continue; }
    const B = res ? new Float32Array(res.bytes.buffer, res.bytes.byteOffset, N * K) : new Float32Array(N * K);
    res?.tie(B);
    B.set(arr(N * K));
    const A = arr(K), ref = new Float32Array(N);
    jsKernels.gemmNT(1, N, K, A, 0, B, 0, ref, 0);
    const [a, b] = bothThreads(() => kernels.gemmOut(1, N, K, A, 0, K, B, 0, K, true));
    if (!a || !b) { fail(`gemv ${N}×${K}: not taken`); continue; }
    const d = maxDiff(ref, a) / Math.sqrt(K);
    if (d > 2e-6) fail(`gemv ${N}×${K}: max diff ${d.toExponential(2)}·√K`);
    if (!identical(a, b)) fail(`gemv ${N}×${K}: 1 and 2 threads differ`);
    const A3 = new Float32Array(3 * K); A3.set(arr(K)); A3.set(A, K); A3.set(arr(K), 2 * K);
    const batch = kernels.gemmOut(3, N, K, A3, 0, K, B, 0, K, true);
    if (!batch || !identical(a, batch.subarray(N, 2 * N))) fail(`gemv ${N}×${K}: differs from its row in a batch of three`);
  }
  const x = new Tensor(arr(2 * 16 * 23 * 29), [2, 16, 23, 29], 'float32');
  const p = () => new Tensor(arr(16).map(v => v + 1.5), [16], 'float32');
  const [g, bt, m, v] = [p(), p(), p(), p()];
  const fastBn = ops.batchNormInference(x, g, bt, m, v, 1e-5);
  const restore = useKernels({ affineRows: () => null });
  const slowBn = ops.batchNormInference(x, g, bt, m, v, 1e-5);
  restore();
  if (!identical(fastBn.data, slowBn.data)) fail('batchNormInference differs from the JS loop');
  // transposes are copies: the kernel must move every element exactly where the JS tiles do
  for (const [shape, perm] of [[[768, 3072], [1, 0]], [[2, 96, 56, 56], [0, 2, 3, 1]], [[2, 56, 56, 96], [0, 3, 1, 2]], [[33, 65], [1, 0]], [[3, 7, 129], [0, 2, 1]], [[4, 5, 6, 7], [0, 1, 3, 2]]]) {
    const t = new Tensor(arr(shape.reduce((p, d) => p * d, 1)), shape, 'float32');
    const fastT = ops.transpose(t, perm);
    const restoreT = useKernels({ transpose2d: () => null });
    const slowT = ops.transpose(t, perm);
    restoreT();
    if (!identical(fastT.data, slowT.data) || fastT.shape.join() !== slowT.shape.join()) fail(`transpose [${shape}] by [${perm}] differs from the JS tiles`);
  }
  console.log(`binary: ${n} cases (add, sub, mul, div; full, per-row, scalar, swapped) and BatchNorm equal the JS loops bit for bit`);
}

if (process.argv.includes('--no-bench')) { console.log(failures ? `${failures} failed` : 'all checks passed'); process.exit(failures ? 1 : 0); }

// ---------------------------------------------------------------- throughput
const best = (f, reps = 12) => { for (let i = 0; i < 3; i++) f(); let b = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); f(); b = Math.min(b, performance.now() - t); } return b; };
console.log('\n| kernel | shape | 1 thread | 2 threads |\n|---|---|---|---|');
for (const [C, O, H, k, s, g] of [[64, 64, 56, 3, 1, 1], [256, 256, 14, 3, 1, 1], [512, 512, 7, 3, 1, 1], [1024, 256, 14, 1, 1, 1], [512, 2048, 7, 1, 1, 1], [3, 64, 224, 7, 2, 1], [144, 144, 56, 3, 1, 144]]) {
  const pad = (k - 1) >> 1, OH = Math.floor((H + 2 * pad - k) / s) + 1;
  const p = { N: 1, C, H, W: H, O, KH: k, KW: k, sh: s, sw: s, pt: pad, pl: pad, dh: 1, dw: 1, OH, OW: OH, group: g };
  const Xc = arr(C * H * H), W = arr(O * (C / g) * k * k), B = arr(O), flop = 2 * O * OH * OH * (C / g) * k * k;
  const r = [1, 2].map(t => { setKernelThreads(t); const ms = best(() => kernels.conv2d(p, Xc, W, B)); return `${ms.toFixed(2)} ms, ${(flop / ms / 1e6).toFixed(1)} GFLOPS`; });
  console.log(`| conv2d | ${C}→${O} ${k}×${k}/${s}${g > 1 ? ` g${g}` : ''} @${H}×${H} | ${r[0]} | ${r[1]} |`);
}
for (const [M, N, K, nt] of [[197, 3072, 768, true], [197, 2304, 768, false], [3136, 384, 96, false]]) {
  const A = arr(M * K), Bm = arr(K * N), Cm = new Float32Array(M * N), flop = 2 * M * N * K;
  const f = nt ? () => kernels.gemmNT(M, N, K, A, 0, Bm, 0, Cm, 0) : () => kernels.gemm(M, N, K, A, 0, K, Bm, 0, N, Cm, 0, N, false);
  const r = [1, 2].map(t => { setKernelThreads(t); const ms = best(f); return `${ms.toFixed(2)} ms, ${(flop / ms / 1e6).toFixed(1)} GFLOPS`; });
  console.log(`| ${nt ? 'gemmNT' : 'gemm'} | ${M}×${N}×${K} | ${r[0]} | ${r[1]} |`);
}
console.log(failures ? `\n${failures} failed` : '\nall checks passed');
process.exit(failures ? 1 : 0);
