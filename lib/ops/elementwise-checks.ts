// Argument checks shared by the element-wise, activation, loss, dropout and batch-norm ops:
// errors name the op, the argument and both shapes.
import { Tensor, formatShape, sameShape, type Shape } from '../tensor';

export function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor`);
}

/** RangeError unless t has `shape`; `expected` says where that shape comes from (e.g. "the shape of x"). */
export function checkShape(op: string, name: string, t: Tensor, shape: Shape, expected: string): void {
  checkTensor(op, name, t);
  if (!sameShape(t.shape, shape)) {
    throw new RangeError(`${op}: ${name} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} (${expected})`);
  }
}

/** `out` checked to have `shape`, or a new zero tensor of that shape. */
export function output(op: string, name: string, out: Tensor | undefined, shape: Shape, expected: string): Tensor {
  if (out === undefined) return new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  checkShape(op, name, out, shape, expected);
  return out;
}

export function checkRank(op: string, name: string, t: Tensor, min: number, what: string): void {
  checkTensor(op, name, t);
  if (t.rank < min) throw new RangeError(`${op}: ${name} has shape ${formatShape(t.shape)}, expected ${what}`);
}
