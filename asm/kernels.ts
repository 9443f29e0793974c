// WebAssembly SIMD kernels for msport's runtime (AssemblyScript; built by `npm run build:wasm` into
// dist/runtime/kernels/kernels.wasm). Every pointer is a byte offset into the (shared, imported) memory; the kernels
// allocate nothing and keep no state in memory, so several instances (one per thread) can share one memory.
//
// GEMM follows the Goto/BLIS scheme: B is packed per KC×NC block into NR-column micro-panels, A per MC×KC block
// into MR-row micro-panels, and a 4×8 register-blocked micro-kernel (8 f32x4 accumulators) sweeps them.
// Accumulation is in k order within a KC block: fused multiply-add in the relaxed-SIMD build, float32 multiply then
// add in the plain one (see madd).

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 64;
const NC: i32 = 512;

/** Bytes of scratch one thread needs for gemm: packed A block, packed B block and an edge tile. */
export function gemmScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR + 2 * NR) * 4;
}

// ---------------------------------------------------------------------------------------------------------------
// B operand sources. mode 0: row-major B[k][j] at b + (k*ldb + j)*4; mode 1: transposed, B[k][j] at b + (j*ldb + k)*4;
// mode 2: implicit im2col of an NCHW image (conv geometry in the globals below; column j is output pixel j).

let cC: i32 = 0, cH: i32 = 0, cW: i32 = 0, cKH: i32 = 0, cKW: i32 = 0, cSH: i32 = 0, cSW: i32 = 0;
let cPT: i32 = 0, cPL: i32 = 0, cDH: i32 = 0, cDW: i32 = 0, cOH: i32 = 0, cOW: i32 = 0;

/** Set the geometry the im2col packers read; whether the convolution is a plain 1×1 product (the image is B as is). */
@inline
function setGeometry(C: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32): bool {
  cC = C; cH = H; cW = W; cKH = KH; cKW = KW; cSH = sh; cSW = sw; cPT = pt; cPL = pl; cDH = dh; cDW = dw; cOH = OH; cOW = OW;
  return KH == 1 && KW == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
}

// Packed B layout: micro-panel p (columns jc+p*NR ..) holds kc rows of NR floats, panel stride kc*NR floats.
function packB(mode: i32, b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  if (mode == 0) {
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = min(NR, nc - jr);
      let d = dst + <usize>(jr * kc) * 4;
      let s = b + (<usize>pc * ldb + jc + jr) * 4;
      const step = <usize>ldb * 4;
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          d += 32; s += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < cols ? load<f32>(s + (<usize>j << 2)) : 0);
          d += 32; s += step;
        }
      }
    }
  } else if (mode == 1) {
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = min(NR, nc - jr);
      const d0 = dst + <usize>(jr * kc) * 4;
      let k = 0;
      if (cols == NR) {
        // 4×4 register transposes: rows j of B (columns of op(B)) become the k-rows of the panel
        const s0 = b + (<usize>(jc + jr) * ldb + pc) * 4, rs = <usize>ldb * 4;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          transpose4x4(s0 + o, rs, d0 + <usize>(k * NR) * 4, 32);
          transpose4x4(s0 + 4 * rs + o, rs, d0 + <usize>(k * NR) * 4 + 16, 32);
        }
      }
      for (let j = 0; j < NR; j++) {
        let d = d0 + <usize>(k * NR + j) * 4;
        if (j < cols) {
          let s = b + (<usize>(jc + jr + j) * ldb + pc + k) * 4;
          for (let kk = k; kk < kc; kk++) { store<f32>(d, load<f32>(s)); d += 32; s += 4; }
        } else {
          for (let kk = k; kk < kc; kk++) { store<f32>(d, 0); d += 32; }
        }
      }
    }
  } else {
    packIm2col(b, pc, kc, jc, nc, dst);
  }
}

// Column bases (oh·sh − pt, ow·sw − pl) of the NR columns of a panel that crosses output rows, in scratch.
let colBase: usize = 0;

function packIm2col(x: usize, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const KHW = cKH * cKW;
  const H = <u32>cH, W = <u32>cW;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const p0 = jc + jr;
    const oh0 = p0 / cOW, ow0 = p0 - oh0 * cOW;
    const oneRow = cols == NR && ow0 + NR <= cOW;
    const ihBase = oh0 * cSH - cPT, iwBase = ow0 * cSW - cPL;
    if (!oneRow) {
      let oh = oh0, ow = ow0;
      for (let j = 0; j < NR; j++) {
        // a column past the end gets a base no kernel offset brings into range: it packs zeros
        store<i32>(colBase + (<usize>j << 2), j < cols ? oh * cSH - cPT : -0x40000000);
        store<i32>(colBase + (<usize>(j + NR) << 2), ow * cSW - cPL);
        ow++;
        if (ow == cOW) { ow = 0; oh++; }
      }
    }
    let d = dst + <usize>(jr * kc) * 4;
    // decode k = pc into (channel, kernel row, kernel column), then step it
    let c = pc / KHW;
    const r = pc - c * KHW;
    let ki = r / cKW;
    let kj = r - ki * cKW;
    let chan = x + <usize>(c * cH * cW) * 4;
    for (let k = 0; k < kc; k++) {
      const dih = ki * cDH, diw = kj * cDW;
      if (oneRow) {
        const ih = ihBase + dih;
        const iw0 = iwBase + diw;
        if (<u32>ih >= H) {
          v128.store(d, f32x4.splat(0));
          v128.store(d, f32x4.splat(0), 16);
        } else {
          const row = chan + <usize>(ih * cW) * 4;
          if (cSW == 1 && iw0 >= 0 && iw0 + NR <= cW) {
            const s = row + (<usize>iw0 << 2);
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
          } else if (cSW == 2 && iw0 >= 0 && iw0 + 2 * NR <= cW) {
            const s = row + (<usize>iw0 << 2);
            v128.store(d, v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
            v128.store(d, v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), 16);
          } else {
            for (let j = 0; j < NR; j++) {
              const iw = iw0 + j * cSW;
              store<f32>(d + (<usize>j << 2), <u32>iw < W ? load<f32>(row + (<usize>iw << 2)) : 0);
            }
          }
        }
      } else {
        for (let j = 0; j < NR; j++) {
          const ih = load<i32>(colBase + (<usize>j << 2)) + dih;
          const iw = load<i32>(colBase + (<usize>(j + NR) << 2)) + diw;
          store<f32>(d + (<usize>j << 2), <u32>ih < H && <u32>iw < W ? load<f32>(chan + <usize>(ih * cW + iw) * 4) : 0);
        }
      }
      d += 32;
      kj++;
      if (kj == cKW) { kj = 0; ki++; if (ki == cKH) { ki = 0; c++; chan += <usize>(cH * cW) * 4; } }
    }
  }
}

