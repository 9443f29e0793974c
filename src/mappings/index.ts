import type { MappingRule } from './types.js';
import { nnRules } from './nn.js';
import { functionalRules } from './functional.js';

export type { MappingRule, ArgRename, DefaultDifference, ParamRename } from './types.js';

/** Every mapping rule, keyed by torch name. */
export const allRules: readonly MappingRule[] = [...nnRules, ...functionalRules];

export type TorchApi = (typeof nnRules)[number]['torch'] | (typeof functionalRules)[number]['torch'];

const byTorch = new Map<string, MappingRule>();
for (const r of allRules) {
  if (byTorch.has(r.torch)) throw new Error(`mapping for ${r.torch} listed twice`);
  byTorch.set(r.torch, r);
}

export function rule(torch: TorchApi): MappingRule {
  return byTorch.get(torch)!;
}

/** MindSpore name of a PyTorch parameter under a rule (`weight` → `gamma` for BatchNorm2d); unchanged when not renamed. */
export function msParamName(torch: TorchApi, torchParam: string): string {
  return rule(torch).params?.find(p => p.torch === torchParam)?.ms ?? torchParam;
}
