/**
 * The PyTorch → MindSpore API-difference report, rendered from the mapping rules themselves (no second list of
 * differences exists): `renderApiTable` gives one row per rule, `renderApiEntry` everything one rule knows.
 */
import chalk from 'chalk';
import Table from 'cli-table3';
import type { DefaultDifference, DifferenceEffect, MappingRule } from '../../mappings/index.js';
import { tableStyle } from '../format.js';

const EFFECTS: readonly DifferenceEffect[] = ['forward', 'training', 'init'];

/** A default value as a reader expects it: Python literals for booleans and None, short exponents for tiny numbers. */
export function fmtDefault(v: DefaultDifference['torch']): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
  return v;
}

const paint = (effect: DifferenceEffect, s: string): string =>
  effect === 'forward' ? chalk.red(s) : effect === 'training' ? chalk.yellow(s) : chalk.blue(s);

const harmless = (r: MappingRule): boolean => r.consequence.startsWith('None');

/**
 * One row per rule: torch → MindSpore, kind, number of default differences, consequence. `width` (a terminal's
 * columns) narrows the wrapped consequence column so the table fits; without it the column is 60 wide.
 */
export function renderApiTable(rules: readonly MappingRule[], opts: { width?: number } = {}): string {
  const names = rules.map(r => `${r.torch} → ${r.ms}`);
  const nameWidth = Math.max('PyTorch → MindSpore'.length, ...names.map(n => n.length)) + 2;
  // borders (5) + kind column (15: 'tensor-method' and padding) + defaults column (10)
  const consequenceWidth = opts.width ? Math.max(24, opts.width - nameWidth - 30) : 60;
  const t = new Table({
    head: ['PyTorch → MindSpore', 'kind', 'defaults', 'consequence if ignored'],
    style: tableStyle(),
    colWidths: [null, null, null, consequenceWidth],
    wordWrap: true,
  });
  rules.forEach((r, i) => {
    const n = r.defaults?.length ?? 0;
    t.push([
      names[i]!,
      r.kind,
      n ? chalk.yellow(String(n)) : chalk.dim('0'),
      harmless(r) ? chalk.dim(r.consequence) : r.consequence,
    ]);
  });
  const diffs = rules.flatMap(r => r.defaults ?? []);
  const byEffect = EFFECTS.map(e => `${diffs.filter(d => d.effect === e).length} ${e}`).join(', ');
  const unsupported = rules.reduce((s, r) => s + (r.notSupported?.length ?? 0), 0);
  return [
    t.toString(),
    `${rules.length} APIs · ${diffs.length} default differences (${byEffect}) · ${unsupported} unsupported arguments`,
  ].join('\n');
}

const section = (title: string, lines: readonly string[]): string[] => (lines.length ? ['', chalk.bold(title), ...lines.map(l => `  ${l}`)] : []);

/** Everything one rule records, readable: call, consequence, renames, default differences, parameters, layout, gaps, notes, links. */
export function renderApiEntry(r: MappingRule): string {
  const out: string[] = [];
  out.push(`${chalk.bold(r.torch)} → ${chalk.bold(r.ms)}`);
  out.push(chalk.dim(`  ${r.kind} · MindSpore ${r.versions}`));
  out.push(`  ${harmless(r) ? chalk.dim(r.consequence) : chalk.yellow(r.consequence)}`);

  out.push(...section('Arguments (PyTorch → MindSpore)', (r.args ?? []).map(a => `${a.torch} → ${a.ms}${a.note ? chalk.dim(`  (${a.note})`) : ''}`)));

  if (r.defaults?.length) {
    const t = new Table({
      head: ['argument', 'PyTorch', 'MindSpore', 'effect', 'what to do'],
      style: tableStyle(),
      colWidths: [null, 24, 24, null, 44],
      wordWrap: true,
    });
    for (const d of r.defaults) t.push([d.arg, fmtDefault(d.torch), fmtDefault(d.ms), paint(d.effect, d.effect), d.note]);
    out.push('', chalk.bold('Default differences'), t.toString());
  }

  out.push(...section('Parameters (state_dict → MindSpore)', (r.params ?? []).map(p => (p.torch === p.ms ? chalk.dim(`${p.torch} (same name)`) : `${p.torch} → ${p.ms}`))));
  out.push(...section('Weight layout', r.layout ? [r.layout] : []));
  out.push(...section('Not supported in MindSpore', (r.notSupported ?? []).map(s => `- ${s}`)));
  out.push(...section('Notes', (r.notes ?? []).map(n => (n.startsWith('unverified') ? chalk.dim(`- ${n}`) : `- ${n}`))));
  out.push('');
  if (r.onnx?.length) out.push(`${chalk.dim('ONNX ')} ${r.onnx.join(', ')}`);
  out.push(`${chalk.dim('Docs ')} ${r.doc}`);
  return out.join('\n');
}
