/** Primitive ops behind the layer Cells that the core families do not cover. */
import type { OpDef } from './registry.js';

export const layerOps: OpDef<any>[] = [];
