export { Conv1d, Conv2d, samePadding } from './conv.js';
export type { ConvOptions, PadMode } from './conv.js';
export { Dense } from './dense.js';
export { BatchNorm1d, BatchNorm2d } from './norm.js';
export type { BatchNormOptions } from './norm.js';
export { ReLU, ReLU6, Sigmoid, Tanh, HSigmoid, HSwish, SiLU, LeakyReLU, ELU, GELU, Softmax, LogSoftmax, PReLU } from './activation.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d } from './pool.js';
export { SequentialCell, CellList, Flatten, Identity, Dropout } from './container.js';
export { Cell } from '../cell.js';
