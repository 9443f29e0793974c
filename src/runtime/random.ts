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
/** mindspore.set_seed */
export function setSeed(seed: number): void { globalSeed = seed; globalRng = new Rng(seed); }
export function getSeed(): number { return globalSeed; }
export function defaultRng(): Rng { return globalRng; }
