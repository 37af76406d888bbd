// Structured values with big arrays in them (weights, optimizer state): the transfer list for
// postMessage, and a binary file format (JSON header + raw array bytes) for checkpoints.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Tensor } from '../tensor';

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Int16Array | Uint16Array;
const arrayTypes = { Float32Array, Float64Array, Int32Array, Uint32Array, Uint8Array, Int8Array, Int16Array, Uint16Array };
type ArrayTypeName = keyof typeof arrayTypes;

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && v.constructor.name in arrayTypes;
}

/** Every distinct non-shared ArrayBuffer under `value`, for postMessage's transfer list. */
export function transferList(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (isTypedArray(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value instanceof Tensor) {
    transferList(value.data, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferList(v, found);
  }
  return [...found];
}

const MAGIC = 'CONVKIT-CKPT-1\n';

/** Bytes of `value`: JSON for the structure (exact doubles, NaN and ±Infinity kept), raw bytes for arrays. */
export function encode(value: unknown): Buffer {
  const blobs: Buffer[] = [];
  let offset = 0;
  const blob = (a: TypedArray) => {
    const ref = { offset, length: a.length, type: a.constructor.name as ArrayTypeName };
    blobs.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
    return ref;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (v instanceof Tensor) return { $tensor: blob(v.data), shape: [...v.shape] };
    if (isTypedArray(v)) return { $array: blob(v) };
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const header = Buffer.from(JSON.stringify(walk(value)));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([Buffer.from(MAGIC), length, header, ...blobs]);
}

export function decode(bytes: Buffer, what = 'checkpoint'): unknown {
  if (bytes.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error(`${what} is not a convkit checkpoint`);
  const headerLength = Number(bytes.readBigUInt64LE(MAGIC.length));
  const start = MAGIC.length + 8, dataStart = start + headerLength;
  const array = (ref: { offset: number; length: number; type: ArrayTypeName }) => {
    const Type = arrayTypes[ref.type];
    if (!Type) throw new Error(`${what}: unknown array type ${ref.type}`);
    const begin = dataStart + ref.offset, end = begin + ref.length * Type.BYTES_PER_ELEMENT;
    if (end > bytes.length) throw new Error(`${what} is truncated`);
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(begin, end));
    return new Type(copy.buffer);
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('$number' in o) return Number(o.$number);
    if ('$tensor' in o) return new Tensor(array(o.$tensor as never) as Float32Array, o.shape as number[]);
    if ('$array' in o) return array(o.$array as never);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(JSON.parse(bytes.subarray(start, dataStart).toString()));
}

/** Writes `bytes` to `file` atomically: a temporary file in the same directory, fsynced, renamed over. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.${Math.floor(Math.random() * 1e9)}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
