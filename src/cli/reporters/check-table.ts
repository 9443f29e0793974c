import chalk from 'chalk';
import Table from 'cli-table3';
import type { CheckResult } from '../../check.js';
import type { PortLayerReport } from '../../port/layers.js';
import type { LayerReport } from '../../compare/layers.js';
import { fmtMs, fmtNum, fmtShape, tableStyle } from '../format.js';

/** Human report of a check: inputs, one row per output, one summary line. */
export function renderCheckTable(r: CheckResult): string {
  const lines: string[] = [];
  lines.push(chalk.bold(`msport check ${r.model}`));
  for (const i of r.inputs) lines.push(chalk.dim(`  input ${i.name}: ${i.dtype} ${fmtShape(i.shape)} from ${i.source}`));
  if (r.stream) lines.push(chalk.dim(`  streamed (${r.stream.why}): ${r.stream.blocks.length} blocks, ${r.stream.blocks[1]?.name ?? r.stream.blocks[0]!.name}${r.stream.blocks.length > 2 ? ', …' : ''}; each block's weights read only while it runs`));
  if (r.weights) lines.push(chalk.dim(`  weights: ${r.weights.loaded} Parameters from ${r.weights.file}`));
  if (r.port) lines.push(chalk.dim(`  port: ${r.port.className} from ${r.port.file} in MindSpore ${r.port.mindspore}, ${r.port.loaded}/${r.port.parameters} Parameters loaded`));
  // names and modes come before numbers: a wrong name explains a numeric mismatch better than the mismatch does
  for (const p of r.problems) lines.push(`${p.kind === 'unused-initializer' ? chalk.yellow('  warning') : chalk.red('  problem')} ${p.message}`);
  for (const n of r.exportNotes ?? []) lines.push(chalk.dim(`  note    ${n.message}`));
  for (const w of r.vacuous ?? []) lines.push(chalk.yellow(`  warning the check proves little: ${w.message}`));
  const table = new Table({
    head: ['output', 'shape', 'max abs diff', 'mean abs diff', 'max rel diff', 'cosine', 'mismatched', 'worst index', 'verdict'],
    style: tableStyle(),
  });
  for (const o of r.outputs) {
    table.push([
      o.name, fmtShape(o.shape), fmtNum(o.maxAbsDiff), fmtNum(o.meanAbsDiff), fmtNum(o.maxRelDiff), Number.isNaN(o.cosine) ? '-' : o.cosine.toFixed(6),
      `${o.mismatches}/${o.size}`,
      o.worstIndex ? `${o.samples > 1 ? `#${o.worstSample} ` : ''}[${o.worstIndex.join(', ')}] ${fmtNum(o.reference)} vs ${fmtNum(o.actual)}` : '-',
      o.passed ? chalk.green('PASS') : chalk.red(o.error ? 'FAIL (shape)' : 'FAIL'),
    ]);
  }
  lines.push(table.toString());
  if (r.layers) lines.push(renderLayers(r.layers));
  if (r.portLayers) lines.push(renderPortLayers(r.portLayers));
  for (const o of r.outputs) if (o.error) lines.push(chalk.red(`  ${o.name}: ${o.error}`));
  for (const o of r.outputs) {
    const top = o.topk ? ` · top-1 agreement ${o.topk.top1}/${o.topk.rows}, top-5 ${o.topk.top5}/${o.topk.rows}` : '';
    lines.push(chalk.dim(`  ${o.name}: smallest passing atol at rtol=${o.rtol}: ${fmtNum(o.minPassingAtol)}${top}`));
  }
  for (const g of r.regressions ?? []) lines.push(chalk.red(`  regression ${g.what} ${g.name}: max abs diff ${fmtNum(g.now)}, baseline ${fmtNum(g.baseline)} (${Number.isFinite(g.factor) ? `${g.factor.toFixed(1)}×` : 'from 0'})`));
  const failed = r.outputs.filter(o => !o.passed).length;
  const worst = Math.max(...r.outputs.map(o => o.maxAbsDiff));
  const verdict = r.noiseAccepted ? chalk.green.bold('PASS (noise accepted)') : r.passed ? chalk.green.bold('PASS') : chalk.red.bold('FAIL');
  // where a failure comes from, found by the per-layer pass the check ran by itself (--no-localize turns it off)
  if (r.localized) {
    const l = r.localized;
    const text = l.cause === 'accumulated'
      ? `${l.message}${r.noiseAccepted ? ': accepted (--accept-noise)' : ': pass --accept-noise to accept it'}`
      : l.message;
    lines.push(`${l.cause === 'introduced' ? chalk.red('  where  ') : chalk.yellow('  where  ')} ${text} ${chalk.dim(`(per-layer pass ${fmtMs(l.ms)})`)}`);
  }
  const where = r.portLayers ? (r.portLayers.firstDivergence ? ` · first diverging Cell: ${r.portLayers.firstDivergence}` : ` · no Cell of the port diverges`) : r.layers ? (r.layers.firstDivergence
    ? ` · first divergence: ${r.layers.firstDivergence}`
    : r.layers.firstDivergenceCause === 'accumulated'
      ? ` · within float noise: every layer stays within ${r.layers.noiseFactor}× its noise floor, the difference accumulates`
      : ' · no layer diverges') : '';
  const blocking = r.problems.filter(p => p.kind !== 'unused-initializer').length;
  const named = blocking ? ` · ${blocking} name/mode problem${blocking > 1 ? 's' : ''}` : '';
  const samples = r.samples > 1 ? ` over ${r.samples} samples` : '';
  const little = r.vacuous?.length ? ` · proves little (${r.vacuous.length} warning${r.vacuous.length > 1 ? 's' : ''} above)` : '';
  lines.push(`${verdict} ${r.outputs.length - failed}/${r.outputs.length} outputs within atol=${r.atol} rtol=${r.rtol}${samples}${named}${little} · max abs diff ${fmtNum(worst)}${where} · ` +
    `onnxruntime ${fmtMs(r.timings.referenceMs)} · ${r.port ? `${r.port.className} in MindSpore ${r.port.mindspore}` : 'msport'} ${fmtMs(r.timings.runtimeMs)}`);
  // memory is worth a line once it is large: a check of a billion-parameter model
  const m = r.memory;
  if (m && Math.max(m.msportPeakMiB, m.onnxruntimePeakMiB ?? 0) >= 1024) {
    lines.push(chalk.dim(`  peak memory: msport ${(m.msportPeakMiB / 1024).toFixed(2)} GiB${m.onnxruntimePeakMiB !== null ? `, onnxruntime (its own process) ${(m.onnxruntimePeakMiB / 1024).toFixed(2)} GiB` : ''}`));
  }
  return lines.join('\n');
}

