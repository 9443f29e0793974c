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

/**
 * torch 2.9+'s exporter (dynamo) names nodes `node_Conv_23`; the module path is in the node's metadata:
 * `pkg.torch.onnx.name_scopes` = "['', 'layer1', 'layer1.1', '<fx node>']" (cumulative dotted paths from the root,
 * the FX node last). A node without that metadata falls back to its name (TorchScript exporter).
 *
 * A parameterised node's weight initializer carries its state_dict name (`layer1.0.weight`), which names the module
 * that owns the weight: the onnxscript optimizer folds a BatchNorm into the Conv before it and the fused Conv keeps
 * the BatchNorm's scope (`layer1.1`), so the weight's owner (`layer1.0`) wins, and `foldedFrom` names the scope the
 * metadata gave.
 */
export interface MetadataScope extends NodeScope {
  foldedFrom?: string; classes?: string[];
  /**
   * the path was read from the node's weight name (a TorchScript export without scoped node names, or a child module's
   * weight used in its parent's scope); `scopePath` is where the node ran, if the owner is taken by another node
   */
  weightOwner?: boolean;
  scopePath?: string[];
}

/**
 * A state_dict key as PyTorch writes it (`layer1.0.conv1.weight`, `0.weight`, `cls_token`), not a name the exporter
 * made: `onnx::Conv_193` and `1110` (TorchScript), `val_12` and the `<conv>.weight_bias` of a folded BatchNorm (torch 2.9+).
 */
export const isStateDictKey = (name: string): boolean =>
  (/^\w+(\.\w+)+$/.test(name) || /^[A-Za-z_]\w*$/.test(name)) && !/^_?val_\d+$/.test(name) && !name.endsWith('.weight_bias');

/** The one state_dict tensor an optimizer-made initializer was folded from (torch 2.9+'s `folded_from`), if it is one. */
export function foldedSource(g: { foldedFrom: ReadonlyMap<string, string[]> }, init: string): string | undefined {
  const from = g.foldedFrom.get(init);
  return from?.length === 1 ? from[0] : undefined;
}

/**
 * torch ≤ 1.12's TorchScript exporter names nodes `Conv_12`, with no module path; the weight initializer still has
 * its state_dict name (`model.encoder.3.0.dw_conv.0.weight`), which names the module that owns it. Gather reads its
 * table first (an Embedding), every other parameterised op second.
 */
const STATE_DICT_WEIGHT = /^[A-Za-z_]\w*(?:\.\w+)*\.weight$/;
function weightOwnerOf(node: { opType?: string; inputs: string[] }, isInitializer: (name: string) => boolean): string | undefined {
  const w = node.inputs[node.opType === 'Gather' ? 0 : 1];
  return w && isInitializer(w) && STATE_DICT_WEIGHT.test(w) ? w.slice(0, -'.weight'.length) : undefined;
}

export function nodeScope(node: { name: string; opType?: string; inputs: string[]; metadata?: Map<string, string> }, isInitializer: (name: string) => boolean): MetadataScope {
  const raw = node.metadata?.get('pkg.torch.onnx.name_scopes');
  if (raw === undefined) {
    const s = scopeOf(node.name);
    const owner = weightOwnerOf(node, isInitializer);
    if (owner && !s.path.length) return { path: owner.split('.'), leaf: s.leaf, weightOwner: true };
    // a child's weight used in its parent's scope (see below): the TorchScript exporter names the node the same way
    if (owner && owner.startsWith(`${s.path.join('.')}.`)) return { path: owner.split('.'), leaf: s.leaf, weightOwner: true, scopePath: s.path };
    return s;
  }
  const scopes = pyStrings(raw);
  const leaf = scopes.pop() ?? node.name;
  const module = scopes.length > 0 ? scopes[scopes.length - 1]! : '';
  const classes = moduleClasses(node);
  // only for a BatchNorm scope (torch's BatchNorm2d, or a subclass such as timm's BatchNormAct2d): the optimizer also
  // merges equal initializers, so elsewhere a weight's name may be another module's (every untrained LayerNorm shares
  // one all-ones weight)
  const w = node.inputs[1];
  const scopeClass = classes?.[classes.length - 1] ?? '';
  const here = { path: module ? module.split('.') : [], leaf, ...(classes ? { classes } : {}) };
  if (w && isInitializer(w) && w.endsWith('.weight') && /batchnorm/i.test(scopeClass.split('.').pop() ?? '')) {
    const owner = w.slice(0, -'.weight'.length);
    if (owner !== module) return { ...here, path: owner.split('.'), foldedFrom: module };
  }
  // a module that calls a child's weight functionally (nn.MultiheadAttention's F.linear on out_proj.weight): the node
  // ran in the parent's scope, the weight names the child, which is the Cell a port holds
  const owner = weightOwnerOf(node, isInitializer);
  if (owner && module && owner.startsWith(`${module}.`)) return { ...here, path: owner.split('.'), weightOwner: true, scopePath: here.path };
  return here;
}

/**
 * `pkg.torch.onnx.class_hierarchy` of a torch 2.9+ node: the module classes from the root to the innermost module
 * (the FX node's target, last in the metadata, dropped); undefined without the metadata.
 */
export function moduleClasses(node: { metadata?: Map<string, string> }): string[] | undefined {
  const raw = node.metadata?.get('pkg.torch.onnx.class_hierarchy');
  return raw === undefined ? undefined : pyStrings(raw).slice(0, -1);
}

/** The class of the innermost module a torch 2.9+ node ran in (`torch.nn.modules.linear.Linear`), if recorded. */
export const moduleClassOf = (node: { metadata?: Map<string, string> }): string | undefined => moduleClasses(node)?.at(-1);

/** The strings of a Python list repr of str: "['', 'a.b', \"it's\"]". */
export function pyStrings(repr: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(repr); m; m = re.exec(repr)) out.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
  return out;
}

/**
 * The module path and class of each scope a torch 2.9+ node ran in, root ('') first: name_scopes and class_hierarchy
 * are parallel lists, the FX node last in both.
 */
export function scopeClasses(node: { metadata?: Map<string, string> }): [path: string, cls: string][] {
  const scopes = node.metadata?.get('pkg.torch.onnx.name_scopes'), classes = moduleClasses(node);
  if (scopes === undefined || !classes) return [];
  const paths = pyStrings(scopes).slice(0, -1);
  return paths.length === classes.length ? paths.map((p, i) => [p, classes[i]!]) : [];
}
