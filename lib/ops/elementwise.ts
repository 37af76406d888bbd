// Bias add and its gradient, scaled sums, and concatenation/split along an axis.
import { binding } from '../native';
import { Tensor, formatShape, type Shape } from '../tensor';
import { checkRank, checkShape, checkTensor, output } from './elementwise-checks';

const nativeBiasAdd = binding<(N: number, C: number, S: number, x: Float32Array, b: Float32Array,
  y: Float32Array) => void>('biasAdd');
const nativeBiasGrad = binding<(N: number, C: number, S: number, dy: Float32Array, db: Float32Array) => void>('biasGrad');
const nativeAddScaled = binding<(alpha: number, a: Float32Array, beta: number, b: Float32Array,
  y: Float32Array) => void>('addScaled');
const nativeConcat = binding<(outer: number, parts: Float32Array[], widths: number[], out: Float32Array) => void>(
  'concatRows');
const nativeSplit = binding<(outer: number, x: Float32Array, widths: number[], parts: Float32Array[]) => void>(
  'splitRows');

const product = (dims: Shape): number => dims.reduce((a, b) => a * b, 1);

/** x viewed as [N, C, S] with C = x.shape[1] and S the product of the remaining axes. */
function channelView(op: string, name: string, x: Tensor): [number, number, number] {
  checkRank(op, name, x, 2, '[N, C, ...]');
  return [x.shape[0], x.shape[1], product(x.shape.slice(2))];
}

/**
 * y = x + b[c] over the channel axis 1 of x [N, C, ...] ([N, F] for dense layers). Writes into
 * `out`, which defaults to x itself (in place).
 */
export function biasAdd(x: Tensor, b: Tensor, out: Tensor = x): Tensor {
  const [N, C, S] = channelView('biasAdd', 'x', x);
  checkShape('biasAdd', 'b', b, [C], 'the channels of x');
  checkShape('biasAdd', 'out', out, x.shape, 'the shape of x');
  if (x.size > 0) nativeBiasAdd(N, C, S, x.data, b.data, out.data);
  return out;
}

/** db += sum of dy over every axis but 1 (dy [N, C, ...]); a new [C] tensor when db is omitted. */
export function biasGrad(dy: Tensor, db?: Tensor): Tensor {
  const [N, C, S] = channelView('biasGrad', 'dy', dy);
  const grad = output('biasGrad', 'db', db, [C], 'the channels of dy');
  if (dy.size > 0) nativeBiasGrad(N, C, S, dy.data, grad.data);
  return grad;
}

function addScaled(op: string, alpha: number, a: Tensor, beta: number, b: Tensor, out?: Tensor): Tensor {
  const y = output(op, 'out', out, a.shape, 'the shape of a');
  if (a.size > 0) nativeAddScaled(alpha, a.data, beta, b.data, y.data);
  return y;
}

/** a + b (same shapes). */
export function add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  checkTensor('add', 'a', a);
  checkShape('add', 'b', b, a.shape, 'the shape of a');
  return addScaled('add', 1, a, 1, b, out);
}

/** alpha x. */
export function scale(x: Tensor, alpha: number, out?: Tensor): Tensor {
  checkTensor('scale', 'x', x);
  if (!Number.isFinite(alpha)) throw new RangeError(`scale: alpha must be finite, got ${alpha}`);
  return addScaled('scale', alpha, x, 0, x, out);
}

/** Sets every element of t to value; returns t. */
export function fill(t: Tensor, value: number): Tensor {
  checkTensor('fill', 't', t);
  t.data.fill(value);
  return t;
}

function normaliseAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: axis ${axis} is outside [${-rank}, ${rank - 1}] for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Concatenation along `axis` (default 1: channels of NCHW, as Inception joins its branches).
 * All tensors must agree on every other axis.
 */
export function concat(tensors: readonly Tensor[], axis = 1, out?: Tensor): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new RangeError('concat: tensors must be a non-empty array');
  tensors.forEach((t, i) => checkTensor('concat', `tensors[${i}]`, t));
  const first = tensors[0];
  const ax = normaliseAxis('concat', axis, first.rank);
  tensors.forEach((t, i) => {
    const ok = t.rank === first.rank && t.shape.every((d, j) => j === ax || d === first.shape[j]);
    if (!ok) {
      throw new RangeError(`concat: tensors[${i}] has shape ${formatShape(t.shape)}, which does not match tensors[0] ` +
        `${formatShape(first.shape)} on every axis but ${ax}`);
    }
  });
  const shape = first.shape.map((d, j) => (j === ax ? tensors.reduce((s, t) => s + t.shape[ax], 0) : d));
  const y = output('concat', 'out', out, shape, 'the concatenated shape');
  copyParts('concat', y, tensors, ax);
  return y;
}

/**
 * Splits t along `axis` (default 1) into pieces of `sizes` (summing to t.shape[axis]): the
 * inverse, and the backward pass, of concat. `outs` may hold preallocated pieces.
 */
export function split(t: Tensor, sizes: readonly number[], axis = 1, outs?: readonly Tensor[]): Tensor[] {
  checkTensor('split', 't', t);
  const ax = normaliseAxis('split', axis, t.rank);
  if (!Array.isArray(sizes as unknown) || sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError('split: sizes must be a non-empty array of non-negative integers');
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== t.shape[ax]) {
    throw new RangeError(`split: sizes [${sizes.join(', ')}] sum to ${total}, expected t.shape[${ax}] = ${t.shape[ax]} ` +
      `(t ${formatShape(t.shape)})`);
  }
  if (outs !== undefined && outs.length !== sizes.length) {
    throw new RangeError(`split: outs has ${outs.length} tensors, expected ${sizes.length} (one per size)`);
  }
  const pieces = sizes.map((s, i) => output('split', `outs[${i}]`, outs?.[i],
    t.shape.map((d, j) => (j === ax ? s : d)), `size ${s} along axis ${ax}`));
  copyParts('split', t, pieces, ax);
  return pieces;
}

// Copies between `whole` and its `parts` along axis ax (concat: parts -> whole; split: whole -> parts).
function copyParts(op: 'concat' | 'split', whole: Tensor, parts: readonly Tensor[], ax: number): void {
  const outer = product(whole.shape.slice(0, ax));
  const inner = product(whole.shape.slice(ax + 1));
  const nonEmpty = parts.filter((p) => p.shape[ax] > 0);
  if (outer === 0 || inner === 0 || nonEmpty.length === 0) return;
  const widths = nonEmpty.map((p) => p.shape[ax] * inner);
  const data = nonEmpty.map((p) => p.data);
  if (op === 'concat') nativeConcat(outer, data, widths, whole.data);
  else nativeSplit(outer, whole.data, widths, data);
}
