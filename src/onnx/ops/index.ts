import type { OnnxOpHandler, BuildCtx, Built } from '../handler.js';
import { nnHandlers } from './nn.js';
import { elementwiseHandlers } from './elementwise.js';
import { shapeHandlers } from './shape.js';
import { rnnHandlers } from './rnn.js';
import { spatialHandlers } from './spatial.js';
import { recentHandlers } from './recent.js';
import { controlHandlers } from './control.js';

/** Every ONNX op msport imports, keyed by op type (default domain); listed once, duplicates throw. */
const handlers = new Map<string, OnnxOpHandler>();
for (const h of [...nnHandlers, ...elementwiseHandlers, ...shapeHandlers, ...rnnHandlers, ...spatialHandlers, ...recentHandlers, ...controlHandlers]) {
  if (handlers.has(h.opType)) throw new Error(`ONNX handler ${h.opType} registered twice`);
  handlers.set(h.opType, h);
}

/** The builder for `opType` at `opset`: the newest version not newer than the model's opset. */
export function selectHandler(domain: string, opType: string, opset: number): ((ctx: BuildCtx) => Built) | null {
  if (domain !== '') return null;
  const h = handlers.get(opType);
  if (!h) return null;
  const since = Object.keys(h.versions).map(Number).filter(v => v <= opset).sort((a, b) => b - a)[0];
  return since === undefined ? null : h.versions[since]!;
}

export function supportedOpTypes(): string[] {
  return [...handlers.keys()].sort();
}
