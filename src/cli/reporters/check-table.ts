import chalk from 'chalk';
import Table from 'cli-table3';
import type { CheckResult } from '../../check.js';
import { fmtMs, fmtNum, fmtShape, tableStyle } from '../format.js';

/** Human report of a check: inputs, one row per output, one summary line. */
export function renderCheckTable(r: CheckResult): string {
  const lines: string[] = [];
  lines.push(chalk.bold(`msport check ${r.model}`));
  for (const i of r.inputs) lines.push(chalk.dim(`  input ${i.name}: ${i.dtype} ${fmtShape(i.shape)} from ${i.source}`));
  const table = new Table({
    head: ['output', 'shape', 'max abs diff', 'max rel diff', 'mismatched', 'worst index', 'verdict'],
    style: tableStyle(),
  });
  for (const o of r.outputs) {
    table.push([
      o.name, fmtShape(o.shape), fmtNum(o.maxAbsDiff), fmtNum(o.maxRelDiff),
      `${o.mismatches}/${o.size}`,
      o.worstIndex ? `[${o.worstIndex.join(', ')}] ${fmtNum(o.reference)} vs ${fmtNum(o.actual)}` : '-',
      o.passed ? chalk.green('PASS') : chalk.red(o.error ? 'FAIL (shape)' : 'FAIL'),
    ]);
  }
  lines.push(table.toString());
  for (const o of r.outputs) if (o.error) lines.push(chalk.red(`  ${o.name}: ${o.error}`));
  const failed = r.outputs.filter(o => !o.passed).length;
  const worst = Math.max(...r.outputs.map(o => o.maxAbsDiff));
  const verdict = r.passed ? chalk.green.bold('PASS') : chalk.red.bold('FAIL');
  lines.push(`${verdict} ${r.outputs.length - failed}/${r.outputs.length} outputs within atol=${r.atol} rtol=${r.rtol} · max abs diff ${fmtNum(worst)} · ` +
    `onnxruntime ${fmtMs(r.timings.referenceMs)} · msport ${fmtMs(r.timings.runtimeMs)}`);
  return lines.join('\n');
}
