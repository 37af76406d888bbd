// IDX files (the MNIST format, http://yann.lecun.com/exdb/mnist/): a big-endian header
// [0, 0, type, ndim], ndim uint32 dimensions, then the row-major data. Plain or gzip-compressed.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Tensor, formatShape } from '../tensor';
import { bytesToUnit, type Dataset } from './dataset';

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** The bytes of `file`, gunzipped when they start with the gzip magic 1f 8b. */
export function readMaybeGzip(file: string): Buffer {
  const raw = fs.readFileSync(file);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (err) {
    throw new Error(`${file}: corrupt or truncated gzip data (${(err as Error).message})`);
  }
}

/** Parses an unsigned-byte IDX array; `what` names the source in errors. */
export function parseIdx(bytes: Uint8Array, what = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new Error(`${what}: ${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new Error(`${what}: bad magic number 0x${magic}, an IDX file starts with 0x0000 (is this an MNIST IDX file?)`);
  }
  const type = bytes[2];
  if (type !== UBYTE) {
    throw new Error(`${what}: IDX element type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported, only unsigned bytes (0x08)`);
  }
  const ndim = bytes[3];
  if (ndim < 1) throw new Error(`${what}: IDX header declares 0 dimensions`);
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new Error(`${what}: truncated header (${bytes.length} bytes, ${ndim} dimensions need ${headerSize})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerSize;
  if (have < size) throw new Error(`${what}: truncated: shape ${formatShape(shape)} needs ${size} data bytes, the file has ${have}`);
  if (have > size) throw new Error(`${what}: ${have - size} unexpected bytes after the ${size} data bytes of shape ${formatShape(shape)}`);
  return { shape, data: bytes.subarray(headerSize) };
}

/** Reads an IDX file (plain or .gz) of unsigned bytes. */
export function readIdx(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file), file);
}

/**
 * MNIST-format images and labels (also Fashion-MNIST, KMNIST): images [N, rows, cols]
 * (magic 0x00000803) and labels [N] (magic 0x00000801). Pixels become x / 255 in [0, 1],
 * as a tensor [N, 1, rows, cols].
 */
export function readMnist(imagesFile: string, labelsFile: string): Dataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.shape.length !== 3) {
    throw new Error(`${imagesFile}: MNIST images must have 3 dimensions [N, rows, cols] (magic 0x00000803), got ${formatShape(images.shape)}`);
  }
  if (labels.shape.length !== 1) {
    throw new Error(`${labelsFile}: MNIST labels must have 1 dimension [N] (magic 0x00000801), got ${formatShape(labels.shape)}`);
  }
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) {
    throw new Error(`count mismatch: ${imagesFile} holds ${n} images but ${labelsFile} holds ${labels.shape[0]} labels`);
  }
  return { x: new Tensor(bytesToUnit(images.data), [n, 1, rows, cols]), y: Int32Array.from(labels.data) };
}

/** Serialises unsigned bytes as IDX (used for fixtures and for exporting digits). */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Buffer {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`encodeIdx: shape ${formatShape(shape)} needs ${size} bytes, got ${data.length}`);
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = UBYTE;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}
