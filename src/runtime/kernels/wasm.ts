/**
 * WebAssembly SIMD backend of the kernel table, from asm/kernels.ts (AssemblyScript, compiled by `npm run build:wasm`
 * to dist/runtime/kernels/kernels-relaxed.wasm and kernels.wasm, with and without fused multiply-add): packed,
 * register-blocked GEMM and the one-row product; convolution by implicit-im2col GEMM (and transposed, for few output
 * pixels), depthwise convolution, max pooling; elementwise ops, BatchNorm's affine, transposes; row softmax.
 *
 * Operands are copied into one shared WebAssembly.Memory, the kernel runs, and the result is copied out into a fresh
 * Float32Array, so tensors stay ordinary JS arrays and nothing outlives the call. Inside a forward arena
 * (`beginArena`/`endArena`, opened by the network executor for an inference pass) results instead stay in the memory
 * as views, blocks the executor frees at each value's last use, and an operand that already lives there is read in
 * place: a chain of kernels then copies nothing in or out. Large kernels are split over
 * worker threads that instantiate the same module on the same memory: the split is fixed by the shapes and the thread
 * count, and every output element is computed the same way whichever thread computes it, so results do not depend
 * on the number of threads or on timing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readAt } from '../read-at.js';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Pool2DGeometry } from './pool-js.js';

// The project compiles against ES2022 + Node types, which leave WebAssembly out: the little used here, typed locally.
interface WasmMemory { readonly buffer: SharedArrayBuffer; grow(pages: number): number }
type WasmModule = object;
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  validate(bytes: Uint8Array): boolean;
  Instance: new (m: WasmModule, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
const MAX_PAGES = 65536;
/** First byte the JS side hands out (the module keeps no data, but leave its low memory alone). */
const BASE = 1 << 16;
/** micro-tile of the module's GEMM (asm/kernels.ts MR × NR): splits fall on tile boundaries */
const MR = 4, NR = 8;

interface Exports {
  gemmScratchBytes(): number;
  gemm(...args: number[]): void;
  conv2d(...args: number[]): void;
  conv2dT(...args: number[]): void;
  depthwise2d(...args: number[]): void;
  depthwiseScratchFloats(...args: number[]): number;
  unary(...args: number[]): void;
  maxPool2d(...args: number[]): void;
  softmaxRows(...args: number[]): void;
  binary(...args: number[]): void;
  affineRows(...args: number[]): void;
  transpose2d(...args: number[]): void;
  prepack(...args: number[]): void;
  prepackConv(...args: number[]): void;
  gemv(...args: number[]): void;
}
const FNS = ['gemm', 'conv2d', 'conv2dT', 'depthwise2d', 'unary', 'maxPool2d', 'softmaxRows', 'binary', 'affineRows', 'transpose2d', 'prepack', 'prepackConv', 'gemv'] as const;
/** Operators of the module's `binary` export. */
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3 } as const;
/** Elementwise ops of the module's `unary` export. */
export const UNARY = { sigmoid: 0, relu: 1, clip: 2, erf: 3, gelu: 4, silu: 5 } as const;
type Fn = (typeof FNS)[number];

/**
 * The compiled modules, newest first: beside this file in dist/, or dist/ seen from src/ (tests run the TypeScript);
 * MSPORT_WASM names one file instead. Each build comes as kernels-relaxed.wasm (relaxed SIMD: fused multiply-add in
 * the GEMM and convolution inner loops) and kernels.wasm (plain SIMD); MSPORT_KERNELS=simd keeps the plain one.
 */
