/**
 * PyTorch (1.13+) names nodes after the module scopes they ran in: `/layer1/layer1.0/conv1/Conv`. Each segment is a
 * module's name relative to the enclosing scope, and a Sequential child repeats its parent's name (`layer1.0` under
 * `layer1`); a ModuleList child is written as `layers.0`. The dotted join is the PyTorch module path (the
 * state_dict prefix), which with auto_prefix is also the MindSpore Cell path.
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
    // `layer1.0` under `layer1` is child `0`; `layers.0` under `encoder` is the two steps `layers` → `0`
    const rel = parentSeg && s.startsWith(`${parentSeg}.`) ? s.slice(parentSeg.length + 1) : s;
    path.push(...rel.split('.').filter(p => p.length > 0));
    parentSeg = s;
  }
  return { path, leaf };
}

export const scopeName = (path: readonly string[]): string => path.join('.');
