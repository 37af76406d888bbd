// Moving datasets to workers without blocking the event loop: arrays are copied once into
// SharedArrayBuffers in slices (yielding between slices), then shared, not copied, per message.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Tensor } from '../tensor';
import type { Dataset, Targets } from './data';

/** Elements copied between yields: ~4 MB, about a millisecond. */
const SLICE = 1 << 20;

async function sharedCopy<T extends Float32Array | Int32Array>(a: T): Promise<T> {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Type = a.constructor as { new (buffer: SharedArrayBuffer): T };
  const copy = new Type(new SharedArrayBuffer(a.byteLength));
  for (let start = 0; start < a.length; start += SLICE) {
    copy.set(a.subarray(start, start + SLICE) as never, start);
    if (start + SLICE < a.length) await nextTurn();
  }
  return copy;
}

export async function sharedTensor(t: Tensor): Promise<Tensor> {
  return new Tensor(await sharedCopy(t.data), t.shape);
}

export async function sharedTargets(y: Targets): Promise<Targets> {
  return y instanceof Tensor ? sharedTensor(y) : sharedCopy(y);
}

export async function sharedDataset(d: Dataset): Promise<Dataset> {
  return { x: await sharedTensor(d.x), y: await sharedTargets(d.y) };
}

/** Plain form of a tensor for postMessage (class instances lose their prototype). */
export interface TensorData {
  data: Float32Array;
  shape: number[];
}
export type TargetsData = TensorData | Int32Array;
export interface DatasetData {
  x: TensorData;
  y: TargetsData;
}

export function tensorData(t: Tensor): TensorData {
  return { data: t.data, shape: [...t.shape] };
}

export function fromTensorData(t: TensorData): Tensor {
  return new Tensor(t.data, t.shape);
}

export function datasetData(d: Dataset): DatasetData {
  return { x: tensorData(d.x), y: d.y instanceof Tensor ? tensorData(d.y) : d.y };
}

export function fromDatasetData(d: DatasetData): Dataset {
  return { x: fromTensorData(d.x), y: d.y instanceof Int32Array ? d.y : fromTensorData(d.y) };
}
