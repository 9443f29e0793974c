import { registerOps } from './registry.js';
import { elementwiseOps } from './elementwise.js';
import { linalgOps } from './linalg.js';
import { convOps } from './conv.js';
import { poolOps } from './pool.js';
import { normOps } from './norm.js';
import { reduceOps } from './reduce.js';
import { movementOps } from './movement.js';
import { layerOps } from './layers.js';
import { resizeOps } from './resize.js';
import { indexingOps } from './indexing.js';

/** The one list every runtime op is registered from; a name registered twice throws. */
export const allOps = [...elementwiseOps, ...linalgOps, ...convOps, ...poolOps, ...normOps, ...reduceOps, ...movementOps, ...layerOps, ...resizeOps, ...indexingOps];
registerOps(allOps);

export { getOp, registeredOps } from './registry.js';
export type { OpDef, Attrs } from './registry.js';
