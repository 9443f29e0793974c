/** Renderers for the migration report: Markdown, JSON, and one self-contained HTML file. All read the same ReportData. */
import type { ReportData, ReportFunction, ReportRule } from './report.js';

const fmt = (v: number): string => (v === 0 ? '0' : !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(+v.toPrecision(4)) : v.toExponential(2));
const show = (v: unknown): string => (v === null || v === undefined ? 'None' : Array.isArray(v) ? `(${v.join(', ')})` : typeof v === 'string' ? `'${v}'` : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
const shape = (s: number[]): string => `(${s.join(', ')})`;

/** What differs for a functional op: renamed arguments, defaults, what MindSpore lacks, and the consequence. */
export function functionDiff(f: ReportFunction): string {
  const parts = [
    ...f.args.filter(a => a.torch !== a.ms).map(a => `\`${a.torch}\` → \`${a.ms}\``),
    ...f.defaults.map(x => `\`${x.arg}\` default ${show(x.torch)} vs ${show(x.ms)}: ${x.note}`),
    ...(f.notSupported.length ? [`not in MindSpore: ${f.notSupported.join('; ')}`] : []),
  ];
  return parts.length ? `${parts.join('; ')}. ${f.consequence}` : f.consequence;
}

export function measuredText(r: ReportRule): string {
  const m = r.measured;
  switch (m.outcome) {
    case 'shape-mismatch': return `shape mismatch at ${m.layer}: ${shape(m.expectedShape)} expected, ${shape(m.shape)} with MindSpore's default`;
    case 'value-diff': return `values change from ${m.layer} on; output max abs diff ${fmt(m.maxAbsDiff)} (${m.passed ? 'still within tolerance' : 'fails the gate'})`;
    case 'no-effect': return 'no effect on this model';
    case 'error': return `the network fails to run: ${m.error}`;
    case 'not-measured': return `not measured: ${m.why}`;
  }
}

export function renderMarkdown(d: ReportData): string {
  const out: string[] = [];
  out.push(`# Migration report: ${d.model}`, '');
  out.push(`Parity: **${d.passed ? 'PASS' : 'FAIL'}** — max abs diff ${fmt(d.maxAbsDiff)} at atol=${d.atol}, rtol=${d.rtol} (seed ${d.seed}).` +
    (d.firstDivergence ? ` First divergence: \`${d.firstDivergence}\`.` : ' No layer diverges.'), '');
  for (const n of d.notes) out.push(`> ${n}`, '');
  out.push('## Layers', '', '| layer | PyTorch | MindSpore | must be explicit |', '|---|---|---|---|');
  for (const l of d.layers) out.push(`| \`${l.name}\` | \`${l.torchCall}\` | \`${l.msCall}\` | ${l.explicit.map(e => `\`${e.arg}=${show(e.value)}\` (default ${show(e.msDefault)})`).join(', ') || '—'} |`);
  out.push('', '## Default differences, measured on this model', '',
    'Each row rebuilds the network with that one argument left at MindSpore\'s default and runs it on the same inputs.', '',
    '| PyTorch API | argument | PyTorch | MindSpore default | layers | consequence here |', '|---|---|---|---|---|---|');
  for (const r of d.rules) out.push(`| \`${r.torch}\` | \`${r.arg}\` | ${show(r.torchDefault)} | ${show(r.msDefault)} | ${r.layers.length} | ${measuredText(r)} |`);
  if (d.functions.length) {
    out.push('', '## Functional ops with an API difference', '', 'Ops a port writes in `construct` (no Cell), from PyTorch functions whose MindSpore counterpart differs. Each is matched by the op it exported to: code written another way in PyTorch (indexing, for a Gather) is listed under the function that exports alike.', '',
      '| PyTorch | MindSpore | where | difference |', '|---|---|---|---|');
    for (const f of d.functions) out.push(`| \`${f.torch}\` | \`${f.ms}\` | ${f.count}× in ${f.scopes.slice(0, 3).map(x => `\`${x}\``).join(', ')}${f.scopes.length > 3 ? ', …' : ''} | ${functionDiff(f)} |`);
  }
  out.push('', '## Parameter names (PyTorch state_dict → MindSpore)', '', '| PyTorch | shape | MindSpore | shape | dtype |', '|---|---|---|---|---|');
  for (const n of d.names) {
    out.push(n.dropped ? `| \`${n.torch}\` | () | — (PyTorch only: drop it) | | ${n.dtype} |`
      : `| \`${n.torch}\`${n.derived ? ' (from the module path)' : ''} | ${shape(n.torchShape)} | \`${n.ms}\` | ${shape(n.shape)} | ${n.dtype} |`);
  }
  out.push('');
  return out.join('\n');
}