/** Read 4 rows of 4 floats (row stride rs bytes) and write them transposed: 4 rows of 4 (stride ds bytes). */
@inline
function transpose4x4(s: usize, rs: usize, d: usize, ds: usize): void {
  const a0 = v128.load(s), a1 = v128.load(s + rs), a2 = v128.load(s + 2 * rs), a3 = v128.load(s + 3 * rs);
  const u0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), u1 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
  const u2 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), u3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5));
  v128.store(d + ds, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
  v128.store(d + 2 * ds, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5));
  v128.store(d + 3 * ds, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7));
}

// Packed A layout: micro-panel q (rows ic+q*MR ..) holds kc columns of MR floats. mode 0: row-major A[i][k] at
// a + (i*lda + k)*4; mode 1: transposed, A[i][k] at a + (k*lda + i)*4.
function packA(mode: i32, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const d0 = dst + <usize>(ir * kc) * 4;
    if (mode == 0) {
      let k = 0;
      if (rows == MR) {
        const rs = <usize>lda * 4;
        const s0 = a + (<usize>(ic + ir) * lda + pc) * 4;
        for (; k + 4 <= kc; k += 4) transpose4x4(s0 + (<usize>k << 2), rs, d0 + <usize>(k * MR) * 4, MR * 4);
      }
      for (let r = 0; r < MR; r++) {
        let d = d0 + <usize>(k * MR + r) * 4;
        if (r < rows) {
          let s = a + (<usize>(ic + ir + r) * lda + pc + k) * 4;
          for (let kk = k; kk < kc; kk++) { store<f32>(d, load<f32>(s)); d += MR * 4; s += 4; }
        } else {
          for (let kk = k; kk < kc; kk++) { store<f32>(d, 0); d += MR * 4; }
        }
      }
    } else if (mode == 1) {
      let d = d0;
      let s = a + (<usize>pc * lda + ic + ir) * 4;
      const step = <usize>lda * 4;
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) : 0);
        d += MR * 4; s += step;
      }
    } else {
      packPatches(a, ic + ir, rows, pc, kc, d0);
    }
  }
}

/**
 * A-panel of the transposed im2col (mode 2): rows are the output pixels p0..p0+rows of the conv geometry in the
 * globals, columns k = (channel, kernel row, kernel column); out-of-image taps and missing rows pack zeros.
 */
function packPatches(x: usize, p0: i32, rows: i32, pc: i32, kc: i32, dst: usize): void {
  const H = <u32>cH, W = <u32>cW;
  let oh = p0 / cOW, ow = p0 - (p0 / cOW) * cOW;
  for (let r = 0; r < MR; r++) {
    store<i32>(colBase + (<usize>r << 2), r < rows ? oh * cSH - cPT : -0x40000000);
    store<i32>(colBase + (<usize>(r + MR) << 2), ow * cSW - cPL);
    ow++;
    if (ow == cOW) { ow = 0; oh++; }
  }
  const KHW = cKH * cKW;
  let c = pc / KHW;
  const rem = pc - c * KHW;
  let ki = rem / cKW;
  let kj = rem - ki * cKW;
  let chan = x + <usize>(c * cH * cW) * 4;
  let d = dst;
  for (let k = 0; k < kc; k++) {
    const dih = ki * cDH, diw = kj * cDW;
    for (let r = 0; r < MR; r++) {
      const ih = load<i32>(colBase + (<usize>r << 2)) + dih;
      const iw = load<i32>(colBase + (<usize>(r + MR) << 2)) + diw;
      store<f32>(d + (<usize>r << 2), <u32>ih < H && <u32>iw < W ? load<f32>(chan + <usize>(ih * cW + iw) * 4) : 0);
    }
    d += MR * 4;
    kj++;
    if (kj == cKW) { kj = 0; ki++; if (ki == cKH) { ki = 0; c++; chan += <usize>(cH * cW) * 4; } }
  }
}

// Write back a partial tile (rows × cols of the NR-wide tile staged in tmp), adding to C and the bias as asked.
@inline
function storeEdge(tmp: usize, c: usize, ld: usize, rows: i32, cols: i32, first: bool, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * ld;
    const t = tmp + <usize>(r * NR) * 4;
    const bv: f32 = bias ? load<f32>(bias + (<usize>r << 2)) : 0;
    for (let j = 0; j < cols; j++) {
      const q = row + (<usize>j << 2);
      let v = load<f32>(t + (<usize>j << 2));
      if (!first) v = load<f32>(q) + v;
      if (bias) v = v + bv;
      store<f32>(q, v);
    }
  }
}

// c + a·b. Built twice (package.json build:wasm): with relaxed SIMD it is one fused multiply-add where the CPU has
// one (x64 FMA3, arm64), else and in the plain build a float32 multiply then add. A fused product is rounded once,
// so the two builds differ in the last bits; within one build every thread computes every element the same way.
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C tile (rows × cols ≤ MR × NR, leading dimension ldc floats) = (first ? 0 : C) + A-panel · B-panel (+ bias per row).
// MR = 4 keeps the 8 accumulators, 2 B vectors and the broadcast A in registers (V8 allocates 15 xmm registers;
// a 6×8 tile spills).
@inline
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, rows: i32, cols: i32, first: bool, bias: usize, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    ap += MR * 4; bp += 32;
  }
  const ld = <usize>ldc * 4;
  if (rows == MR && cols == NR) {
    let p = c;
    if (!first) {
      c00 = f32x4.add(v128.load(p), c00); c01 = f32x4.add(v128.load(p, 16), c01); p += ld;
      c10 = f32x4.add(v128.load(p), c10); c11 = f32x4.add(v128.load(p, 16), c11); p += ld;
      c20 = f32x4.add(v128.load(p), c20); c21 = f32x4.add(v128.load(p, 16), c21); p += ld;
      c30 = f32x4.add(v128.load(p), c30); c31 = f32x4.add(v128.load(p, 16), c31);
      p = c;
    }
    if (bias) {
      let bv = v128.load32_splat(bias); c00 = f32x4.add(c00, bv); c01 = f32x4.add(c01, bv);
      bv = v128.load32_splat(bias, 4); c10 = f32x4.add(c10, bv); c11 = f32x4.add(c11, bv);
      bv = v128.load32_splat(bias, 8); c20 = f32x4.add(c20, bv); c21 = f32x4.add(c21, bv);
      bv = v128.load32_splat(bias, 12); c30 = f32x4.add(c30, bv); c31 = f32x4.add(c31, bv);
    }
    v128.store(p, c00); v128.store(p, c01, 16); p += ld;
    v128.store(p, c10); v128.store(p, c11, 16); p += ld;
    v128.store(p, c20); v128.store(p, c21, 16); p += ld;
    v128.store(p, c30); v128.store(p, c31, 16);
    return;
  }
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  storeEdge(tmp, c, ld, rows, cols, first, bias);
}

