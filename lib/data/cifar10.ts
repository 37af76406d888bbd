// CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin): records of 1 label byte and
// 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each 32x32 row-major): already CHW.
import fs from 'node:fs';
import { Tensor } from '../tensor';
import { bytesToUnit, concatDatasets, type Dataset } from './dataset';

const SIDE = 32;
const PIXELS = 3 * SIDE * SIDE;
const RECORD = 1 + PIXELS;

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Parses one batch; pixels become x / 255 in [0, 1], images [N, 3, 32, 32]. */
export function parseCifar10(bytes: Uint8Array, what = 'CIFAR-10 batch'): Dataset {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(`${what}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (1 label + 3072 pixels); truncated or not a CIFAR-10 binary batch?`);
  }
  const n = bytes.length / RECORD;
  const y = new Int32Array(n);
  const pixels = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const label = bytes[i * RECORD];
    if (label >= 10) throw new Error(`${what}: record ${i} has label ${label}, CIFAR-10 labels are 0..9`);
    y[i] = label;
    pixels.set(bytes.subarray(i * RECORD + 1, (i + 1) * RECORD), i * PIXELS);
  }
  return { x: new Tensor(bytesToUnit(pixels), [n, 3, SIDE, SIDE]), y };
}

/** Reads and concatenates batch files. */
export function readCifar10(files: string | string[]): Dataset {
  const list = typeof files === 'string' ? [files] : files;
  if (list.length === 0) throw new Error('readCifar10: no batch files given');
  const parts = list.map((f) => parseCifar10(fs.readFileSync(f), f));
  return { ...concatDatasets(parts), classNames: CIFAR10_CLASSES };
}
