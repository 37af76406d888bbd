export { Tensor, tensor, zeros, full, shapeSize, formatShape } from './tensor';
export type { Shape } from './tensor';
export { info, setNumThreads, getNumThreads, setIsa } from './runtime';
export type { Info, Isa } from './runtime';
export { Parameter, parameter } from './parameter';
export type { Penalty } from './parameter';
export * as ops from './ops';