// The same for a tile of at most 4 columns (the tail panel of a narrow N): half the multiply-adds of micro().
@inline
function micro4(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, rows: i32, cols: i32, first: bool, bias: usize, tmp: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    c0 = madd(v128.load32_splat(ap), b0, c0);
    c1 = madd(v128.load32_splat(ap, 4), b0, c1);
    c2 = madd(v128.load32_splat(ap, 8), b0, c2);
    c3 = madd(v128.load32_splat(ap, 12), b0, c3);
    ap += MR * 4; bp += 32;
  }
  v128.store(tmp, c0); v128.store(tmp, c1, 32); v128.store(tmp, c2, 64); v128.store(tmp, c3, 96);
  const ld = <usize>ldc * 4;
  storeEdge(tmp, c, ld, rows, cols, first, bias);
}

function gemmCore(K: i32, a: usize, lda: i32, amode: i32, b: usize, ldb: i32, bmode: i32,
  c: usize, ldc: i32, accumulate: bool, bias: usize, m0: i32, m1: i32, n0: i32, n1: i32, scratch: usize): void {
  const pa = scratch;
  const pb = pa + <usize>(MC * KC) * 4;
  const tmp = pb + <usize>(KC * NC) * 4;
  colBase = tmp + <usize>(MR * NR) * 4;
  if (K == 0) {
    // C = accumulate ? C : 0, plus bias
    for (let i = m0; i < m1; i++) for (let j = n0; j < n1; j++) {
      const q = c + (<usize>i * ldc + j) * 4;
      let v: f32 = accumulate ? load<f32>(q) : 0;
      if (bias) v += load<f32>(bias + (<usize>i << 2));
      store<f32>(q, v);
    }
    return;
  }
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const first = pc == 0 && !accumulate;
      const last = pc + kc >= K;
      // mode 3: the operand was packed ahead (prepack), every block where the layout puts it
      const pbk = bmode == 3 ? b + (<usize>pc * ldb + <usize>jc * kc) * 4 : pb;
      if (bmode != 3) packB(bmode, b, ldb, pc, kc, jc, nc, pb);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        const pak = amode == 3 ? a + (<usize>pc * lda + <usize>ic * kc) * 4 : pa;
        if (amode != 3) packA(amode, a, lda, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const bp = pbk + <usize>(jr * kc) * 4;
          const cols = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rb: usize = last && bias ? bias + (<usize>(ic + ir) << 2) : 0;
            const cp = c + (<usize>(ic + ir) * ldc + jc + jr) * 4;
            if (cols <= 4) micro4(kc, pak + <usize>(ir * kc) * 4, bp, cp, ldc, min(MR, mc - ir), cols, first, rb, tmp);
            else micro(kc, pak + <usize>(ir * kc) * 4, bp, cp, ldc, min(MR, mc - ir), cols, first, rb, tmp);
          }
        }
      }
    }
  }
}

/**
 * Rows m0..m1 and columns n0..n1 of C[M×N] (+)= op(A)[M×K] · op(B)[K×N] (+ bias[i] per row when bias ≠ 0).
 * transA: A is stored K×M; transB: B is stored N×K (the Dense layout); 3: packed ahead by prepack, with lda (ldb)
 * the rows (columns) rounded up to the micro-tile. lda/ldb/ldc are in elements.
 */
export function gemm(K: i32, a: usize, lda: i32, transA: i32, b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, accumulate: i32, bias: usize, m0: i32, m1: i32, n0: i32, n1: i32, scratch: usize): void {
  gemmCore(K, a, lda, transA, b, ldb, transB, c, ldc, accumulate != 0, bias, m0, m1, n0, n1, scratch);
}

/**
 * A one-row product in the Dense layout: out[n] = Σ_k x[k]·w[n·ldw + k] for rows n0..n1 of w [N × K], computed the
 * way the GEMM computes every element, so a batch of one gives the same bits as any row of a larger batch: per KC
 * block a chain of multiply-adds in k order from zero, the blocks' sums added in order. The weight is read once, as
 * it is: four rows ride in the lanes of a vector (4×4 register transposes turn their k-segments into k-columns), two
 * such groups at a time so one chain's latency hides behind the other; lanes past n1 repeat the last row and are
 * not stored.
 */
export function gemv(K: i32, x: usize, w: usize, ldw: i32, out: usize, n0: i32, n1: i32, scratch: usize): void {
  const rs = <usize>ldw * 4, last = n1 - 1;
  for (let n = n0; n < n1; n += 8) {
    const a0 = w + <usize>n * rs, a1 = w + <usize>min(n + 1, last) * rs, a2 = w + <usize>min(n + 2, last) * rs, a3 = w + <usize>min(n + 3, last) * rs;
    const b0 = w + <usize>min(n + 4, last) * rs, b1 = w + <usize>min(n + 5, last) * rs, b2 = w + <usize>min(n + 6, last) * rs, b3 = w + <usize>min(n + 7, last) * rs;
    let t0 = f32x4.splat(0), t1 = f32x4.splat(0);
    for (let pc = 0; pc < K; pc += KC) {
      const kend = min(K, pc + KC);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      let r0: v128, r1: v128, r2: v128, r3: v128, u0: v128, u1: v128, u2: v128, u3: v128;
      let k = pc;
      for (; k + 4 <= kend; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load32_splat(x + o), x1 = v128.load32_splat(x + o, 4), x2 = v128.load32_splat(x + o, 8), x3 = v128.load32_splat(x + o, 12);
        r0 = v128.load(a0 + o); r1 = v128.load(a1 + o); r2 = v128.load(a2 + o); r3 = v128.load(a3 + o);
        u0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); u1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        u2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); u3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        s0 = madd(x0, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), s0); s0 = madd(x1, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7), s0);
        s0 = madd(x2, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5), s0); s0 = madd(x3, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7), s0);
        r0 = v128.load(b0 + o); r1 = v128.load(b1 + o); r2 = v128.load(b2 + o); r3 = v128.load(b3 + o);
        u0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); u1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        u2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); u3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        s1 = madd(x0, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), s1); s1 = madd(x1, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7), s1);
        s1 = madd(x2, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5), s1); s1 = madd(x3, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7), s1);
      }
      for (; k < kend; k++) {
        const o = <usize>k << 2;
        const xk = v128.load32_splat(x + o);
        let c = f32x4.splat(load<f32>(a0 + o));
        c = f32x4.replace_lane(c, 1, load<f32>(a1 + o)); c = f32x4.replace_lane(c, 2, load<f32>(a2 + o)); c = f32x4.replace_lane(c, 3, load<f32>(a3 + o));
        s0 = madd(xk, c, s0);
        c = f32x4.splat(load<f32>(b0 + o));
        c = f32x4.replace_lane(c, 1, load<f32>(b1 + o)); c = f32x4.replace_lane(c, 2, load<f32>(b2 + o)); c = f32x4.replace_lane(c, 3, load<f32>(b3 + o));
        s1 = madd(xk, c, s1);
      }
      if (pc == 0) { t0 = s0; t1 = s1; } else { t0 = f32x4.add(t0, s0); t1 = f32x4.add(t1, s1); }
    }
    v128.store(scratch, t0); v128.store(scratch, t1, 16);
    const m = min(8, n1 - n);
    for (let j = 0; j < m; j++) store<f32>(out + (<usize>(n + j) << 2), load<f32>(scratch + (<usize>j << 2)));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Packing ahead. A call split into parts along one dimension would have every part pack the whole of the other
