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

/**
 * The error along the network, readable at a glance: per layer (x, execution order) the max abs diff on a log y axis
 * — chained (what a port computes, the line) and the layer's own on the reference's inputs (dots) — with the
 * tolerance and each layer's float-noise allowance (NOISE_FACTOR × floor) drawn, differences of exactly 0 on a band
 * of their own below the axis, every point named on hover, and the first divergence labelled. Inline SVG: no scripts,
 * no fetches.
 */
function chart(d: ReportData): string {
  const pts = d.perLayer.filter(l => l.kind !== 'scope');
  if (!pts.length) return '';
  const W = 960, H = 340, L = 78, R = 24, T = 34, B = 74, zeroBand = 22;
  const logs = pts.flatMap(p => [p.maxAbsDiff, p.local ?? 0, p.noiseFloor ? p.noiseFloor * d.noiseFactor : 0]).filter(v => v > 0 && Number.isFinite(v)).map(Math.log10);
  const lo = Math.floor(Math.min(Math.log10(d.atol) - 1, ...logs)), hi = Math.ceil(Math.max(Math.log10(d.atol) + 1, ...logs));
  const plotBottom = H - B - zeroBand;
  const x = (i: number): number => L + (pts.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (pts.length - 1));
  /** a value's height: log scale above, exactly 0 on the zero band, ∞/NaN at the top */
  const y = (v: number): number => (v === 0 ? H - B - zeroBand / 2 : !Number.isFinite(v) ? T : plotBottom - ((Math.log10(v) - lo) * (plotBottom - T)) / (hi - lo || 1));
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  const ticks = Array.from({ length: Math.floor((hi - lo) / step) + 1 }, (_, k) => lo + k * step).map(t =>
    `<line x1="${L}" x2="${W - R}" y1="${y(10 ** t).toFixed(1)}" y2="${y(10 ** t).toFixed(1)}" stroke="#e6e6e6"/><text x="${L - 6}" y="${(y(10 ** t) + 4).toFixed(1)}" font-size="11" text-anchor="end">1e${t}</text>`).join('');
  const zero = `<rect x="${L}" y="${plotBottom}" width="${W - L - R}" height="${zeroBand}" fill="#f6f6f6"/><text x="${L - 6}" y="${(y(0) + 4).toFixed(1)}" font-size="11" text-anchor="end">0 (exact)</text>`;
  const ya = (H - B + T) / 2;
  const axes = `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#888"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#888"/>` +
    `<text class="axis-label" x="16" y="${ya}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${ya})">max abs diff (log scale)</text>` +
    `<text class="axis-label" x="${(L + W - R) / 2}" y="${H - B + 36}" font-size="12" text-anchor="middle">layer, in execution order (${pts.length} layers; hover a point for its name)</text>` +
    [0, pts.length - 1].filter((v, i, a) => a.indexOf(v) === i).map(i => `<text x="${x(i)}" y="${H - B + 16}" font-size="10" text-anchor="middle">${i + 1}</text>`).join('');
  const atolY = y(d.atol);
  const atol = `<line class="atol" x1="${L}" x2="${W - R}" y1="${atolY.toFixed(1)}" y2="${atolY.toFixed(1)}" stroke="#c33" stroke-dasharray="6 4"/>` +
    `<text x="${W - R - 4}" y="${(atolY - 5).toFixed(1)}" font-size="11" fill="#c33" text-anchor="end">tolerance atol=${d.atol}</text>`;
  // each layer's allowance for its own float noise: a grey step where the layer has a non-zero floor
  const floorPts = pts.map((p, i) => (p.noiseFloor && p.noiseFloor > 0 ? `${x(i).toFixed(1)},${y(p.noiseFloor * d.noiseFactor).toFixed(1)}` : null));
  const floorRuns: string[][] = [[]];
  for (const f of floorPts) { if (f) floorRuns[floorRuns.length - 1]!.push(f); else if (floorRuns[floorRuns.length - 1]!.length) floorRuns.push([]); }
  const floor = floorRuns.filter(r => r.length).map(r => r.length === 1 ? `<circle class="floor" cx="${r[0]!.split(',')[0]}" cy="${r[0]!.split(',')[1]}" r="2" fill="#999"/>`
    : `<polyline class="floor" fill="none" stroke="#999" stroke-width="1.2" stroke-dasharray="2 2" points="${r.join(' ')}"/>`).join('');
  const line = pts.map((p, i) => `${x(i).toFixed(1)},${y(p.maxAbsDiff).toFixed(1)}`).join(' ');
  const title = (p: ReportData['perLayer'][number]): string => `${p.name} (${p.api.replace(/^mindspore\./, '')}): max abs diff ${fmt(p.maxAbsDiff)}` +
    `${p.local !== null ? `, on the reference's inputs ${fmt(p.local)}` : ''}${p.noiseFloor !== null ? `, noise floor ${fmt(p.noiseFloor)}` : ''}${p.name === d.firstDivergence ? ' — first divergence' : p.introducesError ? ' — introduces error' : ''}`;
  const marks = pts.map((p, i) => {
    const first = p.name === d.firstDivergence;
    const own = p.local !== null ? `<circle class="local" cx="${x(i).toFixed(1)}" cy="${y(p.local).toFixed(1)}" r="2" fill="#e80"/>` : '';
    return `<g class="layer" data-name="${esc(p.name)}"><title>${esc(title(p))}</title>${own}<circle class="chained${p.maxAbsDiff === 0 ? ' zero' : ''}" cx="${x(i).toFixed(1)}" cy="${y(p.maxAbsDiff).toFixed(1)}" r="${first ? 6 : 3}" fill="${first ? '#c00' : p.maxAbsDiff === 0 ? '#fff' : p.introducesError ? '#e80' : '#36c'}" stroke="${first ? '#c00' : '#36c'}"/></g>`;
  }).join('');
  const fi = pts.findIndex(p => p.name === d.firstDivergence);
  const label = fi >= 0 ? (() => {
    const fx = x(fi), fy = y(pts[fi]!.maxAbsDiff), right = fx < W / 2;
    return `<text class="first-divergence" x="${(fx + (right ? 10 : -10)).toFixed(1)}" y="${Math.max(T + 12, fy - 10).toFixed(1)}" font-size="12" font-weight="bold" fill="#c00" text-anchor="${right ? 'start' : 'end'}">first divergence: ${esc(pts[fi]!.name)}</text>`;
  })() : '';
  const legendY = H - 18;
  const legend = `<g class="legend" font-size="11"><line x1="${L}" x2="${L + 22}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#36c" stroke-width="1.5"/><text x="${L + 28}" y="${legendY}">max abs diff (chained, what a port computes)</text>` +
    `<circle cx="${L + 318}" cy="${legendY - 4}" r="2.5" fill="#e80"/><text x="${L + 326}" y="${legendY}">the layer's own (on the reference's inputs)</text>` +
    `<line x1="${L + 588}" x2="${L + 610}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#999" stroke-dasharray="2 2"/><text x="${L + 616}" y="${legendY}">${d.noiseFactor}× float32 noise floor</text></g>`;
  return `<svg class="error-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="max abs diff per layer, log scale, with the tolerance and noise floor">` +
    `${zero}${ticks}${axes}${atol}${floor}<polyline fill="none" stroke="#36c" stroke-width="1.5" points="${line}"/>${marks}${label}${legend}</svg>`;
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
