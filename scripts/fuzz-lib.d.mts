// Types for scripts/fuzz-lib.mjs (used by test/fuzz.test.ts).
export interface Rng { (): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean }
export interface Fixture { file: string; args: string[]; weight: number; bytes: Uint8Array }
export interface FuzzCase { seed: number; kind: 'model' | 'npy'; ext: string; fixture?: string; bytes: Uint8Array; what: string; args: string[] }
export interface RunResult { code: number | null; stdout: string; stderr: string; threw: unknown; ms: number }

export function rng(seed: number): Rng;
export function caseSeed(base: number, index: number): number;
export const MODEL_FIXTURES: readonly { file: string; args: string[]; weight: number }[];
export const NPY_TARGET: { file: string; input: string; shape: number[] };
export function loadFixtures(root?: string): Fixture[];
export function wireFields(b: Uint8Array, start: number, end: number): { field: number; wt: number; start: number; tagEnd: number; dataStart: number; dataEnd: number; end: number }[] | null;
export const MODEL_MUTATIONS: Record<string, (bytes: Uint8Array, r: Rng) => { bytes: Uint8Array; what: string } | null>;
export const NPY_MUTATIONS: Record<string, (r: Rng) => { bytes: Uint8Array; what: string }>;
export function npyBytes(o: { descr?: string; fortran?: string; shape?: string; version?: number; data: Uint8Array; headerLen?: number; raw?: string }): Uint8Array;
export function makeCase(seed: number, fixtures: Fixture[]): FuzzCase;
export function caseArgs(c: FuzzCase, path: string): string[];
export function materialize(c: FuzzCase, dir: string): { path: string; argv: string[] };
export function runInProcess(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<RunResult>;
export function judge(res: RunResult): string[];
export function outcomeLine(res: RunResult): string;