// operand; instead the parts first pack it once, together (panels p0..p1 each), into the layout mode 3 reads: for
// the k block at pc (KC wide, kc = min(KC, K − pc)), all panels in order, panel q at (pc·padLen + q·unit·kc) floats,
// padLen being M (N) rounded up to MR (NR). The panels are the ones packA/packB would have made, so results are the
// same bits.

function packRange(side: i32, mode: i32, src: usize, ld: i32, padLen: i32, K: i32, dst: usize, p0: i32, p1: i32): void {
  for (let pc = 0; pc < K; pc += KC) {
    const kc = min(KC, K - pc);
    const d = dst + (<usize>pc * padLen + <usize>p0 * kc) * 4;
    if (side == 0) packA(mode, src, ld, p0, p1 - p0, pc, kc, d);
    else packB(mode, src, ld, pc, kc, p0, p1 - p0, d);
  }
}

/** Rows p0..p1 of op(A) (side 0, mode 0 or 1) or columns p0..p1 of op(B) (side 1, mode 0 or 1), packed ahead. */
export function prepack(side: i32, mode: i32, src: usize, ld: i32, padLen: i32, K: i32, dst: usize, p0: i32, p1: i32, scratch: usize): void {
  packRange(side, mode, src, ld, padLen, K, dst, p0, p1);
}

/**
 * The im2col of an NCHW image packed ahead: output pixels p0..p1 as the rows of the transposed patches (side 0,
 * conv2dT's A) or as the columns of the im2col (side 1, conv2d's B); K = C·KH·KW.
 */
export function prepackConv(side: i32, x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  dh: i32, dw: i32, OH: i32, OW: i32, padLen: i32, dst: usize, p0: i32, p1: i32, scratch: usize): void {
  setGeometry(C, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW);
  colBase = scratch + <usize>(MC * KC + KC * NC + MR * NR) * 4;
  packRange(side, 2, x, 0, padLen, C * KH * KW, dst, p0, p1);
}

/**
 * Grouped 2-D convolution of `batch` NCHW images by implicit-im2col GEMM: for every image and group, output channels
 * m0..m1 (within the group) at output pixels n0..n1. x: [batch, group*C, H, W], w: [group*Og, C, KH, KW],
 * out: [batch, group*Og, OH, OW], bias: [group*Og] or 0. wPacked: (one image, one group) the weights packed ahead.
 */
export function conv2d(batch: i32, group: i32, x: usize, C: i32, H: i32, W: i32, w: usize, Og: i32, KH: i32, KW: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize, bias: usize,
  m0: i32, m1: i32, n0: i32, n1: i32, wPacked: usize, scratch: usize): void {
  convImages(false, batch, group, x, C, H, W, w, Og, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, out, bias, m0, m1, n0, n1, wPacked, 0, scratch);
}

/**
 * The same convolution computed transposed, for few output pixels and many channels: per image and group,
 * tmp[P × Og] = patchesᵀ · Wᵀ with the pixels as the GEMM rows, then out[o][p] = tmp[p][o] (+ bias[o]), for output
 * channels m0..m1 of each group (this thread's share). tmp holds P·Og floats. xPacked: (one image, one group) the
 * patches packed ahead by prepackConv side 0.
 */
export function conv2dT(batch: i32, group: i32, x: usize, C: i32, H: i32, W: i32, w: usize, Og: i32, KH: i32, KW: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize, bias: usize,
  m0: i32, m1: i32, tmp: usize, xPacked: usize, scratch: usize): void {
  convImages(true, batch, group, x, C, H, W, w, Og, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, out, bias, m0, m1, 0, 0, xPacked, tmp, scratch);
}

// Both convolutions, image by image and group by group; `packed` is the operand packed ahead (mode 3), if any.
function convImages(transposed: bool, batch: i32, group: i32, x: usize, C: i32, H: i32, W: i32, w: usize, Og: i32,
  KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize, bias: usize,
  m0: i32, m1: i32, n0: i32, n1: i32, packed: usize, tmp: usize, scratch: usize): void {
  const pointwise = setGeometry(C, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW);
  const K = C * KH * KW, P = OH * OW;
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < group; g++) {
      const xg = x + <usize>((n * group + g) * C * H * W) * 4;
      const wg = w + <usize>(g * Og * K) * 4;
      const og = out + <usize>((n * group + g) * Og * P) * 4;
      const bg: usize = bias ? bias + <usize>(g * Og) * 4 : 0;
      if (transposed) {
        // A' = patches (P × K): pointwise, Xᵀ read with lda = P; else the transposed im2col. B' = Wᵀ (K × Og).
        if (packed) gemmCore(K, packed, (P + MR - 1) & ~(MR - 1), 3, wg, K, 1, tmp, Og, false, 0, 0, P, m0, m1, scratch);
        else gemmCore(K, xg, pointwise ? P : 0, pointwise ? 1 : 2, wg, K, 1, tmp, Og, false, 0, 0, P, m0, m1, scratch);
        transposeOut(tmp, P, Og, og, bg, m0, m1);
      } else {
        if (packed) gemmCore(K, packed, (Og + MR - 1) & ~(MR - 1), 3, xg, pointwise ? P : 0, pointwise ? 0 : 2, og, P, false, bg, m0, m1, n0, n1, scratch);
        else gemmCore(K, wg, K, 0, xg, pointwise ? P : 0, pointwise ? 0 : 2, og, P, false, bg, m0, m1, n0, n1, scratch);
      }
    }
  }
}

