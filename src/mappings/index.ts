import type { MappingRule } from './types.js';
import { nnRules } from './nn.js';
import { functionalRules } from './functional.js';

export type { MappingRule, ArgRename, DefaultDifference, DifferenceEffect, ParamRename } from './types.js';

/** Every mapping rule, keyed by torch name. */
export const allRules: readonly MappingRule[] = [...nnRules, ...functionalRules];

export type TorchApi = (typeof nnRules)[number]['torch'] | (typeof functionalRules)[number]['torch'];

const byTorch = new Map<string, MappingRule>();
for (const r of allRules) {
  if (byTorch.has(r.torch)) throw new Error(`mapping for ${r.torch} listed twice`);
  byTorch.set(r.torch, r);
}

/**
 * The rule's PyTorch API for a module class as torch 2.9+ exports record it in class_hierarchy
 * (`torch.nn.modules.pooling.AdaptiveMaxPool2d` → `torch.nn.AdaptiveMaxPool2d`): how the importer chooses a Cell from
 * what the module was, whatever ops it became. Undefined for a class with no rule (a user's own, a container).
 */
export function torchApiOfClass(cls: string | undefined): TorchApi | undefined {
  const m = cls ? /^torch\.nn\.modules\.\w+\.(\w+)$/.exec(cls) : null;
  return m && byTorch.get(`torch.nn.${m[1]}`)?.kind === 'cell' ? (`torch.nn.${m[1]}` as TorchApi) : undefined;
}

export function rule(torch: TorchApi): MappingRule {
  return byTorch.get(torch)!;
}

/**
 * The rule for a name typed by a user: the full torch name, or a unique dotted suffix (`Conv2d`, `nn.Conv2d`,
 * `functional.pad`). Undefined when nothing or more than one rule matches.
 */
export function findRule(name: string): MappingRule | undefined {
  const exact = byTorch.get(name);
  if (exact) return exact;
  const hits = allRules.filter(r => r.torch.endsWith(`.${name}`));
  return hits.length === 1 ? hits[0] : undefined;
}

/** MindSpore name of a PyTorch parameter under a rule (`weight` → `gamma` for BatchNorm2d); unchanged when not renamed. */
export function msParamName(torch: TorchApi, torchParam: string): string {
  return rule(torch).params?.find(p => p.torch === torchParam)?.ms ?? torchParam;
}
