/**
 * Hot kernels behind one swappable table (tfjs-style backends): ops call `kernels.x`, never a concrete
 * implementation, so a WebAssembly or worker-thread backend can replace an entry without touching callers.
 *
 * The default table is the WebAssembly SIMD backend (./wasm.ts, built from asm/kernels.ts) when its module is
 * present (the relaxed-SIMD build, with fused multiply-add, where V8 takes it; MSPORT_KERNELS=simd keeps the plain
 * SIMD build), with plain JS for small problems; MSPORT_KERNELS=js keeps plain JS everywhere. Large kernels use
 * `setKernelThreads(n)` threads (MSPORT_THREADS; default min(2, cores)), split in a fixed way, so results do not
 * depend on the thread count.
 */
import { availableParallelism } from 'node:os';
import { gemmJs, gemmNTJs } from './gemm-js.js';
import { conv2dJs } from './conv-js.js';
import { erfFast } from './erf-js.js';
import { maxPool2dJs, type Pool2DGeometry } from './pool-js.js';
import { WasmBackend, type Conv2DGeometry, type ResidentBlock } from './wasm.js';

export type { Conv2DGeometry } from './wasm.js';
export type { Pool2DGeometry } from './pool-js.js';

export interface KernelSet {
  /** C[M×N] (+)= A[M×K] · B[K×N], all row-major, with leading dimensions lda/ldb/ldc and offsets. */
  gemm(M: number, N: number, K: number,
       A: Float32Array, aOff: number, lda: number,
       B: Float32Array, bOff: number, ldb: number,
       C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void;
  /**
   * A[M×K] · B into a new M×N array, B row-major K×N (ldb) or, when transB, N×K (the Dense layout); null to have the
   * caller allocate and call gemm/gemmNT.
   */
  gemmOut(M: number, N: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number, transB: boolean): Float32Array | null;
  /** C[M×N] = A[M×K] · B[N×K]ᵀ (row-major B holding N rows of K): the Dense/Linear layout. */
  gemmNT(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number): void;
  /** Forward NCHW convolution by [O, C/group, KH, KW] weights (+ bias per output channel), into a new array. */
  conv2d(p: Conv2DGeometry, X: Float32Array, W: Float32Array, bias: Float32Array | null): Float32Array;
  /** 1 / (1 + exp(−x)) elementwise, into a new array. */
  sigmoid(X: Float32Array): Float32Array;
  /** x > 0 ? x : 0 elementwise, into a new array. */
  relu(X: Float32Array): Float32Array;
  /** x < lo ? lo : x > hi ? hi : x elementwise, into a new array. */
  clip(X: Float32Array, lo: number, hi: number): Float32Array;
  /**
   * Softmax along the last axis of a [rows × L] array into a new array, or null to have the caller compute it
   * (the JS softmax lives with its op).
   */
  softmaxRows(X: Float32Array, rows: number, L: number): Float32Array | null;
  /** erf elementwise, into a new array. */
  erf(X: Float32Array): Float32Array;
  /** Exact GELU 0.5·x·(1 + erf(x/√2)) elementwise, into a new array. */
  gelu(X: Float32Array): Float32Array;
  /** SiLU x·sigmoid(x) elementwise, into a new array. */
  silu(X: Float32Array): Float32Array;
  /** Max pooling (window elements in row-major order from −∞; v > m or NaN v wins), into a new array. */
  maxPool2d(g: Pool2DGeometry, X: Float32Array): Float32Array;
  /**
   * out = A ∘ B over [rows × len] float32, B full (bMod 0), one value per row (B[r mod bMod]) or one row for every
   * row (bMod −1, B[i]), B ∘ A when swap,
   * bit for bit what the JS loops compute; null to have the caller's loop do it.
   */
  binary(op: 'add' | 'sub' | 'mul' | 'div', A: Float32Array, B: Float32Array, rows: number, len: number, bMod: number, swap: boolean): Float32Array | null;
  /**
   * [B, R, C] → [B, C, R] float32 (a copy, so exact), into a new array; X may be the float32 bytes at any alignment
   * (Tensor.unalignedBytes); null for the caller's loop.
   */
  transpose2d(X: Float32Array | Uint8Array, B: number, R: number, C: number): Float32Array | null;
  /** out[r·len + i] = X[r·len + i]·scale[r mod C] + shift[r mod C] in float64, rounded to float32; null for the caller's loop. */
  affineRows(X: Float32Array, scale: Float64Array, shift: Float64Array, rows: number, len: number): Float32Array | null;
  /**
   * `n` bytes of the backend's memory for data that outlives calls (a model file's bytes), so kernels read views on
   * them in place; the block lives while the returned view or any object passed to `tie` is reachable, or until its
   * `free` (or the end of the resident scope it was taken in). null when the backend has no such memory or no room.
   */
  residentBytes(n: number): ResidentBlock | null;
  /**
   * Resident blocks taken between these two calls are freed at the second, whoever holds views on them: a streamed
   * block's weights go when the block is done, not when the garbage collector gets to them.
   */
  beginResidentScope(): void;
  endResidentScope(): void;
  /**
   * Open a forward arena if the backend has one (true then): until `endArena`, kernel results may be views on the
   * backend's memory, valid until `release` or `endArena`, so the caller must copy out what it keeps.
   */
  beginArena(): boolean;
  endArena(): void;
  /** Whether `a` is such a view. */
  owns(a: Float32Array): boolean;
  /** The caller is done with the view `a` (and with every other view on the same block). */
  release(a: Float32Array): void;
}

function sigmoidJs(X: Float32Array): Float32Array {
  const O = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) O[i] = 1 / (1 + Math.exp(-X[i]!));
  return O;
}