/** out[o][p] = tmp[p][o] (+ bias[o]) for o in o0..o1, p < P; tmp is P × Og. */
function transposeOut(tmp: usize, P: i32, Og: i32, out: usize, bias: usize, o0: i32, o1: i32): void {
  const ts = <usize>Og * 4, os = <usize>P * 4;
  let o = o0;
  for (; o + 4 <= o1; o += 4) {
    const bv = bias ? v128.load(bias + (<usize>o << 2)) : f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= P; p += 4) {
      // rows p..p+3 of tmp at columns o..o+3, transposed into rows o..o+3 of out at p..p+3
      const s = tmp + (<usize>p * Og + o) * 4;
      const a0 = f32x4.add(v128.load(s), bv), a1 = f32x4.add(v128.load(s + ts), bv);
      const a2 = f32x4.add(v128.load(s + 2 * ts), bv), a3 = f32x4.add(v128.load(s + 3 * ts), bv);
      const u0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), u1 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
      const u2 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), u3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
      const d = out + (<usize>o * P + p) * 4;
      v128.store(d, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5));
      v128.store(d + os, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
      v128.store(d + 2 * os, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5));
      v128.store(d + 3 * os, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7));
    }
    for (; p < P; p++) for (let q = 0; q < 4; q++) {
      const b: f32 = bias ? load<f32>(bias + (<usize>(o + q) << 2)) : 0;
      store<f32>(out + (<usize>(o + q) * P + p) * 4, load<f32>(tmp + (<usize>p * Og + o + q) * 4) + b);
    }
  }
  for (; o < o1; o++) {
    const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
    for (let p = 0; p < P; p++) store<f32>(out + (<usize>o * P + p) * 4, load<f32>(tmp + (<usize>p * Og + o) * 4) + b);
  }
}

/**
 * Depthwise 2-D convolution (one input channel per output channel) for planes p0..p1 of [batch*C] planes:
 * out[p] = Σ_taps w[c][i][j] · x[p] shifted, accumulated tap by tap in (i, j) order from zero, then + bias[c].
 * Each plane is first copied into a zero-padded scratch plane (no bounds checks in the tap loops, and room for the
 * last 4-wide output vector to run past OW); four outputs accumulate in one register over all taps.
 * The scratch must hold depthwisePadFloats(...) floats.
 */
export function depthwise2d(x: usize, H: i32, W: i32, w: usize, C: i32, KH: i32, KW: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize, bias: usize, p0: i32, p1: i32, scratch: usize): void {
  const OW4 = (OW + 3) & ~3;
  const Wp = (OW4 - 1) * sw + (KW - 1) * dw + 1 + 4;
  const Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  const xp = scratch;
  const tail = scratch + <usize>(Hp * Wp) * 4;
  const rowBytes = <usize>Wp * 4;
  for (let p = p0; p < p1; p++) {
    const c = p % C;
    const src = x + <usize>(p * H * W) * 4;
    padPlane(src, H, W, pt, pl, xp, Hp, Wp, 0);
    const wp = w + <usize>(c * KH * KW) * 4;
    const op = out + <usize>(p * OH * OW) * 4;
    const bv4 = bias ? v128.load32_splat(bias + (<usize>c << 2)) : f32x4.splat(0);
    if (KH == 3 && KW == 3 && dh == 1 && dw == 1 && (sw == 1 || sw == 2)) {
      depthwise3x3(xp, rowBytes, wp, sh, sw, OH, OW, op, bias != 0, bv4, tail);
      continue;
    }
    for (let oh = 0; oh < OH; oh++) {
      const o = op + <usize>(oh * OW) * 4;
      const rowBase = xp + <usize>(oh * sh) * rowBytes;
      let ow = 0;
      // 16 outputs at a time: four independent accumulator chains hide the add latency
      for (; ow + 16 <= OW4; ow += 16) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let i = 0; i < KH; i++) {
          const row = rowBase + <usize>(i * dh) * rowBytes + (<usize>(ow * sw) << 2);
          const wr = wp + <usize>(i * KW) * 4;
          for (let j = 0; j < KW; j++) {
            const wv = v128.load32_splat(wr + (<usize>j << 2));
            const s = row + (<usize>(j * dw) << 2);
            if (sw == 1) {
              a0 = madd(wv, v128.load(s), a0);
              a1 = madd(wv, v128.load(s, 16), a1);
              a2 = madd(wv, v128.load(s, 32), a2);
              a3 = madd(wv, v128.load(s, 48), a3);
            } else if (sw == 2) {
              a0 = madd(wv, v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6), a0);
              a1 = madd(wv, v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), a1);
              a2 = madd(wv, v128.shuffle<f32>(v128.load(s, 64), v128.load(s, 80), 0, 2, 4, 6), a2);
              a3 = madd(wv, v128.shuffle<f32>(v128.load(s, 96), v128.load(s, 112), 0, 2, 4, 6), a3);
            } else {
              a0 = madd(wv, gather4(s, sw), a0);
              a1 = madd(wv, gather4(s + (<usize>(4 * sw) << 2), sw), a1);
              a2 = madd(wv, gather4(s + (<usize>(8 * sw) << 2), sw), a2);
              a3 = madd(wv, gather4(s + (<usize>(12 * sw) << 2), sw), a3);
            }
          }
        }
        if (bias) { a0 = f32x4.add(a0, bv4); a1 = f32x4.add(a1, bv4); a2 = f32x4.add(a2, bv4); a3 = f32x4.add(a3, bv4); }
        storeOut(o, ow, OW, a0, tail); storeOut(o, ow + 4, OW, a1, tail);
        storeOut(o, ow + 8, OW, a2, tail); storeOut(o, ow + 12, OW, a3, tail);
      }
      for (; ow < OW; ow += 4) {
        let acc = f32x4.splat(0);
        for (let i = 0; i < KH; i++) {
          const row = rowBase + <usize>(i * dh) * rowBytes + (<usize>(ow * sw) << 2);
          const wr = wp + <usize>(i * KW) * 4;
          for (let j = 0; j < KW; j++) {
            const s = row + (<usize>(j * dw) << 2);
            const xv = sw == 1 ? v128.load(s) : sw == 2 ? v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6) : gather4(s, sw);
            acc = madd(v128.load32_splat(wr + (<usize>j << 2)), xv, acc);
          }
        }
        if (bias) acc = f32x4.add(acc, bv4);
        storeOut(o, ow, OW, acc, tail);
      }
    }
  }
}

/** Input of 4 outputs from column offset s of a padded row: 4 consecutive floats, or the even ones of 8 (stride 2). */
@inline
function taps4(s: usize, sw: i32): v128 {
  return sw == 1 ? v128.load(s) : v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
}

/**
 * 3×3 depthwise (dilation 1, stride 1 or 2) of one zero-padded plane: the nine weights stay in registers, taps
 * accumulate in (row, column) order from zero as in the general loop, 8 outputs at a time.
 */
