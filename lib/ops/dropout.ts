// Inverted dropout with a counter-based mask: element i is kept iff a hash of (seed, i) maps to
// u >= rate, so a seed gives the same mask whatever the thread count.
import { binding } from '../native';
import type { Tensor } from '../tensor';
import { checkTensor, output } from './elementwise-checks';

const nativeForward = binding<(rate: number, seed: number, x: Float32Array, y: Float32Array,
  mask: Uint8Array) => void>('dropoutForward');
const nativeBackward = binding<(rate: number, dy: Float32Array, mask: Uint8Array, dx: Float32Array) => void>(
  'dropoutBackward');

export interface DropoutResult {
  y: Tensor;
  /** 1 where the element was kept, 0 where it was dropped. */
  mask: Uint8Array;
}

function checkRate(op: string, rate: number): void {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new RangeError(`${op}: rate must be in [0, 1), got ${rate}`);
}

function checkMask(op: string, mask: Uint8Array, size: number, what: string): void {
  if (!(mask instanceof Uint8Array)) throw new TypeError(`${op}: mask must be a Uint8Array`);
  if (mask.length !== size) throw new RangeError(`${op}: mask has ${mask.length} elements, expected ${size} (${what})`);
}

/**
 * y = x mask / (1 - rate), mask[i] = 1 with probability 1 - rate, drawn from (seed, i) alone.
 * rate 0 is the identity. `seed` is an integer in [0, 2^53). Preallocated `out` and `mask` are
 * optional.
 */
export function dropout(x: Tensor, rate: number, seed: number,
  opts: { out?: Tensor; mask?: Uint8Array } = {}): DropoutResult {
  checkTensor('dropout', 'x', x);
  checkRate('dropout', rate);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`dropout: seed must be an integer in [0, 2^53), got ${seed}`);
  const y = output('dropout', 'out', opts.out, x.shape, 'the shape of x');
  const mask = opts.mask ?? new Uint8Array(x.size);
  checkMask('dropout', mask, x.size, 'the size of x');
  nativeForward(rate, seed, x.data, y.data, mask);
  return { y, mask };
}

/** dx = dy mask / (1 - rate), with the mask and rate of the forward pass. */
export function dropoutBackward(dy: Tensor, mask: Uint8Array, rate: number, dx?: Tensor): Tensor {
  checkTensor('dropoutBackward', 'dy', dy);
  checkRate('dropoutBackward', rate);
  checkMask('dropoutBackward', mask, dy.size, 'the size of dy');
  const result = output('dropoutBackward', 'dx', dx, dy.shape, 'the shape of dy');
  nativeBackward(rate, dy.data, mask, result.data);
  return result;
}
