// The symbolic tensors of the functional API: a per-sample shape and the layer that produced it.
// `input(shape)` starts a graph, `layer.apply(x)` extends it, `model({inputs, outputs})` closes it.
import { formatShape, shapeSize, type Shape } from './tensor';
import type { Layer } from './layers/layer';

/** Largest number of elements per sample an activation may have (also bounds loaded configs). */
export const MAX_SAMPLE_SIZE = 2 ** 31 - 1;

export class SymbolicTensor {
  /** Shape of one sample (no batch dimension), e.g. [C, H, W]. */
  readonly shape: Shape;
  /** The layer that computes this tensor; null for a model input. */
  readonly layer: Layer | null;
  readonly inputs: readonly SymbolicTensor[];
  readonly name: string;

  constructor(shape: Shape, layer: Layer | null, inputs: readonly SymbolicTensor[], name: string) {
    checkSampleShape(shape, name);
    this.shape = Object.freeze([...shape]);
    this.layer = layer;
    this.inputs = inputs;
    this.name = name;
  }

  toString(): string {
    return `SymbolicTensor '${this.name}' ${formatShape(this.shape)}`;
  }
}

/** Throws unless `shape` is a non-empty list of positive integers of a sane total size. */
export function checkSampleShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8) {
    throw new RangeError(`${what}: a sample shape must be an array of 1 to 8 dimensions, got ${JSON.stringify(shape)}`);
  }
  if (shape.some((d) => !Number.isInteger(d) || d < 1) || shapeSize(shape, what) > MAX_SAMPLE_SIZE) {
    throw new RangeError(`${what}: sample shape ${formatShape(shape)} must hold positive integers with at most ${MAX_SAMPLE_SIZE} elements`);
  }
}

/** Throws unless `name` is usable as a layer or input name (and in '<layer>/<weight>' names). */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !/^[\w.-]{1,128}$/.test(name)) {
    throw new TypeError(`${what} must be 1-128 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)?.slice(0, 140)}`);
  }
  return name;
}

let inputCount = 0;

/** A model input of per-sample shape `shape` (e.g. [C, H, W]; the batch dimension is implicit). */
export function input(shape: Shape, { name }: { name?: string } = {}): SymbolicTensor {
  const auto = () => (inputCount++ === 0 ? 'input' : `input_${inputCount - 1}`);
  return new SymbolicTensor(shape, null, [], name === undefined ? auto() : checkName(name, 'input name'));
}