function depthwise3x3(xp: usize, rowBytes: usize, wp: usize, sh: i32, sw: i32, OH: i32, OW: i32, op: usize,
  hasBias: bool, bv4: v128, tail: usize): void {
  const w00 = v128.load32_splat(wp), w01 = v128.load32_splat(wp, 4), w02 = v128.load32_splat(wp, 8);
  const w10 = v128.load32_splat(wp, 12), w11 = v128.load32_splat(wp, 16), w12 = v128.load32_splat(wp, 20);
  const w20 = v128.load32_splat(wp, 24), w21 = v128.load32_splat(wp, 28), w22 = v128.load32_splat(wp, 32);
  const step = <usize>(4 * sw) << 2;
  for (let oh = 0; oh < OH; oh++) {
    const o = op + <usize>(oh * OW) * 4;
    const r0 = xp + <usize>(oh * sh) * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes;
    for (let ow = 0; ow < OW; ow += 8) {
      const c0 = <usize>(ow * sw) << 2, c1 = c0 + step;
      let a = madd(w00, taps4(r0 + c0, sw), f32x4.splat(0));
      let b = madd(w00, taps4(r0 + c1, sw), f32x4.splat(0));
      a = madd(w01, taps4(r0 + c0 + 4, sw), a); b = madd(w01, taps4(r0 + c1 + 4, sw), b);
      a = madd(w02, taps4(r0 + c0 + 8, sw), a); b = madd(w02, taps4(r0 + c1 + 8, sw), b);
      a = madd(w10, taps4(r1 + c0, sw), a); b = madd(w10, taps4(r1 + c1, sw), b);
      a = madd(w11, taps4(r1 + c0 + 4, sw), a); b = madd(w11, taps4(r1 + c1 + 4, sw), b);
      a = madd(w12, taps4(r1 + c0 + 8, sw), a); b = madd(w12, taps4(r1 + c1 + 8, sw), b);
      a = madd(w20, taps4(r2 + c0, sw), a); b = madd(w20, taps4(r2 + c1, sw), b);
      a = madd(w21, taps4(r2 + c0 + 4, sw), a); b = madd(w21, taps4(r2 + c1 + 4, sw), b);
      a = madd(w22, taps4(r2 + c0 + 8, sw), a); b = madd(w22, taps4(r2 + c1 + 8, sw), b);
      if (hasBias) { a = f32x4.add(a, bv4); b = f32x4.add(b, bv4); }
      storeOut(o, ow, OW, a, tail);
      storeOut(o, ow + 4, OW, b, tail);
    }
  }
}

@inline
function fill(d: usize, n: i32, v: f32): void {
  const v4 = f32x4.splat(v);
  let q = 0;
  for (; q + 4 <= n; q += 4) v128.store(d + (<usize>q << 2), v4);
  for (; q < n; q++) store<f32>(d + (<usize>q << 2), v);
}

/**
 * Copy an H×W plane into an Hp×Wp one at offset (pt, pl), `pad` around it (plain loops: memory.fill and
 * memory.copy are calls into the engine, too slow for rows this short).
 */
function padPlane(src: usize, H: i32, W: i32, pt: i32, pl: i32, xp: usize, Hp: i32, Wp: i32, pad: f32): void {
  const rowBytes = <usize>Wp * 4;
  const n = max(0, min(W, Wp - pl));
  for (let r = 0; r < Hp; r++) {
    const d = xp + <usize>r * rowBytes;
    const ih = r - pt;
    if (ih < 0 || ih >= H) { fill(d, Wp, pad); continue; }
    fill(d, min(pl, Wp), pad);
    const sr = src + <usize>(ih * W) * 4;
    const dr = d + (<usize>pl << 2);
    let q = 0;
    for (; q + 4 <= n; q += 4) v128.store(dr + (<usize>q << 2), v128.load(sr + (<usize>q << 2)));
    for (; q < n; q++) store<f32>(dr + (<usize>q << 2), load<f32>(sr + (<usize>q << 2)));
    if (Wp - pl - n > 0) fill(dr + (<usize>n << 2), Wp - pl - n, pad);
  }
}

/**
 * Max pooling of planes p0..p1 (each H×W): every window's elements in (row, column) order from −∞, taking v when
 * v > m or v is NaN; out-of-range elements are −∞ padding, which never wins. Same scratch as depthwise2d.
 */
export function maxPool2d(x: usize, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize, p0: i32, p1: i32, scratch: usize): void {
  const OW4 = (OW + 3) & ~3;
  const Wp = (OW4 - 1) * sw + (KW - 1) * dw + 1 + 4;
  const Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  const xp = scratch;
  const tail = scratch + <usize>(Hp * Wp) * 4;
  const rowBytes = <usize>Wp * 4;
  for (let p = p0; p < p1; p++) {
    padPlane(x + <usize>(p * H * W) * 4, H, W, pt, pl, xp, Hp, Wp, -Infinity);
    const op = out + <usize>(p * OH * OW) * 4;
    for (let oh = 0; oh < OH; oh++) {
      const o = op + <usize>(oh * OW) * 4;
      const rowBase = xp + <usize>(oh * sh) * rowBytes;
      for (let ow = 0; ow < OW; ow += 4) {
        let m = f32x4.splat(-Infinity);
        for (let i = 0; i < KH; i++) {
          const row = rowBase + <usize>(i * dh) * rowBytes + (<usize>(ow * sw) << 2);
          for (let j = 0; j < KW; j++) {
            const s = row + (<usize>(j * dw) << 2);
            const v = sw == 1 ? v128.load(s) : sw == 2 ? v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6) : gather4(s, sw);
            // m < v ? v : m: a NaN v is skipped, as MindSpore 2.10's MaxPool2d does (conformance: MaxPool2d(edge))
            m = f32x4.pmax(m, v);
          }
        }
        storeOut(o, ow, OW, m, tail);
      }
    }
  }
}

@inline
function gather4(s: usize, sw: i32): v128 {
  let xv = f32x4.splat(load<f32>(s));
  xv = f32x4.replace_lane(xv, 1, load<f32>(s + (<usize>sw << 2)));
  xv = f32x4.replace_lane(xv, 2, load<f32>(s + (<usize>(2 * sw) << 2)));
  return f32x4.replace_lane(xv, 3, load<f32>(s + (<usize>(3 * sw) << 2)));
}

/** Store the 4 outputs ow.. of a row of OW, or the part of them inside it. */
@inline
function storeOut(o: usize, ow: i32, OW: i32, v: v128, tail: usize): void {
  if (ow + 4 <= OW) v128.store(o + (<usize>ow << 2), v);
  else if (ow < OW) {
    v128.store(tail, v);
    for (let q = ow; q < OW; q++) store<f32>(o + (<usize>q << 2), load<f32>(tail + (<usize>(q - ow) << 2)));
  }
}

