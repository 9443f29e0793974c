/**
 * Plain-JS GEMM. Rows of C are updated four at a time so each loaded B element feeds four multiply-adds;
 * K and N are blocked so the B panel stays in cache. Accumulation happens in the float32 C row, as float32 hardware does.
 */
const KB = 256;
const NB = 1024;

export function gemmJs(M: number, N: number, K: number,
  A: Float32Array, aOff: number, lda: number,
  B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void {
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const n1 = Math.min(N, n0 + NB);
    for (let k0 = 0; k0 < K; k0 += KB) {
      const k1 = Math.min(K, k0 + KB);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        const a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
          const b = bOff + k * ldb;
          for (let j = n0; j < n1; j++) {
            const y = B[b + j]!;
            C[c0 + j] += x0 * y;
            C[c1 + j] += x1 * y;
            C[c2 + j] += x2 * y;
            C[c3 + j] += x3 * y;
          }
        }
      }
      for (; i < M; i++) {
        const c0 = cOff + i * ldc, a0 = aOff + i * lda;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!;
          if (x0 === 0) continue;
          const b = bOff + k * ldb;
          for (let j = n0; j < n1; j++) C[c0 + j] += x0 * B[b + j]!;
        }
      }
    }
  }
}

export function gemmNTJs(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number): void {
  for (let i = 0; i < M; i++) {
    const a = aOff + i * K;
    for (let n = 0; n < N; n++) {
      const b = bOff + n * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        s0 += A[a + k]! * B[b + k]!;
        s1 += A[a + k + 1]! * B[b + k + 1]!;
        s2 += A[a + k + 2]! * B[b + k + 2]!;
        s3 += A[a + k + 3]! * B[b + k + 3]!;
      }
      for (; k < K; k++) s0 += A[a + k]! * B[b + k]!;
      C[cOff + i * N + n] = s0 + s1 + s2 + s3;
    }
  }
}
