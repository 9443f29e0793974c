/**
 * Hot kernels behind one swappable table (tfjs-style backends): ops call `kernels.x`, never a concrete
 * implementation, so a WebAssembly or worker-thread backend can replace an entry without touching callers.
 */
import { gemmJs, gemmNTJs } from './gemm-js.js';

export interface KernelSet {
  /** C[M×N] (+)= A[M×K] · B[K×N], all row-major, with leading dimensions lda/ldb/ldc and offsets. */
  gemm(M: number, N: number, K: number,
       A: Float32Array, aOff: number, lda: number,
       B: Float32Array, bOff: number, ldb: number,
       C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void;
  /** C[M×N] = A[M×K] · B[N×K]ᵀ (row-major B holding N rows of K): the Dense/Linear layout. */
  gemmNT(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number): void;
}

export const jsKernels: KernelSet = { gemm: gemmJs, gemmNT: gemmNTJs };

export const kernels: KernelSet = { ...jsKernels };

/** Replace some kernels (e.g. with a WebAssembly build); returns a function restoring the previous ones. */
export function useKernels(overrides: Partial<KernelSet>): () => void {
  const prev = { ...kernels };
  Object.assign(kernels, overrides);
  return () => { Object.assign(kernels, prev); };
}