/** Floats of scratch depthwise2d needs per thread. */
export function depthwiseScratchFloats(KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  const OW4 = (OW + 3) & ~3;
  const Wp = (OW4 - 1) * sw + (KW - 1) * dw + 1 + 4;
  const Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  return Hp * Wp + 4 + 8;
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise float32 kernels over [i0, i1) of n-element arrays.

/** exp for float32 lanes: 2^n · p(r) with r = x − n·ln2 (Cody–Waite split) and Cephes' expf polynomial; ~1 ulp. */
@inline
function expF32x4(x: v128): v128 {
  // clamp (pmin/pmax keep a NaN in x) to where the scaling below works; below −104 the result is zero (masked at
  // the end, so exp(−∞) = 0), above 88.72 it overflows
  const under = f32x4.lt(x, f32x4.splat(-104.0));
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-103.0)), f32x4.splat(88.72283935546875));
  // n = round(x·log2 e) by the 1.5·2^23 trick; its integer value is the low bits of t
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const n = f32x4.sub(t, f32x4.splat(12582912.0));
  const ni = i32x4.sub(t, i32x4.splat(0x4b400000));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  // Cephes expf minimax polynomial: exp(r) ≈ 1 + r + r²·q(r) on |r| ≤ ln2/2
  let q = f32x4.splat(1.9875691500e-4);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.3981999507e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(8.3334519073e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(4.1665795894e-2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.6666665459e-1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(5.0000001201e-1));
  const p = f32x4.add(f32x4.add(f32x4.mul(q, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  // 2^n in two halves so n down to −149 (results that round to subnormals or zero) stays representable
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(f32x4.mul(p, s1), s2), under);
}

@inline
function sigmoidV(v: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expF32x4(f32x4.neg(v))));
}

/**
 * erf for float32 lanes: x·P(x²)/Q(x²) on x clamped to [−4, 4] (beyond, erf rounds to ±1 in float32), the rational
 * approximation of Eigen/XLA's float erf; a NaN stays NaN.
 */
@inline
function erfV(v: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-4.0)), f32x4.splat(4.0));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.72614225801306e-10);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.77068142495902e-08));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-2.10102402082508e-06));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-5.69250639462346e-05));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-7.34990630326855e-04));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-2.95459980854025e-03));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-1.60960333262415e-02));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(-1.45660718464996e-05);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-2.13374055278905e-04));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-1.68282697438203e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-7.37332916720468e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-1.42647390514189e-02));
  return f32x4.div(p, q);
}

/**
 * out[i] = op(x[i]) for i in [i0, i1). op 0: sigmoid 1/(1 + exp(−x)); 1: relu, x > 0 ? x : 0; 2: clip,
 * x < lo ? lo : x > hi ? hi : x (for lo ≤ hi), relu and clip by pmax/pmin, whose comparisons are exactly those;
 * 3: erf; 4: exact GELU, 0.5·x·(1 + erf(x·√½)); 5: SiLU, x·sigmoid(x).
 */
export function unary(op: i32, x: usize, out: usize, i0: i32, i1: i32, p0: f32, p1: f32): void {
  const lo = f32x4.splat(p0), hi = f32x4.splat(p1), zero = f32x4.splat(0);
  let i = i0;
  if (op == 0) {
    for (; i + 8 <= i1; i += 8) {
      const e0 = sigmoidV(v128.load(x + (<usize>i << 2)));
      const e1 = sigmoidV(v128.load(x + (<usize>i << 2), 16));
      v128.store(out + (<usize>i << 2), e0);
      v128.store(out + (<usize>i << 2), e1, 16);
    }
  } else if (op == 1) {
    for (; i + 8 <= i1; i += 8) {
      v128.store(out + (<usize>i << 2), f32x4.pmax(zero, v128.load(x + (<usize>i << 2))));
      v128.store(out + (<usize>i << 2), f32x4.pmax(zero, v128.load(x + (<usize>i << 2), 16)), 16);
    }
  } else if (op == 2) {
    for (; i + 8 <= i1; i += 8) {
      // max(lo, x) first, as MindSpore 2.10 clamps: NaN → lo, and clamp(−0, 0, 6) = +0 (conformance: relu6/clamp edge)
      v128.store(out + (<usize>i << 2), f32x4.pmin(f32x4.pmax(lo, v128.load(x + (<usize>i << 2))), hi));
      v128.store(out + (<usize>i << 2), f32x4.pmin(f32x4.pmax(lo, v128.load(x + (<usize>i << 2), 16)), hi), 16);
    }
  } else if (op == 3) {
    for (; i + 8 <= i1; i += 8) {
      const e0 = erfV(v128.load(x + (<usize>i << 2)));
      const e1 = erfV(v128.load(x + (<usize>i << 2), 16));
      v128.store(out + (<usize>i << 2), e0);
      v128.store(out + (<usize>i << 2), e1, 16);
    }
  } else if (op == 4) {
    for (; i + 8 <= i1; i += 8) {
      const e0 = geluV(v128.load(x + (<usize>i << 2)));
      const e1 = geluV(v128.load(x + (<usize>i << 2), 16));
      v128.store(out + (<usize>i << 2), e0);
      v128.store(out + (<usize>i << 2), e1, 16);
    }
  } else {
    for (; i + 8 <= i1; i += 8) {
      const v0 = v128.load(x + (<usize>i << 2)), v1 = v128.load(x + (<usize>i << 2), 16);
      const e0 = f32x4.mul(v0, sigmoidV(v0));
      const e1 = f32x4.mul(v1, sigmoidV(v1));
      v128.store(out + (<usize>i << 2), e0);
      v128.store(out + (<usize>i << 2), e1, 16);
    }
  }
  for (; i < i1; i++) {
    const v = f32x4.splat(load<f32>(x + (<usize>i << 2)));
    const r = op == 0 ? sigmoidV(v) : op == 1 ? f32x4.pmax(zero, v) : op == 2 ? f32x4.pmin(f32x4.pmax(lo, v), hi)
      : op == 3 ? erfV(v) : op == 4 ? geluV(v) : f32x4.mul(v, sigmoidV(v));
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(r, 0));
  }
}

/**
 * Exact GELU for float32 lanes: x·(1 + erf(x·√½))·0.5, erf as erfV — MindSpore's order: ·0.5 is exact, so it only
 * differs from 0.5·x·(…) where x·2 overflows (gelu(3.4e38) = inf in MindSpore 2.10).
 */
@inline
function geluV(v: v128): v128 {
  const e = erfV(f32x4.mul(v, f32x4.splat(0.7071067811865476)));
  return f32x4.mul(f32x4.mul(v, f32x4.add(e, f32x4.splat(1.0))), f32x4.splat(0.5));
}