export function renderJson(d: ReportData): string {
  return JSON.stringify(d, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

const esc = (s: string): string => s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Per-layer max abs diff along depth, log scale, first divergence marked: inline SVG, no scripts or fetches. */
function chart(d: ReportData): string {
  const pts = d.perLayer.filter(l => l.kind !== 'scope');
  if (!pts.length) return '';
  const W = 900, H = 260, pad = 40;
  const vals = pts.map(p => (p.maxAbsDiff > 0 && Number.isFinite(p.maxAbsDiff) ? Math.log10(p.maxAbsDiff) : -12));
  const lo = Math.min(-9, ...vals), hi = Math.max(0, ...vals);
  const x = (i: number): number => pad + (i * (W - 2 * pad)) / Math.max(1, pts.length - 1);
  const y = (v: number): number => H - pad - ((v - lo) * (H - 2 * pad)) / (hi - lo || 1);
  const line = vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, k) => Math.ceil(lo) + k)
    .map(t => `<line x1="${pad}" x2="${W - pad}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="4" y="${y(t) + 4}" font-size="10">1e${t}</text>`).join('');
  const atol = `<line x1="${pad}" x2="${W - pad}" y1="${y(Math.log10(d.atol))}" y2="${y(Math.log10(d.atol))}" stroke="#c33" stroke-dasharray="4 3"/>`;
  const marks = pts.map((p, i) => `<circle cx="${x(i)}" cy="${y(vals[i]!)}" r="${p.name === d.firstDivergence ? 6 : 2.5}" fill="${p.name === d.firstDivergence ? '#c00' : p.introducesError ? '#e80' : '#36c'}"><title>${esc(p.name)}: ${fmt(p.maxAbsDiff)}</title></circle>`).join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="per-layer max abs diff">${ticks}${atol}<polyline fill="none" stroke="#36c" stroke-width="1.5" points="${line}"/>${marks}` +
    `<text x="${W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">layer (execution order) — red dashed: atol</text></svg>`;
}

export function renderHtml(d: ReportData): string {
  const row = (cells: string[]): string => `<tr>${cells.map(c => `<td>${c}</td>`).join('')}</tr>`;
  const code = (s: string): string => `<code>${esc(s)}</code>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>msport report: ${esc(d.model)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f4f6f8}code{font-size:12px}
.pass{color:#080;font-weight:bold}.fail{color:#c00;font-weight:bold}.first{background:#fee}blockquote{color:#555;border-left:3px solid #ccc;margin:0;padding-left:1em}</style></head><body>
<h1>Migration report</h1><p>${code(d.model)} — parity <span class="${d.passed ? 'pass' : 'fail'}">${d.passed ? 'PASS' : 'FAIL'}</span>, max abs diff ${fmt(d.maxAbsDiff)} at atol=${d.atol}, rtol=${d.rtol} (seed ${d.seed}).
${d.firstDivergence ? `First divergence: <b>${esc(d.firstDivergence)}</b>.` : 'No layer diverges.'}</p>
${d.notes.map(n => `<blockquote>${esc(n)}</blockquote>`).join('')}
<h2>Error along the network</h2>${chart(d)}
<h2>Layers</h2><table><tr><th>layer</th><th>PyTorch</th><th>MindSpore</th><th>must be explicit</th></tr>
${d.layers.map(l => `<tr${l.name === d.firstDivergence ? ' class="first"' : ''}>${[code(l.name), code(l.torchCall), code(l.msCall), l.explicit.map(e => code(`${e.arg}=${show(e.value)}`)).join(' ') || '—'].map(c => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</table>
<h2>Default differences, measured on this model</h2><table><tr><th>PyTorch API</th><th>argument</th><th>PyTorch</th><th>MindSpore default</th><th>layers</th><th>consequence here</th></tr>
${d.rules.map(r => row([r.doc ? `<a href="${esc(r.doc)}">${code(r.torch)}</a>` : code(r.torch), code(r.arg), esc(show(r.torchDefault)), esc(show(r.msDefault)), String(r.layers.length), esc(measuredText(r))])).join('\n')}</table>
${d.functions.length ? `<h2>Functional ops with an API difference</h2><table><tr><th>PyTorch</th><th>MindSpore</th><th>where</th><th>difference</th></tr>
${d.functions.map(f => row([f.doc ? `<a href="${esc(f.doc)}">${code(f.torch)}</a>` : code(f.torch), code(f.ms), esc(`${f.count}× in ${f.scopes.slice(0, 3).join(', ')}${f.scopes.length > 3 ? ', …' : ''}`), esc(functionDiff(f).replace(/`/g, ''))])).join('\n')}</table>` : ''}
<h2>Parameter names</h2><table><tr><th>PyTorch state_dict</th><th>shape</th><th>MindSpore</th><th>shape</th><th>dtype</th></tr>
${d.names.map(n => (n.dropped ? row([code(n.torch), '()', '— <small>(PyTorch only: drop it)</small>', '', n.dtype])
    : row([code(n.torch) + (n.derived ? ' <small>(from the module path)</small>' : ''), esc(shape(n.torchShape)), code(n.ms), esc(shape(n.shape)), n.dtype]))).join('\n')}</table>
</body></html>
`;
}
