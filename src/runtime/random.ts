/** Seeded PRNG (mulberry32) with normal samples by Box–Muller: reproducible inputs and initial weights. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo)); }
}

let globalSeed = 0;
let globalRng = new Rng(0);
/** Calls so far of each (kernel, op-level seed) pair; set_seed resets them (MindSpore `_reset_op_seed`). */
const opSeedCalls = new Map<string, number>();

/** mindspore.set_seed: reseeds the global generator and restarts every op-level seed's sequence. */
export function setSeed(seed: number): void { globalSeed = seed; globalRng = new Rng(seed); opSeedCalls.clear(); }
export function getSeed(): number { return globalSeed; }
export function defaultRng(): Rng { return globalRng; }

/**
 * The generator of one call of a random op given an op-level `seed` (MindSpore's `seed=` argument): the n-th call of
 * `kernel` with that seed gets the same stream every time the program runs (or after setSeed), and consecutive calls
 * get different streams. Without an op seed the global generator is used.
 */
export function opRng(kernel: string, seed: number | null | undefined): Rng {
  if (seed === null || seed === undefined) return globalRng;
  const key = `${kernel}:${seed}`;
  const n = opSeedCalls.get(key) ?? 0;
  opSeedCalls.set(key, n + 1);
  // FNV-1a over (kernel, global seed, op seed, call number), then a murmur finaliser, as the 32-bit state
  let h = 0x811c9dc5;
  for (const c of `${kernel}|${globalSeed}|${seed}|${n}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}