/**
 * Softmax of rows r0..r1 of a [rows × L] array: m = max (NaN propagates), e = exp(x − m) in float32, the sum in
 * float64, out = e / sum in float64 rounded to float32.
 */
export function softmaxRows(x: usize, out: usize, L: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>(r * L) * 4, orow = out + <usize>(r * L) * 4;
    let mv = f32x4.splat(-Infinity);
    let k = 0;
    for (; k + 4 <= L; k += 4) mv = f32x4.max(mv, v128.load(xr + (<usize>k << 2)));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; k < L; k++) m = max(m, load<f32>(xr + (<usize>k << 2)));
    const m4 = f32x4.splat(m);
    let s2 = f64x2.splat(0);
    let sum: f64 = 0;
    k = 0;
    for (; k + 4 <= L; k += 4) {
      const e = expF32x4(f32x4.sub(v128.load(xr + (<usize>k << 2)), m4));
      v128.store(orow + (<usize>k << 2), e);
      s2 = f64x2.add(s2, f64x2.add(f64x2.promote_low_f32x4(e), f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1))));
    }
    for (; k < L; k++) {
      const e = f32x4.extract_lane(expF32x4(f32x4.splat(load<f32>(xr + (<usize>k << 2)) - m)), 0);
      store<f32>(orow + (<usize>k << 2), e);
      sum += <f64>e;
    }
    sum += f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    const sv = f64x2.splat(sum);
    k = 0;
    for (; k + 4 <= L; k += 4) {
      const e = v128.load(orow + (<usize>k << 2));
      const lo = f64x2.div(f64x2.promote_low_f32x4(e), sv);
      const hi = f64x2.div(f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)), sv);
      v128.store(orow + (<usize>k << 2), v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; k < L; k++) store<f32>(orow + (<usize>k << 2), <f32>(<f64>load<f32>(orow + (<usize>k << 2)) / sum));
  }
}

/**
 * out[r·len + i] = a[r·len + i] ∘ b[…] for rows r in [r0, r1), i < len; ∘ is 0: +, 1: −, 2: ·, 3: ÷ (b ∘ a when swap).
 * b is a full operand (bMod = 0, b[r·len + i]), one value per row (b[r mod bMod]: a scalar, a per-channel
 * [C, 1, 1]) or one row for all rows (bMod = −1, b[i]: a Dense bias). float32 +, −, ·, ÷ round exactly as JS's double operation rounded to float32 does (double
 * rounding is innocuous for these at 53 ≥ 2·24 + 2 bits), so results equal the JS loops bit for bit.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, len: i32, bMod: i32, swap: i32, r0: i32, r1: i32): void {
  const perRow = bMod > 0;
  for (let r = r0; r < r1; r++) {
    const ar = a + (<usize>r * <usize>len << 2), orow = out + (<usize>r * <usize>len << 2);
    // bMod < 0: b is one row of len values, the same for every row (a bias added to every row of a Dense output)
    const br = perRow ? b + (<usize>(r % bMod) << 2) : bMod < 0 ? b : b + (<usize>r * <usize>len << 2);
    const bs = perRow ? f32x4.splat(load<f32>(br)) : f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const x = v128.load(ar + (<usize>i << 2));
      const y = perRow ? bs : v128.load(br + (<usize>i << 2));
      const p = swap ? y : x, q = swap ? x : y;
      const v = op == 0 ? f32x4.add(p, q) : op == 1 ? f32x4.sub(p, q) : op == 2 ? f32x4.mul(p, q) : f32x4.div(p, q);
      v128.store(orow + (<usize>i << 2), v);
    }
    for (; i < len; i++) {
      const x = load<f32>(ar + (<usize>i << 2));
      const y = perRow ? load<f32>(br) : load<f32>(br + (<usize>i << 2));
      const p = swap ? y : x, q = swap ? x : y;
      store<f32>(orow + (<usize>i << 2), op == 0 ? p + q : op == 1 ? p - q : op == 2 ? p * q : p / q);
    }
  }
}

/**
 * out[r·len + i] = x[r·len + i]·scale[r mod C] + shift[r mod C] for rows r in [r0, r1), in float64 as the JS
 * BatchNorm loop computes it (scale and shift float64), rounded to float32 on store.
 */
export function affineRows(x: usize, scale: usize, shift: usize, C: i32, out: usize, len: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const c = <usize>(r % C);
    const s = f64x2.splat(load<f64>(scale + (c << 3))), t = f64x2.splat(load<f64>(shift + (c << 3)));
    const xr = x + (<usize>r * <usize>len << 2), orow = out + (<usize>r * <usize>len << 2);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v), s), t);
      const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), s), t);
      v128.store(orow + (<usize>i << 2), v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; i < len; i++) {
      store<f32>(orow + (<usize>i << 2), <f32>(<f64>load<f32>(xr + (<usize>i << 2)) * load<f64>(scale + (c << 3)) + load<f64>(shift + (c << 3))));
    }
  }
}

/**
 * dst[b][c][r] = src[b][r][c] for batches b in [b0, b1) of R×C matrices: 4×4 blocks transposed in registers,
 * walked in 32×32 tiles so both sides stay in cache.
 */
export function transpose2d(src: usize, dst: usize, R: i32, C: i32, b0: i32, b1: i32): void {
  const plane = <usize>R * <usize>C << 2;
  for (let bt = b0; bt < b1; bt++) {
    const s = src + <usize>bt * plane, d = dst + <usize>bt * plane;
    for (let r0 = 0; r0 < R; r0 += 32) {
      const r1 = min(R, r0 + 32);
      for (let c0 = 0; c0 < C; c0 += 32) {
        const c1 = min(C, c0 + 32);
        let r = r0;
        for (; r + 4 <= r1; r += 4) {
          let c = c0;
          for (; c + 4 <= c1; c += 4) {
            const p = s + ((<usize>r * C + c) << 2), rs = <usize>C << 2;
            const a0 = v128.load(p), a1 = v128.load(p + rs), a2 = v128.load(p + 2 * rs), a3 = v128.load(p + 3 * rs);
            const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
            const t2 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
            const q = d + ((<usize>c * R + r) << 2), rd = <usize>R << 2;
            v128.store(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
            v128.store(q + rd, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
            v128.store(q + 2 * rd, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
            v128.store(q + 3 * rd, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
          }
          for (; c < c1; c++) for (let k = 0; k < 4; k++) store<f32>(d + ((<usize>c * R + r + k) << 2), load<f32>(s + ((<usize>(r + k) * C + c) << 2)));
        }
        for (; r < r1; r++) for (let c = c0; c < c1; c++) store<f32>(d + ((<usize>c * R + r) << 2), load<f32>(s + ((<usize>r * C + c) << 2)));
      }
    }
  }
}
