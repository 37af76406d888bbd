// Samples for training: inputs are a tensor [N, ...]; targets are class labels (Int32Array [N])
// or a tensor [N, ...] (one-hot rows, regression values). Batches are gathered rows.
import type { Targets } from '../losses';
import { Tensor, formatShape } from '../tensor';

export type { Targets };

export interface Dataset {
  x: Tensor;
  y: Targets;
}

export function numSamples(data: Tensor | Targets): number {
  return data instanceof Tensor ? (data.shape[0] ?? 0) : data.length;
}

/** Elements per sample: the product of the shape after the batch axis. */
export function rowSize(data: Tensor | Targets): number {
  if (!(data instanceof Tensor)) return 1;
  const n = data.shape[0];
  return n ? data.size / n : data.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Checks x is [N, ...] and y has N samples; `what` names the call in the errors. */
export function checkDataset(x: unknown, y: unknown, what: string): Dataset {
  if (!(x instanceof Tensor)) throw new TypeError(`${what}: x must be a Tensor [N, ...]`);
  if (x.rank < 2) throw new RangeError(`${what}: x must be [N, ...] with a batch axis, got ${formatShape(x.shape)}`);
  if (!(y instanceof Tensor) && !(y instanceof Int32Array)) {
    throw new TypeError(`${what}: y must be an Int32Array of labels or a Tensor [N, ...]`);
  }
  if (numSamples(y) !== numSamples(x)) {
    const yShape = y instanceof Tensor ? formatShape(y.shape) : `[${y.length}] labels`;
    throw new RangeError(`${what}: x ${formatShape(x.shape)} and y ${yShape} differ in sample count`);
  }
  return { x, y };
}

/** Rows order[start..end) of `data`, copied into `out` when given (sized for end - start rows). */
export function gatherRows<T extends Tensor | Targets>(data: T, order: Int32Array, start: number, end: number, out?: T): T {
  const count = end - start;
  if (!(data instanceof Tensor)) {
    const labels = (out as Int32Array | undefined) ?? new Int32Array(count);
    for (let i = 0; i < count; i++) labels[i] = (data as Int32Array)[order[start + i]];
    return labels as T;
  }
  const size = rowSize(data);
  const result = (out as Tensor | undefined) ?? new Tensor(new Float32Array(count * size), [count, ...data.shape.slice(1)]);
  const src = data.data, dst = result.data;
  let contiguous = true;
  for (let i = 1; i < count && contiguous; i++) contiguous = order[start + i] === order[start] + i;
  if (contiguous && count > 0) {
    dst.set(src.subarray(order[start] * size, (order[start] + count) * size));
  } else {
    for (let i = 0; i < count; i++) {
      const from = order[start + i] * size;
      dst.set(src.subarray(from, from + size), i * size);
    }
  }
  return result as T;
}

/** The rows with the given indices, as a new dataset. */
export function subset(data: Dataset, indices: Int32Array): Dataset {
  return { x: gatherRows(data.x, indices, 0, indices.length), y: gatherRows(data.y, indices, 0, indices.length) };
}

/** Rows [start, end) without copying (views on the same buffers). */
export function sliceRows<T extends Tensor | Targets>(data: T, start: number, end: number): T {
  if (!(data instanceof Tensor)) return (data as Int32Array).subarray(start, end) as T;
  const size = rowSize(data);
  return new Tensor(data.data.subarray(start * size, end * size), [end - start, ...data.shape.slice(1)]) as T;
}

/** Class of each sample: the label, or the argmax of a one-hot row; null for regression targets. */
export function classOf(y: Targets): Int32Array | null {
  if (y instanceof Int32Array) return y;
  if (y.rank !== 2) return null;
  const n = y.shape[0], k = y.shape[1];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (y.data[i * k + j] > y.data[i * k + best]) best = j;
    labels[i] = best;
  }
  return labels;
}
