/**
 * PyTorch (1.13+) names nodes after the module scopes they ran in: `/layer1/layer1.0/conv1/Conv`. Each segment is a
 * module's name, and a Sequential child repeats its parent's name (`layer1.0` under `layer1`), so the relative
 * attribute name is the segment with the parent's prefix removed. The dotted join is the PyTorch module path, which
 * with auto_prefix is also the MindSpore Cell path.
 */
export interface NodeScope {
  /** Attribute names from the root, e.g. ['layer1', '0', 'conv1'] */
  path: string[];
  /** Last segment of the node name, e.g. 'Conv' or 'Relu_1' */
  leaf: string;
}

export function scopeOf(nodeName: string): NodeScope {
  if (!nodeName.startsWith('/')) return { path: [], leaf: nodeName };
  const segs = nodeName.split('/').filter(s => s.length > 0);
  const leaf = segs.pop() ?? nodeName;
  const path: string[] = [];
  let parentSeg = '';
  for (const s of segs) {
    path.push(parentSeg && s.startsWith(`${parentSeg}.`) ? s.slice(parentSeg.length + 1) : s);
    parentSeg = s;
  }
  return { path: path.map(sanitize), leaf };
}

/** A Cell attribute name may not contain '.', which would split the parameter path. */
function sanitize(seg: string): string {
  return seg.replace(/\./g, '_');
}

export const scopeName = (path: readonly string[]): string => path.join('.');
