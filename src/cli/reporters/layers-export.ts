/** Per-layer results as files other tools read: CSV rows, and node data for graph viewers. */
import type { LayerReport } from '../../compare/layers.js';

/** The CSV columns, documented in the README. */
export const LAYER_CSV_COLUMNS = ['name', 'kind', 'ms_api', 'torch_api', 'onnx_node', 'shape', 'max_abs_diff', 'max_rel_diff', 'mismatches', 'passed',
  'local_max_abs_diff', 'noise_floor', 'noise_ratio', 'verdict', 'ms'] as const;

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function layersCsv(rep: LayerReport): string {
  const rows = rep.layers.map(l => [
    l.name, l.kind, l.api, l.torchApi, l.node, l.shape.join('x'), l.maxAbsDiff, l.maxRelDiff, l.mismatches, l.passed,
    l.local?.maxAbsDiff ?? null, l.noiseFloor, l.noiseRatio,
    l.introducesError ? 'diverges' : l.withinNoise ? 'noise' : l.passed ? 'pass' : 'inherited', l.ms.toFixed(3),
  ].map(csvCell).join(','));
  return [LAYER_CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/**
 * Model Explorer node data: `{ <graph id>: { results: { <node id>: { value } }, gradient } }`, keyed by ONNX node
 * name, value = the layer's max abs diff on reference inputs (what it introduces), so the graph lights up where
 * parity breaks rather than everywhere downstream.
 */
export function layersNodeData(rep: LayerReport, graphId: string): string {
  const results: Record<string, { value: number }> = {};
  for (const l of rep.layers) if (l.node && l.local) results[l.node] = { value: Number.isFinite(l.local.maxAbsDiff) ? l.local.maxAbsDiff : Number.MAX_VALUE };
  return JSON.stringify({
    [graphId]: {
      results,
      gradient: [{ stop: 0, bgColor: '#ffffff' }, { stop: 0.5, bgColor: '#ffd27f' }, { stop: 1, bgColor: '#d7191c' }],
    },
  }, null, 1) + '\n';
}
