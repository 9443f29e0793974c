import chalk from 'chalk';
import Table from 'cli-table3';
import type { InspectResult } from '../../inspect.js';
import { fmtShape, tableStyle } from '../format.js';

export function renderInspect(r: InspectResult): string {
  const out: string[] = [];
  out.push(chalk.bold(`msport inspect ${r.model}`));
  out.push(chalk.dim(`  producer ${r.producer || '?'} · IR ${r.irVersion} · opsets ${Object.entries(r.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`));
  for (const i of r.inputs) out.push(chalk.dim(`  input  ${i.name}: ${i.dtype} ${fmtShape(i.dims)}`));
  for (const o of r.outputs) out.push(chalk.dim(`  output ${o.name}: ${o.dtype} ${fmtShape(o.dims)}`));
  out.push('', r.repr, '');
  const t = new Table({ head: ['parameter', 'shape', 'dtype', 'requires_grad', 'from ONNX initializer'], style: tableStyle() });
  for (const p of r.parameters) t.push([p.name, fmtShape(p.shape), p.dtype, p.requiresGrad ? 'True' : 'False', p.onnx ?? '-']);
  out.push(t.toString());
  const total = r.parameters.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  out.push(`${r.parameters.length} parameters (${total.toLocaleString('en-US')} values) in ${r.cells.length} Cells`);
  if (r.exportNotes.length) {
    out.push('', 'The exporter changed the module structure:');
    for (const n of r.exportNotes) out.push(`  ${n.message}`);
  }
  if (r.functionalOps.length) out.push(`functional ops: ${r.functionalOps.map(f => `${f.msApi} x${f.count}`).join(', ')}`);
  if (r.functionalScopes.length) {
    out.push('', 'Imported as functional ops (MindSpore has no single Cell for these; a port writes the same ops in construct):');
    for (const f of r.functionalScopes) out.push(`  ${f.scope}: ${f.ops.map(o => `${o.msApi.replace(/^mindspore\./, '')}${o.count > 1 ? ` ×${o.count}` : ''}`).join(', ')}`);
  }
  return out.join('\n');
}