function wasmCandidates(): string[] {
  if (process.env.MSPORT_WASM) return [process.env.MSPORT_WASM];
  const dirs = [new URL('./', import.meta.url), new URL('../../../dist/runtime/kernels/', import.meta.url)].map(u => fileURLToPath(u));
  const names = process.env.MSPORT_KERNELS === 'simd' ? ['kernels.wasm'] : ['kernels-relaxed.wasm', 'kernels.wasm'];
  for (const d of dirs) {
    const found = names.map(n => join(d, n)).filter(p => existsSync(p));
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * Whether this V8 accepts the module. Relaxed SIMD ships enabled from V8 11.4 (Chrome 114, Node 21); Node 20's V8
 * (11.3) has it complete behind a flag, which is switched on here before any relaxed module is compiled (it only
 * adds the instructions). A later V8 that refuses the module was told to by its user's own flag, which stands.
 */
function accepts(bytes: Uint8Array): boolean {
  if (WA.validate(bytes)) return true;
  const [major = 0, minor = 0] = process.versions.v8.split('.').map(Number);
  if (major > 11 || (major === 11 && minor >= 4)) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WA.validate(bytes);
}

// Control block shared with the workers (Int32 slots): [0] job epoch, [1] workers ready, [2] claim word (the epoch's
// low 21 bits above a 10-bit next-part counter), [3] parts done, [4] part count, [5] function index, [6] failed
// epoch, [7] hot: 1 while a forward pass runs, when workers spin instead of sleeping between jobs. Each part's
// arguments are ARGS f64 slots after the block.
const EPOCH = 0, READY = 1, CLAIM = 2, DONE = 3, NPARTS = 4, FN = 5, FAILED = 6, HOT = 7;
const CTRL_INTS = 8, ARGS = 32, MAX_THREADS = 8, MAX_PARTS = 64;
const CTRL_BYTES = CTRL_INTS * 4;
/**
 * How long a worker spins for the next job before sleeping, and the calling thread for the parts a worker holds
 * (ms): jobs come in bursts during a forward pass, and waking a sleeping thread on a VM can take longer than a part.
 */
const SPIN_MS = 1, WAIT_SPIN_MS = 5;
/**
 * Least work (multiply-adds, or element visits for the streaming kernels) worth a second thread: a split costs a
 * wake-up and a wait, tens of microseconds, more when the other core is busy.
 */
const SPLIT_MACS = 1 << 23, SPLIT_ELEMENTS = 1 << 19;

// Parts are claimed, not assigned: whichever thread is free takes the next one (compare-and-swap on the claim word,
// which carries the job's epoch so a thread still finishing the last job cannot take a part of the next). A worker
// that wakes late, or is descheduled, then costs at most the part it holds, and every part is computed the same way
// whoever runs it.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, thread, names, ctrlBytes, scratchBase, scratchBytes } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map(n => inst.exports[n]);
const I = new Int32Array(ctrl);
const A = new Float64Array(ctrl, ctrlBytes);
const scratch = scratchBase + thread * scratchBytes;
Atomics.add(I, ${READY}, 1);
Atomics.notify(I, ${READY});
let seen = 0;
for (;;) {
  let e = Atomics.load(I, ${EPOCH});
  if (e === seen) {
    const t0 = performance.now();
    while ((e = Atomics.load(I, ${EPOCH})) === seen && (Atomics.load(I, ${HOT}) || performance.now() - t0 < ${SPIN_MS})) {}
    if (e === seen) { Atomics.wait(I, ${EPOCH}, seen); e = Atomics.load(I, ${EPOCH}); }
  }
  seen = e;
  const tag = e & 0x1fffff, n = Atomics.load(I, ${NPARTS}), f = fns[Atomics.load(I, ${FN})];
  for (;;) {
    const v = Atomics.load(I, ${CLAIM});
    if ((v >>> 10) !== tag || (v & 1023) >= n) break;
    if (Atomics.compareExchange(I, ${CLAIM}, v, v + 1) !== v) continue;
    const off = (v & 1023) * ${ARGS};
    try { f(...A.subarray(off + 1, off + 1 + A[off]), scratch); } catch (err) { Atomics.store(I, ${FAILED}, e); }
    if (Atomics.add(I, ${DONE}, 1) + 1 === n) Atomics.notify(I, ${DONE});
  }
}
`;

export class WasmBackend {
  private readonly exp: Exports;
  private readonly memory: WasmMemory;
  private readonly scratchBytes: number;
  private f32: Float32Array;
  private threads = 1;
  private workers: Worker[] = [];
  private readonly ctrlBuf = new SharedArrayBuffer(CTRL_BYTES + MAX_PARTS * ARGS * 8);
  private readonly ctrl = new Int32Array(this.ctrlBuf, 0, CTRL_INTS);
  private readonly args = new Float64Array(this.ctrlBuf, CTRL_BYTES);
  private epoch = 0;
  /** parts of split calls run by a worker and by the calling thread, the calls split, and ms the calling thread waited
   * for parts a worker held after it ran out of parts to take */
  readonly stats = { workerParts: 0, callerParts: 0, splitCalls: 0, waitMs: 0 };
  /** bump pointer of the current call's operands */
  private top = 0;
  /** SharedArrayBuffer objects the memory has handed out (one per size it has had): views on them are in the memory */
  private readonly ours = new WeakSet<object>();
  /**
   * Resident blocks (data that outlives calls: a model file's bytes) sit above every thread's scratch; each is freed
   * when its token is garbage collected.
   */
  private readonly residents: Blocks;
  private readonly residentRegistry = new FinalizationRegistry<number>(off => this.freeResident(off));
  /** views that keep a resident block's token, and so the block, alive */
  private readonly ties = new WeakMap<object, object>();
  /** blocks taken in the open resident scope (offset → token, held so no finalizer frees them first) */
  private scope: Map<number, object> | null = null;
  /** forward arena (above the resident blocks): open depth and its blocks */
  private arenaDepth = 0;
  private readonly arena: Blocks;

  /** which module runs: 'wasm-relaxed-simd' (fused multiply-add) or 'wasm-simd' */
  readonly flavor: string;

  private constructor(private readonly module: WasmModule, flavor: string) {
    this.flavor = flavor;
    this.memory = new WA.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.exp = new WA.Instance(module, { env: { memory: this.memory } }).exports as unknown as Exports;
    this.scratchBytes = align(this.exp.gemmScratchBytes());
    this.residents = new Blocks(BASE + this.scratchBytes * MAX_THREADS);
    this.arena = new Blocks(this.residents.top);
    this.f32 = new Float32Array(this.buffer);
  }

  private get buffer(): SharedArrayBuffer {
    const b = this.memory.buffer;
    this.ours.add(b);
    return b;
  }

  /** Whether `a` is a view on this memory (an arena result), so a kernel can read it where it is. */
  owns(a: Float32Array): boolean { return this.ours.has(a.buffer); }

  // ------------------------------------------------------------------ forward arena

  /**
   * Open (or nest into) a forward arena: kernel results stay in the memory until `endArena`. A forward pass is
   * about to run, so the workers are woken now and spin until it ends: a worker woken by the first large kernel
   * instead, on a VM whose idle vCPU the host has lent out, can arrive after the kernel is done.
   */
  beginArena(): void {
    if (this.arenaDepth++ === 0) {
      this.arena.reset(this.residents.top);
      if (this.threads > 1) {
        Atomics.store(this.ctrl, HOT, 1);
        Atomics.store(this.ctrl, EPOCH, (this.epoch = (this.epoch + 1) | 0));
        Atomics.notify(this.ctrl, EPOCH);
      }
    }
  }

  /** Close the arena; at the outermost level every block is gone, so no view on one may be used after this. */
  endArena(): void {
    if (this.arenaDepth === 0) return;
    if (--this.arenaDepth === 0) {
      this.arena.reset(this.residents.top);
      Atomics.store(this.ctrl, HOT, 0);
    }
  }

  get arenaOpen(): boolean { return this.arenaDepth > 0; }

  /** Give back the arena block that starts where `a` starts (the executor calls this at a value's last use). */
  release(a: Float32Array): void {
    if (this.arenaDepth && this.owns(a)) this.arena.give(a.byteOffset);
  }

  /**
   * Start a call whose result has `floats` floats: the result's block (in the arena when one is open, else in the
   * call's region, to be copied out), then the call's region for operands above it.
   */
  private start(floats: number): { out: number; inArena: boolean } {
    if (this.arenaDepth) {
      const out = this.arena.take(align(Math.max(floats, 1) * 4));
      this.reserve(this.arena.top);
      this.begin();
      return { out, inArena: true };
    }
    this.begin();
    return { out: this.alloc(floats), inArena: false };
  }

  // ------------------------------------------------------------------ resident blocks

  /**
   * `bytes` bytes of the memory for data that outlives calls, or null (an arena is open, or it does not fit). The
   * block lives while the returned view, or any object passed to `tie`, is reachable; kernels then read views on it
   * in place.
   */
  resident(bytes: number): ResidentBlock | null {
    const size = align(Math.max(bytes, 1));
    if (this.arenaDepth > 0 || this.residents.top + size + 4096 >= MAX_PAGES * PAGE) return null;
    const off = this.residents.take(size);
    this.reserve(this.residents.top);
    this.arena.reset(this.residents.top);
    const token = {};
    // the token doubles as the unregister key: a block freed by hand must never be freed again by its finalizer (the
    // offset may belong to another block by then)
    this.residentRegistry.register(token, off, token);
    this.scope?.set(off, token);
    const view = new Uint8Array(this.buffer, off, bytes);
    this.ties.set(view, token);
    let freed = false;
    return {
      bytes: view,
      tie: v => { this.ties.set(v, token); },
      free: () => {
        if (freed) return;
        freed = true;
        this.residentRegistry.unregister(token);
        this.scope?.delete(off);
        this.freeResident(off);
      },
    };
  }

  /**
   * Open a resident scope: every resident block taken until `endResidentScope` is freed there, whoever still holds a
   * view on it (a streamed block's weights, released when the block is done instead of whenever the garbage collector
   * gets to them: a run that makes little JS garbage never collects, and its blocks would fill the memory).
   */
  beginResidentScope(): void {
    if (this.scope) throw new Error('a resident scope is open already');
    this.scope = new Map();
  }

  /** Free every block taken since `beginResidentScope`; no view on one may be used after this. */
  endResidentScope(): void {
    const scope = this.scope;
    this.scope = null;
    for (const [off, token] of scope ?? []) {
      this.residentRegistry.unregister(token);
      this.freeResident(off);
    }
  }

  // a finalizer runs between tasks, never inside a (synchronous) forward pass, so the arena is closed here
  private freeResident(off: number): void {
    if (this.residents.give(off) && this.arenaDepth === 0) this.arena.reset(this.residents.top);
  }

  /** The result: a view when it is an arena block, else a copy out of the call's region. */
  private result({ out, inArena }: { out: number; inArena: boolean }, n: number): Float32Array {
    return inArena ? new Float32Array(this.buffer, out, n) : this.f32.slice(out / 4, out / 4 + n);
  }

  static load(): WasmBackend | null {
    if (process.env.MSPORT_KERNELS === 'js') return null;
    for (const file of wasmCandidates()) {
      try {
        const bytes = readFileSync(file);
        if (!accepts(bytes)) continue;
        return new WasmBackend(new WA.Module(bytes), basename(file) === 'kernels-relaxed.wasm' ? 'wasm-relaxed-simd' : 'wasm-simd');
      } catch {
        // an unreadable or unloadable module: the next one, else plain JS
      }
    }
    return null;
  }

  get threadCount(): number { return this.threads; }

  /**
   * Use up to n threads (capped by the cores). Workers start here, not at the first large kernel: a worker thread
   * needs the event loop to come up, which a synchronous forward pass never yields to.
   */
  setThreads(n: number): number {
    this.threads = Math.max(1, Math.min(Math.floor(n) || 1, MAX_THREADS, availableParallelism()));
    this.ensureWorkers();
    return this.threads;
  }

  private ensureWorkers(): void {
    while (this.workers.length < this.threads - 1) {
      const thread = this.workers.length + 1;
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: this.module, memory: this.memory, ctrl: this.ctrlBuf, thread, names: FNS, ctrlBytes: CTRL_BYTES, scratchBase: BASE, scratchBytes: this.scratchBytes },
      });
      // a worker that dies claims no more parts, and the calling thread runs them itself
      w.on('error', () => undefined);
      w.unref();
      this.workers.push(w);
    }
  }

  // ------------------------------------------------------------------ memory: one bump region per call

  /** Start a call: scratch for every thread, then operands. Returns the scratch base. */
  private begin(): number {
    this.top = this.arena.top;
    this.reserve(this.top);
    return BASE;
  }

  private alloc(floats: number): number {
    const p = this.top;
    this.top = align(p + floats * 4);
    this.reserve(this.top);
    return p;
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new Error(`kernel operands need ${bytes} bytes, more than WebAssembly memory holds`);
      this.memory.grow(Math.max(pages, Math.min(have / PAGE, MAX_PAGES - have / PAGE)));
    }
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.buffer);
  }

  /** Whether operands of this many floats fit (else the caller keeps the JS kernel). */
  fits(floats: number): boolean {
    return this.arena.top + floats * 4 + 4096 < MAX_PAGES * PAGE;
  }

  /** The operand's address: where it is when it lives in the memory already, else a copy in the call's region. */
  private put(src: Float32Array | Uint8Array, off: number, n: number): number {
    if (src instanceof Uint8Array) {
      // float32 bytes at any alignment (an unaligned initializer): copied as bytes
      const p = this.alloc(n);
      new Uint8Array(this.buffer, p, n * 4).set(src.subarray(off * 4, (off + n) * 4));
      return p;
    }
    if (this.owns(src)) return src.byteOffset + off * 4;
    const p = this.alloc(n);
    this.f32.set(off === 0 && src.length === n ? src : src.subarray(off, off + n), p / 4);
    return p;
  }

  // ------------------------------------------------------------------ running parts on threads

  /** Run `parts` (function + arguments; the thread's scratch pointer is appended) over the threads. */
  private run(fn: Fn, parts: number[][]): void {
    const f = this.exp[fn];
    if (parts.length === 1 || this.threads === 1) {
      parts.forEach(p => f(...p, BASE));
      return;
    }
    if (parts.length > MAX_PARTS) throw new Error(`${parts.length} kernel parts, more than ${MAX_PARTS}`);
    this.ensureWorkers();
    this.stats.splitCalls++;
    const I = this.ctrl, n = parts.length;
    const e = (this.epoch = (this.epoch + 1) | 0), tag = e & 0x1fffff;
    parts.forEach((a, p) => { this.args[p * ARGS] = a.length; this.args.set(a, p * ARGS + 1); });
    Atomics.store(I, NPARTS, n);
    Atomics.store(I, FN, FNS.indexOf(fn));
    Atomics.store(I, DONE, 0);
    Atomics.store(I, CLAIM, tag << 10);
    Atomics.store(I, EPOCH, e);
    Atomics.notify(I, EPOCH);
    let own = 0;
    for (;;) {
      const v = Atomics.load(I, CLAIM);
      if ((v & 1023) >= n) break;
      if (Atomics.compareExchange(I, CLAIM, v, v + 1) !== v) continue;
      try { f(...parts[v & 1023]!, BASE); } catch (err) { Atomics.store(I, FAILED, e); }
      Atomics.add(I, DONE, 1);
      own++;
    }
    // the parts a worker holds: spin briefly for them, then sleep on the done count
    const t1 = performance.now();
    while (Atomics.load(I, DONE) !== n && performance.now() - t1 < WAIT_SPIN_MS) { /* spin */ }
    for (let d = Atomics.load(I, DONE); d !== n; d = Atomics.load(I, DONE)) Atomics.wait(I, DONE, d, 1000);
    if (Atomics.load(I, FAILED) === e) throw new Error(`a kernel part failed in ${fn}`);
    this.stats.workerParts += n - own;
    this.stats.callerParts += own;
    this.stats.waitMs += performance.now() - t1;
  }

  /**
   * How many parts a call of `work` splits into: one below `min`; else two per thread, so that a thread that comes
   * late or stalls (this VM shares its cores) holds up at most a quarter of the call, not half.
   */
  private partCount(work: number, min: number): number {
    return work < min || this.threads === 1 ? 1 : this.threads * 2;
  }

  /**
   * Split [0, M) × [0, N) into partCount parts along the better dimension, at micro-tile boundaries; `byN` says
   * which (every part then needs all of A, else all of B).
   */
  private split(M: number, N: number, work: number): { parts: [number, number, number, number][]; byN: boolean } {
    const T = this.partCount(work, SPLIT_MACS);
    if (T === 1) return { parts: [[0, M, 0, N]], byN: true };
    const byN = N / T >= 64 || N >= M;
    const parts = tiles(byN ? N : M, byN ? NR : MR, T).map(([a, b]): [number, number, number, number] => (byN ? [0, M, a, b] : [a, b, 0, N]));
    return { parts, byN };
  }

  /**
   * Pack ahead, once and over the threads, the operand every part of a split call would otherwise pack for itself:
   * rows (side 0) or columns (side 1) [0, len) of a [len × K] operand, in micro-panels of `unit`, for `parts`
   * callers. Returns its address in the call's region (the layout gemm's mode 3 reads).
   */
  private packAhead(fn: 'prepack' | 'prepackConv', side: 0 | 1, len: number, K: number, parts: number, args: (padLen: number, dst: number, p0: number, p1: number) => number[]): number {
    const unit = side === 0 ? MR : NR, padLen = Math.ceil(len / unit) * unit;
    const dst = this.alloc(padLen * K);
    this.run(fn, tiles(len, unit, parts).map(([p0, p1]) => args(padLen, dst, p0, p1)));
    return dst;
  }

  // ------------------------------------------------------------------ kernels

  /** C[M×N] (+)= A[M×K]·B[K×N] (row-major with leading dimensions), or with B given as N×K when transB. */
  gemm(M: number, N: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number,
    C: Float32Array, cOff: number, ldc: number, accumulate: boolean, transB = false): void {
    this.begin();
    const aLen = (M - 1) * lda + K, bLen = transB ? (N - 1) * ldb + K : (K - 1) * ldb + N, cLen = (M - 1) * ldc + N;
    const a = this.put(A, aOff, aLen), b = this.put(B, bOff, bLen);
    // C is always worked on in the call's region and copied back, even when it lives in the memory
    const c = this.alloc(cLen);
    if (accumulate) this.f32.set(C.subarray(cOff, cOff + cLen), c / 4);
    this.runGemm(M, N, K, a, lda, b, ldb, transB, c, ldc, accumulate);
    if (ldc === N) C.set(this.f32.subarray(c / 4, (c / 4) + cLen), cOff);
    else for (let i = 0; i < M; i++) C.set(this.f32.subarray((c / 4) + i * ldc, (c / 4) + i * ldc + N), cOff + i * ldc);
  }

  /** A·B (B given N×K when transB) into a new M×N array: an arena block when the arena is open. */
  gemmOut(M: number, N: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number, transB: boolean): Float32Array {
    const o = this.start(M * N), c = o.out;
    const aLen = (M - 1) * lda + K, bLen = transB ? (N - 1) * ldb + K : (K - 1) * ldb + N;
    const a = this.put(A, aOff, aLen), b = this.put(B, bOff, bLen);
    this.runGemm(M, N, K, a, lda, b, ldb, transB, c, N, false);
    return this.result(o, M * N);
  }

  /** x[K] · Bᵀ for B [N × K] (row stride ldb) into a new N-array (see asm gemv): a one-row Dense product. */
  gemv(N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, ldb: number): Float32Array {
    const o = this.start(N), out = o.out;
    const x = this.put(A, aOff, K), w = this.put(B, bOff, (N - 1) * ldb + K);
    this.run('gemv', tiles(N, 1, this.partCount(N * K, SPLIT_MACS)).map(([n0, n1]) => [K, x, w, ldb, out, n0, n1]));
    return this.result(o, N);
  }

  /** The gemm export over the threads: parts split one dimension and share the other operand, packed ahead. */
  private runGemm(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, transB: boolean, c: number, ldc: number, accumulate: boolean): void {
    const { parts, byN } = this.split(M, N, M * N * K);
    // A (mode 0 or, packed ahead, 3) and B (0, 1 when stored N×K, or 3) as the gemm export takes them
    let A = [a, lda, 0], B = [b, ldb, transB ? 1 : 0];
    if (parts.length > 1 && K > 0) {
      if (byN) A = [this.packAhead('prepack', 0, M, K, parts.length, (padLen, dst, p0, p1) => [0, 0, a, lda, padLen, K, dst, p0, p1]), Math.ceil(M / MR) * MR, 3];
      else B = [this.packAhead('prepack', 1, N, K, parts.length, (padLen, dst, p0, p1) => [1, transB ? 1 : 0, b, ldb, padLen, K, dst, p0, p1]), Math.ceil(N / NR) * NR, 3];
    }
    this.run('gemm', parts.map(([m0, m1, n0, n1]) => [K, ...A, ...B, c, ldc, accumulate ? 1 : 0, 0, m0, m1, n0, n1]));
  }

  /** out = op(X) elementwise for a float32 op of the module's `unary` export, into a new array. */
  unary(op: keyof typeof UNARY, X: Float32Array, p0 = 0, p1 = 0): Float32Array {
    const n = X.length;
    const o = this.start(n), out = o.out;
    const x = this.put(X, 0, n);
    const T = this.partCount(n, SPLIT_ELEMENTS);
    const parts: number[][] = [];
    for (let t = 0; t < T; t++) {
      // split at multiples of 8 so every element takes the same vector path whatever the thread count
      const a = Math.min(n, Math.round((n / 8) * t / T) * 8), b = t === T - 1 ? n : Math.min(n, Math.round((n / 8) * (t + 1) / T) * 8);
      if (b > a) parts.push([UNARY[op], x, out, a, b, p0, p1]);
    }
    this.run('unary', parts);
    return this.result(o, n);
  }

  /** Split rows [0, rows) of `len` elements into parts when the work is worth it. */
  private rowParts(rows: number, len: number, args: (r0: number, r1: number) => number[]): number[][] {
    const T = Math.min(this.partCount(rows * len, SPLIT_ELEMENTS), rows);
    const parts: number[][] = [];
    for (let t = 0; t < T; t++) {
      const r0 = Math.round((rows * t) / T), r1 = Math.round((rows * (t + 1)) / T);
      if (r1 > r0) parts.push(args(r0, r1));
    }
    return parts;
  }

  /**
   * out = A ∘ B over [rows × len] (see asm binary): B full (bMod 0) or one value per row (B[r mod bMod]); B ∘ A when
   * swap. Into a new array.
   */
  binary(op: keyof typeof BINARY, A: Float32Array, B: Float32Array, rows: number, len: number, bMod: number, swap: boolean): Float32Array {
    const n = rows * len;
    const o = this.start(n), out = o.out;
    const a = this.put(A, 0, n), b = this.put(B, 0, bMod > 0 ? bMod : bMod < 0 ? len : n);
    this.run('binary', this.rowParts(rows, len, (r0, r1) => [BINARY[op], a, b, out, len, bMod, swap ? 1 : 0, r0, r1]));
    return this.result(o, n);
  }

  /** [B, R, C] → [B, C, R] (see asm transpose2d), into a new array; X may be float32 bytes at any alignment. */
  transpose2d(X: Float32Array | Uint8Array, B: number, R: number, C: number): Float32Array {
    const n = B * R * C;
    const o = this.start(n), out = o.out;
    const x = this.put(X, 0, n);
    const T = Math.min(this.partCount(n, SPLIT_ELEMENTS), B);
    const parts: number[][] = [];
    for (let t = 0; t < T; t++) {
      const b0 = Math.round((B * t) / T), b1 = Math.round((B * (t + 1)) / T);
      if (b1 > b0) parts.push([x, out, R, C, b0, b1]);
    }
    this.run('transpose2d', parts);
    return this.result(o, n);
  }

  /**
   * A float32 [R, C] matrix read from the file `fd` at `offset` straight into the call's region and transposed into a
   * new resident block as [C, R]: the bytes never pass through JavaScript memory, and nothing is copied out (a large
   * model's [in, out] Linear weights, at import). Copies into and out of this shared memory cost more than the
   * transpose itself (relaxed-atomic copies). null when an arena is open or there is no room (the block taken for it
   * is given back at once, its finalizer unregistered).
   */
  transposeFromFile(fd: number, offset: number, R: number, C: number): Float32Array | null {
    const n = R * C;
    const block = this.resident(n * 4);
    if (!block) return null;
    const out = block.bytes.byteOffset;
    if (!this.fits(n)) { block.free(); return null; }
    this.begin();
    const x = this.alloc(n);
    const buf = Buffer.from(this.buffer as unknown as ArrayBuffer, x, n * 4);
    const got = readAt(fd, buf, offset);
    if (got < n * 4) { block.free(); throw new Error(`the file ended at ${offset + got} of ${offset + n * 4} bytes`); }
    // one matrix: asm transpose2d splits over the batch only, so this runs as one part (as transpose2d does for B = 1)
    this.run('transpose2d', [[x, out, R, C, 0, 1]]);
    const view = new Float32Array(this.buffer, out, n);
    block.tie(view);
    return view;
  }

  /** out[r·len + i] = X[r·len + i]·scale[r mod C] + shift[r mod C] in float64 (see asm affineRows), into a new array. */
  affineRows(X: Float32Array, scale: Float64Array, shift: Float64Array, rows: number, len: number): Float32Array {
    const n = rows * len, C = scale.length;
    const o = this.start(n), out = o.out;
    const x = this.put(X, 0, n);
    const s = this.alloc(C * 2), t = this.alloc(C * 2);
    const f64 = new Float64Array(this.buffer);
    f64.set(scale, s / 8);
    f64.set(shift, t / 8);
    this.run('affineRows', this.rowParts(rows, len, (r0, r1) => [x, s, t, C, out, len, r0, r1]));
    return this.result(o, n);
  }

  /** Softmax over the last axis of a [rows × L] array, into a new array. */
  softmaxRows(X: Float32Array, rows: number, L: number): Float32Array {
    const o = this.start(rows * L), out = o.out;
    const x = this.put(X, 0, rows * L);
    const T = this.partCount(rows * L, SPLIT_ELEMENTS);
    const parts: number[][] = [];
    for (let t = 0; t < T; t++) {
      const r0 = Math.round((rows * t) / T), r1 = Math.round((rows * (t + 1)) / T);
      if (r1 > r0) parts.push([x, out, L, r0, r1]);
    }
    this.run('softmaxRows', parts);
    return this.result(o, rows * L);
  }

  /** Max pooling over planes (see asm maxPool2d), into a new array; null when a plane exceeds the scratch. */
  maxPool2d(g: Pool2DGeometry, X: Float32Array): Float32Array | null {
    const { planes, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW } = g;
    if (this.exp.depthwiseScratchFloats(KH, KW, sh, sw, dh, dw, OH, OW) * 4 > this.scratchBytes) return null;
    const o = this.start(planes * OH * OW), out = o.out;
    const x = this.put(X, 0, planes * H * W);
    const T = this.partCount(planes * OH * OW * KH * KW, SPLIT_ELEMENTS);
    const parts: number[][] = [];
    for (let t = 0; t < T; t++) {
      const p0 = Math.round((planes * t) / T), p1 = Math.round((planes * (t + 1)) / T);
      if (p1 > p0) parts.push([x, H, W, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, out, p0, p1]);
    }
    this.run('maxPool2d', parts);
    return this.result(o, planes * OH * OW);
  }

  /**
   * Forward 2-D convolution of NCHW `x` by [O, C/group, KH, KW] `w` (+ bias), into a new [N, O, OH, OW] array;
   * null when a depthwise plane is too large for the scratch (the caller keeps the JS kernel).
   */
  conv2d(p: Conv2DGeometry, X: Float32Array, Wt: Float32Array, bias: Float32Array | null): Float32Array | null {
    const { N, C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, group } = p;
    const Cg = C / group, Og = O / group, P = OH * OW;
    const depthwise = Cg === 1 && Og === 1;
    if (depthwise && this.exp.depthwiseScratchFloats(KH, KW, sh, sw, dh, dw, OH, OW) * 4 > this.scratchBytes) return null;
    const o = this.start(N * O * P), out = o.out;
    const x = this.put(X, 0, N * C * H * W), w = this.put(Wt, 0, O * Cg * KH * KW);
    const b = bias ? this.put(bias, 0, O) : 0;
    if (depthwise) {
      // split planes
      const planes = N * C, T = this.partCount(planes * P * KH * KW, SPLIT_ELEMENTS * 4);
      const parts: number[][] = [];
      for (let t = 0; t < T; t++) {
        const p0 = Math.round((planes * t) / T), p1 = Math.round((planes * (t + 1)) / T);
        if (p1 > p0) parts.push([x, H, W, w, C, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, out, b, p0, p1]);
      }
      this.run('depthwise2d', parts);
    } else {
      const K = Cg * KH * KW, geometry = [KH, KW, sh, sw, pt, pl, dh, dw, OH, OW];
      const pointwise = KH === 1 && KW === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && OH === H && OW === W;
      // one image, one group: split calls pack the shared operand ahead instead of once per part
      const single = N === 1 && group === 1;
      if (P <= 64 && Og >= 64) {
        // few output pixels, many channels: the transposed GEMM keeps the 8-wide vectors full (channels), where
        // pixels would leave a 49-wide row 7/8 used; parts split the channels and share the patches
        const tmp = this.alloc(P * Og);
        const cols = tiles(Og, NR, this.partCount(N * O * P * K, SPLIT_MACS));
        const xp = cols.length > 1 && single
          ? pointwise
            ? this.packAhead('prepack', 0, P, K, cols.length, (padLen, dst, p0, p1) => [0, 1, x, P, padLen, K, dst, p0, p1])
            : this.packAhead('prepackConv', 0, P, K, cols.length, (padLen, dst, p0, p1) => [0, x, Cg, H, W, ...geometry, padLen, dst, p0, p1])
          : 0;
        this.run('conv2dT', cols.map(([m0, m1]) => [N, group, x, Cg, H, W, w, Og, ...geometry, out, b, m0, m1, tmp, xp]));
      } else {
        const { parts, byN } = this.split(Og, P, N * O * P * K);
        if (parts.length > 1 && single && !byN) {
          // parts split the channels and share the im2col, packed ahead: a plain GEMM of the weights by it
          const xp = pointwise
            ? this.packAhead('prepack', 1, P, K, parts.length, (padLen, dst, p0, p1) => [1, 0, x, P, padLen, K, dst, p0, p1])
            : this.packAhead('prepackConv', 1, P, K, parts.length, (padLen, dst, p0, p1) => [1, x, Cg, H, W, ...geometry, padLen, dst, p0, p1]);
          const padN = Math.ceil(P / NR) * NR;
          this.run('gemm', parts.map(([m0, m1, n0, n1]) => [K, w, K, 0, xp, padN, 3, out, P, 0, b, m0, m1, n0, n1]));
        } else {
          // parts split the pixels and share the weights, packed ahead
          const wp = parts.length > 1 && single
            ? this.packAhead('prepack', 0, Og, K, parts.length, (padLen, dst, p0, p1) => [0, 0, w, K, padLen, K, dst, p0, p1])
            : 0;
          this.run('conv2d', parts.map(([m0, m1, n0, n1]) => [N, group, x, Cg, H, W, w, Og, ...geometry, out, b, m0, m1, n0, n1, wp]));
        }
      }
    }
    return this.result(o, N * O * P);
  }
}

export interface Conv2DGeometry {
  N: number; C: number; H: number; W: number; O: number; KH: number; KW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; OH: number; OW: number; group: number;
}

function align(n: number): number { return Math.ceil(n / 64) * 64; }

/** [0, len) in `count` near-equal runs that start and end on multiples of `unit` (the last ends at len). */
function tiles(len: number, unit: number, count: number): [number, number][] {
  const units = Math.ceil(len / unit), out: [number, number][] = [];
  for (let t = 0; t < count; t++) {
    const a = Math.min(len, Math.round((units * t) / count) * unit), b = Math.min(len, Math.round((units * (t + 1)) / count) * unit);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** A resident block: its bytes, `tie` (keep it while another view lives), `free` (give it back now, once). */
export interface ResidentBlock { bytes: Uint8Array; tie: (view: object) => void; free: () => void }

/**
 * Blocks of a region that starts at `base`: first fit among the free runs (kept sorted and merged with their
 * neighbours), else at the top; a free run that reaches the top lowers it. The caller reserves memory up to `top`.
 */
class Blocks {
  top: number;
  private free: { off: number; size: number }[] = [];
  private readonly live = new Map<number, number>();
  constructor(base: number) { this.top = base; }

  take(size: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      const f = free[i]!;
      if (f.size < size) continue;
      const off = f.off;
      if (f.size === size) free.splice(i, 1); else { f.off += size; f.size -= size; }
      this.live.set(off, size);
      return off;
    }
    const off = this.top;
    this.top += size;
    this.live.set(off, size);
    return off;
  }

  /** Free the block that starts at `off`; false when none does. */
  give(off: number): boolean {
    const size = this.live.get(off);
    if (size === undefined) return false;
    this.live.delete(off);
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i]!.off < off) i++;
    free.splice(i, 0, { off, size });
    if (i + 1 < free.length && free[i]!.off + free[i]!.size === free[i + 1]!.off) { free[i]!.size += free[i + 1]!.size; free.splice(i + 1, 1); }
    if (i > 0 && free[i - 1]!.off + free[i - 1]!.size === free[i]!.off) { free[i - 1]!.size += free[i]!.size; free.splice(i, 1); }
    const last = free[free.length - 1];
    if (last && last.off + last.size === this.top) { this.top = last.off; free.pop(); }
    return true;
  }

  /** Forget every block and start again at `base`. */
  reset(base: number): void {
    this.top = base;
    this.free = [];
    this.live.clear();
  }
}
