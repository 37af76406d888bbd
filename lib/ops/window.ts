// Sliding-window geometry shared by convolution and pooling: pairs, padding, output sizes.
import { Tensor, formatShape, sameShape, type Shape } from '../tensor';

/** A size along (height, width); a number means the same for both. */
export type Pair = number | readonly [number, number];

/** [top, bottom, left, right] zeros around the input. */
export type Pads = [number, number, number, number];

const atLeast = (v: number, min: number) => Number.isInteger(v) && v >= min;

/** [height, width] from a number or a pair of integers >= min; throws naming `name`. */
export function pair(value: Pair, name: string, min: number): [number, number] {
  const p: readonly number[] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(p) || p.length !== 2 || !atLeast(p[0], min) || !atLeast(p[1], min)) {
    throw new RangeError(`${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [p[0], p[1]];
}

/** Throws unless `t` is a Tensor of rank 4 (NCHW). */
export function expect4d(t: unknown, name: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${name} must be a Tensor`);
  if (t.rank !== 4) throw new RangeError(`${name} must be 4-D [N, C, H, W], got shape ${formatShape(t.shape)}`);
}

/** Throws unless `t` (a preallocated output or gradient) is a Tensor of exactly `shape`. */
export function expectShape(t: unknown, shape: Shape, name: string, what: string | (() => string)): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${name} must be a Tensor`);
  if (!sameShape(t.shape, shape)) {
    const why = typeof what === 'string' ? what : what();
    throw new RangeError(`${name} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} (${why})`);
  }
}

/** Throws when two tensors share memory: the kernels read one while writing the other. */
export function expectDisjoint(a: Tensor, b: Tensor, aName: string, bName: string): void {
  const x = a.data, y = b.data;
  if (x.buffer !== y.buffer) return;
  if (x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength) {
    throw new RangeError(`${aName} and ${bName} must not share memory`);
  }
}

/**
 * TensorFlow's 'same' padding along one axis: output size ceil(size / stride), the total padding
 * split with the odd one after (bottom/right). [before, after].
 */
export function samePads(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Output size along one axis: floor((size + padBefore + padAfter - dilation (kernel - 1) - 1) / stride) + 1,
 * or 0 when the dilated kernel does not fit the padded input (the caller says why).
 */
export function outputSize(size: number, kernel: number, stride: number, padBefore: number, padAfter: number,
  dilation: number): number {
  const span = dilation * (kernel - 1) + 1;
  const padded = size + padBefore + padAfter;
  if (span > padded) return 0;
  return Math.floor((padded - span) / stride) + 1;
}

/** Whether every size of `shape` is a positive integer (a loop: shape checks run on every call). */
export function positiveSizes(shape: Shape): boolean {
  for (const d of shape) if (!Number.isInteger(d) || d < 1) return false;
  return true;
}

/** Throws unless every size of `shape` is a positive integer. */
export function expectPositiveSizes(shape: Shape, name: string): void {
  if (!positiveSizes(shape)) {
    throw new RangeError(`${name} has shape ${formatShape(shape)}: every size must be a positive integer`);
  }
}
