/**
 * Streaming (`check --stream`): the graph cut into blocks at module boundaries — a model's repeated container
 * (`model.layers.0`, `model.layers.1`, … in a decoder; `layer1.0`, … in a ResNet) gives one block per child, with
 * what runs before the first child and after the last in blocks of their own. Blocks are runs of consecutive nodes
 * in the graph's order, so each block's inputs are computed by the blocks before it.
 */
import type { OnnxModel, OnnxNode } from '../onnx/proto.js';
import { nodeScope } from '../onnx/scope.js';

export interface Block {
  /** the module path of the block (`model.layers.3`), or `(before model.layers)` / `(after model.layers)` */
  name: string;
  nodes: OnnxNode[];
}

/** The container whose numbered children hold the most nodes (at least two children), as a path prefix. */
function repeatedContainer(paths: string[][]): string[] | null {
  const score = new Map<string, { children: Set<string>; nodes: number }>();
  for (const p of paths) {
    for (let d = 0; d < p.length; d++) {
      if (!/^\d+$/.test(p[d]!)) continue;
      const key = p.slice(0, d).join('.');
      const s = score.get(key) ?? score.set(key, { children: new Set(), nodes: 0 }).get(key)!;
      s.children.add(p[d]!);
      s.nodes++;
    }
  }
  let best: [string, number] | null = null;
  for (const [k, s] of score) if (s.children.size >= 2 && (!best || s.nodes > best[1])) best = [k, s.nodes];
  return best ? (best[0] ? best[0].split('.') : []) : null;
}

/**
 * The model's blocks. A model with no repeated container is one block (streaming then bounds nothing, but still
 * runs). A node outside the container between two children belongs to the block it follows.
 */
export function partitionBlocks(model: OnnxModel): Block[] {
  const g = model.graph;
  const isInit = (n: string): boolean => g.initializers.has(n);
  const paths = g.nodes.map(n => nodeScope(n, isInit).path);
  const container = repeatedContainer(paths);
  if (!container) return [{ name: '(whole model)', nodes: [...g.nodes] }];
  const prefix = container.join('.');
  const keyOf = (p: string[]): string | null => {
    if (p.length <= container.length || container.some((c, i) => p[i] !== c) || !/^\d+$/.test(p[container.length]!)) return null;
    return [...container, p[container.length]!].join('.');
  };
  const blocks: Block[] = [];
  let seen = false;
  g.nodes.forEach((n, i) => {
    const key = keyOf(paths[i]!);
    const last = blocks[blocks.length - 1];
    if (key === null) {
      // before the first child: the block before the container; after a child: with it (or the block after, below)
      if (!seen) { if (!last) blocks.push({ name: `(before ${prefix})`, nodes: [n] }); else last.nodes.push(n); return; }
      last!.nodes.push(n);
      return;
    }
    seen = true;
    if (last && last.name === key) last.nodes.push(n);
    else blocks.push({ name: key, nodes: [n] });
  });
  // what follows the last child and is not in it (the final norm, the head): a block of its own
  const lastChild = blocks[blocks.length - 1]!;
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const outside = lastChild.nodes.map(m => keyOf(paths[index.get(m)!]!) === null);
  // the first node from which every node of the last block lies outside the container
  let tailStart = outside.length;
  while (tailStart > 1 && outside[tailStart - 1]) tailStart--;
  if (tailStart === outside.length) tailStart = -1;
  if (tailStart > 0) blocks.push({ name: `(after ${prefix})`, nodes: lastChild.nodes.splice(tailStart) });
  return blocks;
}
