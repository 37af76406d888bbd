// A labelled image set: images as a float32 NCHW tensor, class indices as Int32Array.
import { Tensor, formatShape } from '../tensor';
import { subset as subsetRows } from '../training/data';

export interface Dataset {
  /** Images [N, C, H, W], float32. */
  x: Tensor;
  /** Class index per image, length N. */
  y: Int32Array;
  /** Names of the classes, when the format defines them (CIFAR-10). */
  classNames?: readonly string[];
}

/** The images and labels at `indices` (in that order), copied into a new dataset. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const n = data.x.shape[0];
  const order = Int32Array.from(indices, (k) => {
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new RangeError(`subset: index ${k} is outside the dataset of ${n} images ${formatShape(data.x.shape)}`);
    }
    return k;
  });
  const rows = subsetRows(data, order);
  return { x: rows.x, y: rows.y as Int32Array, classNames: data.classNames };
}

/** The first `n` images (all when n >= N): the `--limit` slice. */
export function head(data: Dataset, n: number): Dataset {
  const count = Math.min(n, data.y.length);
  return subset(data, Array.from({ length: count }, (_, i) => i));
}

/** Bytes 0..255 to floats in [0, 1]. */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** Datasets with the same image shape, one after the other. */
export function concatDatasets(parts: Dataset[]): Dataset {
  if (parts.length === 1) return parts[0];
  const [, ...rest] = parts[0].x.shape;
  const n = parts.reduce((s, p) => s + p.y.length, 0);
  const x = new Float32Array(parts.reduce((s, p) => s + p.x.size, 0));
  const y = new Int32Array(n);
  let offset = 0;
  let count = 0;
  for (const p of parts) {
    if (p.x.shape.slice(1).join() !== rest.join()) throw new Error(`concatDatasets: image shapes differ: [${rest}] and [${p.x.shape.slice(1)}]`);
    x.set(p.x.data, offset);
    y.set(p.y, count);
    offset += p.x.size;
    count += p.y.length;
  }
  return { x: new Tensor(x, [n, ...rest]), y };
}