/** --port --layers: one row per Cell call of the port, against onnxruntime's value of the module it ports. */
function renderPortLayers(rep: PortLayerReport): string {
  const t = new Table({ head: ['Cell of the port', 'class', 'shape', 'ONNX value', 'max abs diff', 'verdict'], style: tableStyle() });
  for (const l of rep.layers) {
    if (l.passed === null) continue;
    const name = l.call > 1 ? `${l.name} (call ${l.call})` : l.name;
    const shapeNote = l.referenceShape && l.referenceShape.join() !== l.shape.join() ? ` vs (${l.referenceShape.join(', ')})` : '';
    t.push([name === rep.firstDivergence ? chalk.bold(name) : name, l.cls, `(${l.shape.join(', ')})${shapeNote}`, l.onnx ?? '', fmtNum(l.maxAbsDiff ?? NaN),
      l.passed ? chalk.green('PASS') : name === rep.firstDivergence ? chalk.red('FAIL (source)') : l.withinNoise ? chalk.yellow('FAIL (inherited)') : chalk.red('FAIL')]);
  }
  const unmatched = rep.unmatched.length ? `\n  ${rep.unmatched.length} Cell${rep.unmatched.length > 1 ? 's' : ''} of the port match no module of the export: ${rep.unmatched.slice(0, 12).join(', ')}${rep.unmatched.length > 12 ? ', …' : ''}` : '';
  const why = rep.explanation ? `\n  ${chalk.bold('why')}: ${rep.explanation.message}` : rep.firstDivergence ? `\n  no single API difference of ${rep.firstDivergence}'s mapping rule reproduces its output` : '';
  return `${t.toString()}\n  ${rep.matched} Cell calls compared${rep.sample ? ` on sample ${rep.sample} (the first whose outputs fail)` : ''}${unmatched}${why}`;
}

/** One row per layer: chained diff (what the port computes) and local diff (the layer on reference inputs). */
function renderLayers(rep: LayerReport): string {
  const t = new Table({ head: ['layer', 'MindSpore API', 'shape', 'max abs diff', 'max rel diff', 'local abs diff', '× noise floor', 'verdict'], style: tableStyle() });
  for (const l of rep.layers) {
    const first = l.name === rep.firstDivergence;
    const name = l.kind === 'scope' ? chalk.dim(l.name) : l.name;
    const verdict = l.introducesError ? chalk.red(l.kind === 'scope' ? 'FAIL (contains source)' : 'FAIL (source)')
      : l.withinNoise ? chalk.yellow('NOISE')
      : !l.passed ? chalk.red('FAIL (inherited)') : chalk.green('PASS');
    t.push([first ? chalk.bold.red(`> ${name}`) : name, l.kind === 'scope' ? chalk.dim('(scope)') : l.api.replace(/^mindspore\./, ''), fmtShape(l.shape),
      fmtNum(l.maxAbsDiff), fmtNum(l.maxRelDiff), l.local ? fmtNum(l.local.maxAbsDiff) : '-', l.noiseRatio === null ? '-' : fmtNum(l.noiseRatio), verdict]);
  }
  return t.toString();
}
