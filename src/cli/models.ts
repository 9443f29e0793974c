/**
 * Model arguments → model files. Each argument is
 *   - a file: taken as given (whatever its extension: the user named it);
 *   - a folder: every `*.onnx` file below it, recursively, sorted;
 *   - a glob: `*` (any characters but `/`), `?` (one character but `/`), `**` (any number of folders, a whole
 *     segment only). Matches behave like the shell's expansion would: a matched file is taken, a matched folder is
 *     expanded as a folder argument.
 * An argument that exists as a literal path is never read as a glob. Names starting with `.` are skipped by folder
 * walks and are only matched by a glob segment that starts with `.` itself (as in the shell). Symlinks to files are
 * followed; symlinks to folders are not descended into by walks (no cycles). Files are listed in argument order,
 * without duplicates (the same file reached twice keeps its first place). Missing paths and empty matches are
 * reported as one error each, naming the argument; the other arguments still expand.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export interface ExpandedModels { files: string[]; errors: string[] }

const GLOB_CHARS = /[*?]/;

export const isGlob = (s: string): boolean => GLOB_CHARS.test(s);

/** Path segments of a pattern (`/`, and `\` on Windows). */
const segments = (p: string): string[] => p.split(process.platform === 'win32' ? /[\\/]/ : '/');

/**
 * Does one glob segment (no `/`) match one name? `*` is any run of characters, `?` one character; a wildcard at the
 * start does not match a leading `.` (dotfiles need an explicit `.`). Greedy matching with a single backtrack point:
 * O(pattern × name), so no pattern can take exponential time (as a RegExp for `*a*a*a*b` would).
 */
export function matchSegment(pattern: string, name: string): boolean {
  if (name.startsWith('.') && (pattern[0] === '*' || pattern[0] === '?')) return false;
  const p = [...pattern], s = [...name];
  let i = 0, j = 0, star = -1, mark = 0;
  while (j < s.length) {
    if (i < p.length && (p[i] === '?' || (p[i] !== '*' && p[i] === s[j]))) { i++; j++; }
    else if (i < p.length && p[i] === '*') { star = i++; mark = j; }
    else if (star >= 0) { i = star + 1; j = ++mark; }
    else return false;
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

/**
 * Does the slash-separated `path` match the glob `pattern` (both relative, or both absolute)? `**` matches zero or
 * more whole segments; used by config `models` keys, where nothing is read from disk.
 */
export function matchGlob(pattern: string, path: string): boolean {
  const pat = segments(pattern).filter((s, i) => s !== '' || i === 0);
  const parts = segments(path).filter((s, i) => s !== '' || i === 0);
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === pat.length) r = j === parts.length;
    else if (pat[i] === '**') r = go(i + 1, j) || (j < parts.length && !parts[j]!.startsWith('.') && go(i, j + 1));
    else r = j < parts.length && (isGlob(pat[i]!) ? matchSegment(pat[i]!, parts[j]!) : pat[i] === parts[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

type Kind = 'file' | 'dir' | null;

function kindOf(path: string): Kind {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

function listDir(dir: string): Dirent[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every `*.onnx` below `dir` (`shown` is how `dir` is written in the output), depth-first in sorted name order. */
function walkOnnx(dir: string, shown: string, out: string[]): void {
  for (const e of listDir(dir)) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name), display = join(shown, e.name);
    if (e.isDirectory()) walkOnnx(full, display, out);
    else if (/\.onnx$/i.test(e.name) && (e.isFile() || (e.isSymbolicLink() && kindOf(full) === 'file'))) out.push(display);
  }
}

/** Expand a glob relative to `cwd`; returns displayed paths (files and folders) in sorted order. */
function expandGlob(pattern: string, cwd: string): string[] {
  const segs = segments(pattern);
  // the literal prefix: segments before the first one holding a wildcard
  const first = segs.findIndex(isGlob);
  const prefix = segs.slice(0, first);
  const rest = segs.slice(first).filter(s => s !== '');
  const shownBase = isAbsolute(pattern) && prefix.join('/') === '' ? '/' : prefix.join('/');
  const base = resolve(cwd, shownBase || '.');
  const out: string[] = [];
  const seen = new Set<string>();
  const emit = (shown: string) => { if (!seen.has(shown)) { seen.add(shown); out.push(shown); } };
  const join2 = (a: string, b: string) => (a === '' ? b : a.endsWith('/') ? a + b : `${a}/${b}`);
  const go = (abs: string, shown: string, i: number): void => {
    if (i === rest.length) { emit(shown); return; }
    const seg = rest[i]!;
    if (seg === '**') {
      go(abs, shown, i + 1); // zero folders
      let entries: Dirent[];
      try { entries = listDir(abs); } catch { return; }
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) go(join(abs, e.name), join2(shown, e.name), i);
      return;
    }
    if (!isGlob(seg)) {
      const next = join(abs, seg);
      if (i === rest.length - 1 ? kindOf(next) !== null : kindOf(next) === 'dir') go(next, join2(shown, seg), i + 1);
      return;
    }
    let entries: Dirent[];
    try { entries = listDir(abs); } catch { return; }
    for (const e of entries) {
      if (!matchSegment(seg, e.name)) continue;
      const next = join(abs, e.name);
      const k = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : kindOf(next);
      if (k === null) continue;
      if (i < rest.length - 1 && k !== 'dir') continue;
      go(next, join2(shown, e.name), i + 1);
    }
  };
  go(base, shownBase, 0);
  return out.sort();
}

/** Expand model arguments (files, folders, globs) relative to `cwd`; see the module comment for the rules. */
export function expandModelArgs(args: string[], cwd: string = process.cwd()): ExpandedModels {
  const files: string[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (shown: string) => {
    const key = resolve(cwd, shown);
    if (!seen.has(key)) { seen.add(key); files.push(shown); }
  };
  const expandPath = (arg: string, kind: 'file' | 'dir'): number => {
    if (kind === 'file') { add(arg); return 1; }
    const found: string[] = [];
    try { walkOnnx(resolve(cwd, arg), arg, found); } catch (e) {
      errors.push(`cannot read folder ${arg}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return -1;
    }
    found.forEach(add);
    return found.length;
  };
  for (const arg of args) {
    if (arg === '') { errors.push(`empty model argument ''`); continue; }
    const kind = kindOf(resolve(cwd, arg));
    if (kind) {
      if (expandPath(arg, kind) === 0) errors.push(`no .onnx files in folder ${arg}`);
      continue;
    }
    if (!isGlob(arg)) { errors.push(`model file or folder not found: ${arg}`); continue; }
    const matches = expandGlob(arg, cwd);
    let n = 0;
    for (const m of matches) {
      const k = kindOf(resolve(cwd, m));
      if (k) n += Math.max(0, expandPath(m, k));
    }
    if (n === 0) errors.push(matches.length ? `no .onnx files in what ${arg} matches` : `no files match ${arg}`);
  }
  return { files, errors };
}