function reluJs(X: Float32Array): Float32Array {
  const O = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = v > 0 ? v : 0; }
  return O;
}

function clipJs(X: Float32Array, lo: number, hi: number): Float32Array {
  const O = new Float32Array(X.length);
  // lo < v ? v : lo, then the upper bound: NaN → lo and −0 → lo = 0, as the WebAssembly kernel and MindSpore 2.10
  for (let i = 0; i < X.length; i++) { const v = X[i]!; const t = lo < v ? v : lo; O[i] = hi < t ? hi : t; }
  return O;
}

function erfJs(X: Float32Array): Float32Array {
  const O = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) O[i] = erfFast(X[i]!);
  return O;
}

// x·√½ rounded to float32 as the composed ops did; then x·(1 + erf)·0.5 in MindSpore's order (·0.5 exact)
function geluJs(X: Float32Array): Float32Array {
  const O = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = Math.fround(v * Math.fround(Math.fround(erfFast(Math.fround(v * Math.SQRT1_2))) + 1)) * 0.5; }
  return O;
}

function siluJs(X: Float32Array): Float32Array {
  const O = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) { const v = X[i]!; O[i] = v * Math.fround(1 / (1 + Math.exp(-v))); }
  return O;
}

export const jsKernels: KernelSet = {
  gemm: gemmJs, gemmNT: gemmNTJs, conv2d: conv2dJs, sigmoid: sigmoidJs, relu: reluJs, clip: clipJs, erf: erfJs, gelu: geluJs, silu: siluJs,
  maxPool2d: maxPool2dJs, softmaxRows: () => null,
  binary: () => null, affineRows: () => null, gemmOut: () => null, transpose2d: () => null, residentBytes: () => null,
  beginResidentScope: () => undefined, endResidentScope: () => undefined, beginArena: () => false, endArena: () => undefined, owns: () => false, release: () => undefined,
};

const wasm = WasmBackend.load();

/** Below this many multiply-adds a call stays in JS (copying operands in and out would cost more than it saves). */
const WASM_MIN_MACS = 1 << 14;
/**
 * Operands above this many floats with few rows stay in JS: the copy would hold that much WebAssembly memory for the
 * rest of the process (it never shrinks) to save little on a product that is memory-bound anyway (VGG's classifier).
 */
const WASM_BIG_FLOATS = 1 << 25;

function wasmKernels(b: WasmBackend): KernelSet {
  // an elementwise op of the module's `unary` export, or its JS loop for small arrays
  const unary = (op: 'sigmoid' | 'relu' | 'erf' | 'gelu' | 'silu', js: (X: Float32Array) => Float32Array) => (X: Float32Array): Float32Array =>
    (X.length < 256 || !b.fits(2 * X.length) ? js(X) : b.unary(op, X));
  return {
    gemm(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate) {
      if (M * N * K < WASM_MIN_MACS || M < 2 || (M < 16 && K * N > WASM_BIG_FLOATS) || !b.fits(M * lda + K * ldb + M * ldc)) return gemmJs(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
      b.gemm(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
    },
    // as gemm/gemmNT decide, but the result may stay in the arena
    gemmOut(M, N, K, A, aOff, lda, B, bOff, ldb, transB) {
      // one row (a batch-of-one classifier): the weight is streamed once, from where it is in kernel memory, or
      // copied in when that is cheaper than the JS dot products and not a lasting hold on memory (see gemm)
      if (M === 1 && transB && N * K >= WASM_MIN_MACS && (b.owns(B) || (N * ldb <= WASM_BIG_FLOATS && b.fits(N * ldb + K + N)))) return b.gemv(N, K, A, aOff, B, bOff, ldb);
      const bFloats = transB ? N * ldb : K * ldb;
      if (M * N * K < WASM_MIN_MACS || M < 2 || (M < 16 && K * N > WASM_BIG_FLOATS && !b.owns(B)) || !b.fits(M * lda + bFloats + M * N)) return null;
      return b.gemmOut(M, N, K, A, aOff, lda, B, bOff, ldb, transB);
    },
    gemmNT(M, N, K, A, aOff, B, bOff, C, cOff) {
      // a single row is a matrix-vector product: memory-bound, and copying B in would double its traffic
      if (M * N * K < WASM_MIN_MACS || M < 2 || (M < 16 && K * N > WASM_BIG_FLOATS) || !b.fits((M + N) * K + M * N)) return gemmNTJs(M, N, K, A, aOff, B, bOff, C, cOff);
      b.gemm(M, N, K, A, aOff, K, B, bOff, K, C, cOff, N, false, true);
    },
    conv2d(p, X, W, bias) {
      const macs = p.N * p.O * p.OH * p.OW * (p.C / p.group) * p.KH * p.KW;
      if (macs < WASM_MIN_MACS || !b.fits(p.N * (p.C * p.H * p.W + p.O * p.OH * p.OW) + W.length + p.O)) return conv2dJs(p, X, W, bias);
      return b.conv2d(p, X, W, bias) ?? conv2dJs(p, X, W, bias);
    },
    // float32 exp (Cephes polynomial, ~1 ulp) instead of JS's double Math.exp: within 2e-7 relative of sigmoidJs
    sigmoid: unary('sigmoid', sigmoidJs),
    // exact: pmax/pmin compare exactly as the JS ternaries do (NaN and −0 included), without their branch misses
    relu: unary('relu', reluJs),
    clip(X, lo, hi) {
      // bounds that are not float32 values, or lo > hi, keep the JS loop (exactly its comparisons)
      if (X.length < 256 || !(lo <= hi) || Math.fround(lo) !== lo || Math.fround(hi) !== hi || !b.fits(2 * X.length)) return clipJs(X, lo, hi);
      return b.unary('clip', X, lo, hi);
    },
    // float32 rational approximation (Eigen/XLA's): within 5e-7 relative of the double erf
    erf: unary('erf', erfJs),
    // erf as above, the products in float32: within 1e-6 relative of geluJs away from the erf cancellation at x ≪ 0
    gelu: unary('gelu', geluJs),
    // sigmoid as above, the product in float32
    silu: unary('silu', siluJs),
    // float32 exp (~1 ulp), float64 sum and division: within 3e-7 relative of the all-float64 JS softmax
    softmaxRows(X, rows, L) {
      if (L < 8 || X.length < 1024 || !b.fits(2 * X.length)) return null;
      return b.softmaxRows(X, rows, L);
    },
    maxPool2d(g, X) {
      return (X.length >= 256 && b.fits(X.length + g.planes * g.OH * g.OW) ? b.maxPool2d(g, X) : null) ?? maxPool2dJs(g, X);
    },
    // memory-bound: worth it for the arena (no copy out, the next kernel reads it in place) and the second thread
    binary(op, A, B, rows, len, bMod, swap) {
      const n = rows * len;
      if (n < 4096 || !b.fits(3 * n)) return null;
      return b.binary(op, A, B, rows, len, bMod, swap);
    },
    transpose2d(X, B, R, C) {
      const n = B * R * C;
      if (n < 4096 || !b.fits(2 * n)) return null;
      return b.transpose2d(X, B, R, C);
    },
    affineRows(X, scale, shift, rows, len) {
      const n = rows * len;
      if (n < 4096 || !b.fits(2 * n + 4 * scale.length)) return null;
      return b.affineRows(X, scale, shift, rows, len);
    },
    residentBytes: n => b.resident(n),
    beginResidentScope: () => b.beginResidentScope(),
    endResidentScope: () => b.endResidentScope(),
    beginArena() { b.beginArena(); return true; },
    endArena() { b.endArena(); },
    owns: a => b.owns(a),
    release: a => b.release(a),
  };
}

export const kernels: KernelSet = wasm ? wasmKernels(wasm) : { ...jsKernels };

/** Replace some kernels (e.g. with a WebAssembly build); returns a function restoring the previous ones. */
export function useKernels(overrides: Partial<KernelSet>): () => void {
  const prev = { ...kernels };
  Object.assign(kernels, overrides);
  return () => { Object.assign(kernels, prev); };
}

function defaultThreads(): number {
  const env = Number(process.env.MSPORT_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.min(2, availableParallelism());
}
wasm?.setThreads(defaultThreads());

/**
 * `data` copied into a resident block of kernel memory (held while the returned view is reachable), so kernels read it
 * where it is instead of copying it in at every call: for weights derived at import (a transposed Linear weight),
 * which the model file's bytes in kernel memory do not hold. `data` itself when it is there already, or there is no
 * such memory or no room.
 */
export function toKernelMemory(data: Float32Array): Float32Array {
  if (kernels.owns(data)) return data;
  const block = kernels.residentBytes(data.byteLength);
  if (!block) return data;
  const view = new Float32Array(block.bytes.buffer, block.bytes.byteOffset, data.length);
  block.tie(view);
  view.set(data);
  return view;
}

/**
 * A float32 [R, C] matrix at `offset` of the open file `fd`, read straight into kernel memory and transposed into a
 * resident block ([C, R]) without passing through JavaScript memory; null when there is no such memory or no room
 * (the caller reads and transposes it the usual way).
 */
export function transposeFromFile(fd: number, offset: number, R: number, C: number): Float32Array | null {
  return wasm && R * C >= 4096 ? wasm.transposeFromFile(fd, offset, R, C) : null;
}

/** Kernel threads for large kernels (fixed split, same results for any count); returns the count in effect. */
export function setKernelThreads(n: number): number { return wasm ? wasm.setThreads(n) : 1; }

export function kernelInfo(): { threads: number; description: string; stats: { workerParts: number; callerParts: number; splitCalls: number; waitMs: number } } {
  const stats = wasm ? { ...wasm.stats } : { workerParts: 0, callerParts: 0, splitCalls: 0, waitMs: 0 };
  return wasm ? { threads: wasm.threadCount, description: `${wasm.flavor}, ${wasm.threadCount} thread(s)`, stats } : { threads: 1, description: 'js', stats };
}
