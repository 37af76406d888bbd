// The convkit model file: one file holding the topology (JSON) and the weights (float32), plus
// optional extra state (optimizer moments, epoch counters) for checkpoints.
//
// Layout, all integers little-endian:
//   offset 0   8 bytes  magic "CONVKIT\0"
//          8   u32      file format version (FORMAT_VERSION)
//         12   u32      header length H in bytes (UTF-8 JSON, at most MAX_HEADER_BYTES)
//         16   u64      total file length in bytes
//         24   u32      CRC-32 (zlib's) of bytes [32, file length)
//         28   u32      0 (reserved)
//         32   H bytes  header JSON (below), then zero padding to a multiple of 64
//          D            data: the float32 tensors, little-endian, each at D + offset
// Header JSON:
//   { "model": <model.toConfig()>,
//     "tensors": [{ "name", "group": "weights" | "extra", "shape": [...], "offset", "length" }],
//     "dataLength": <bytes of the data section>,
//     "extra": <JSON of the caller, or null> }
// offset and length are byte counts relative to D; length = 4 · product(shape); tensors do not
// overlap. "weights" are the model's namedWeights() in order (names '<layer>/<weight>').
//
// Writes are atomic (temp file in the same directory, fsync, rename, fsync of the directory).
// Reads check every size against the file length before allocating, then the checksum, then the
// JSON, and throw a ModelFileError saying what is wrong.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Tensor, formatShape, type Shape } from '../tensor';
import { Model } from '../model';
import { crc32 } from './crc32';

export const MAGIC = 'CONVKIT\0';
export const FORMAT_VERSION = 1;
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const FIXED_BYTES = 32;
const ALIGN = 64;
const MAX_TENSORS = 1_000_000;
const MAX_NAME = 512;

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** Named float32 state saved next to the weights (e.g. optimizer moments) and free-form JSON. */
export interface ExtraState {
  json?: unknown;
  tensors?: Record<string, Tensor | Float32Array>;
}

export interface ModelFileContents {
  model: Model;
  extra: { json: unknown; tensors: Record<string, Tensor> };
}

interface TensorEntry {
  name: string;
  group: 'weights' | 'extra';
  shape: number[];
  offset: number;
  length: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function checkEndianness(): void {
  if (os.endianness() !== 'LE') throw new ModelFileError('convkit model files are little-endian; this big-endian host is not supported');
}

/** The model (and extra state) as the bytes of a model file. */
export function encodeModel(model: Model, extra: ExtraState = {}): Buffer {
  checkEndianness();
  const sources: { name: string; group: TensorEntry['group']; data: Float32Array; shape: Shape }[] = [
    ...model.namedWeights().map((w) => ({ name: w.name, group: 'weights' as const, data: w.tensor.data, shape: w.tensor.shape })),
    ...Object.entries(extra.tensors ?? {}).map(([name, t]) => {
      if (!(t instanceof Tensor) && !(t instanceof Float32Array)) throw new TypeError(`extra tensor '${name}' must be a Tensor or a Float32Array`);
      return t instanceof Tensor
        ? { name, group: 'extra' as const, data: t.data, shape: t.shape }
        : { name, group: 'extra' as const, data: t, shape: [t.length] };
    }),
  ];
  let offset = 0;
  const tensors: TensorEntry[] = sources.map((s) => {
    const entry = { name: s.name, group: s.group, shape: [...s.shape], offset, length: s.data.byteLength };
    offset = align(offset + s.data.byteLength);
    return entry;
  });
  const header = Buffer.from(JSON.stringify({ model: model.toConfig(), tensors, dataLength: offset, extra: extra.json ?? null }), 'utf8');
  if (header.length > MAX_HEADER_BYTES) throw new ModelFileError(`the header JSON (${header.length} bytes) exceeds ${MAX_HEADER_BYTES} bytes; keep large state in extra.tensors`);
  const dataStart = align(FIXED_BYTES + header.length);
  const file = Buffer.alloc(dataStart + offset);
  file.write(MAGIC, 0, 'latin1');
  file.writeUInt32LE(FORMAT_VERSION, 8);
  file.writeUInt32LE(header.length, 12);
  file.writeBigUInt64LE(BigInt(file.length), 16);
  header.copy(file, FIXED_BYTES);
  sources.forEach((s, i) => file.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), dataStart + tensors[i].offset));
  file.writeUInt32LE(crc32(file.subarray(FIXED_BYTES)), 24);
  return file;
}

function fail(message: string): never {
  throw new ModelFileError(`invalid convkit model file: ${message}`);
}

function isCount(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

/** Checks the tensor table against the data section; returns entries in file order. */
function readTable(table: unknown, dataLength: number): TensorEntry[] {
  if (!Array.isArray(table) || table.length > MAX_TENSORS) fail(`'tensors' must be a list of at most ${MAX_TENSORS} entries`);
  const names = new Set<string>();
  let end = 0;
  return table.map((e: TensorEntry, i) => {
    const what = `tensor ${i}`;
    if (e === null || typeof e !== 'object') fail(`${what} is not an object`);
    if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > MAX_NAME) fail(`${what} needs a name of 1 to ${MAX_NAME} characters`);
    const key = `${e.group}:${e.name}`;
    if (names.has(key)) fail(`${what}: the name '${e.name}' appears twice`);
    names.add(key);
    if (e.group !== 'weights' && e.group !== 'extra') fail(`${what} ('${e.name}'): group must be 'weights' or 'extra'`);
    if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every((d) => isCount(d, 2 ** 31))) {
      fail(`${what} ('${e.name}'): shape must be at most 8 non-negative integers, got ${JSON.stringify(e.shape)?.slice(0, 100)}`);
    }
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (!isCount(e.offset) || !isCount(e.length) || e.offset % 4 !== 0) fail(`${what} ('${e.name}'): offset and length must be non-negative integers, offset a multiple of 4`);
    if (e.length !== 4 * size) fail(`${what} ('${e.name}'): length ${e.length} bytes does not match shape ${formatShape(e.shape)} (${4 * size} bytes)`);
    if (e.offset < end) fail(`${what} ('${e.name}') overlaps the previous tensor (offset ${e.offset} < ${end})`);
    end = e.offset + e.length;
    if (end > dataLength) fail(`${what} ('${e.name}') ends at byte ${end}, past the end of the data section (${dataLength} bytes)`);
    return { name: e.name, group: e.group, shape: e.shape, offset: e.offset, length: e.length };
  });
}

/** Validates the fixed header, length and checksum; returns the parsed header JSON and data start. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FIXED_BYTES) fail(`${buf.length} bytes, shorter than the ${FIXED_BYTES}-byte fixed header (truncated?)`);
  if (buf.toString('latin1', 0, 8) !== MAGIC) fail('bad magic bytes (not a convkit model file)');
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) fail(`format version ${version}; this convkit reads version ${FORMAT_VERSION}`);
  const headerLength = buf.readUInt32LE(12);
  const fileLength = buf.readBigUInt64LE(16);
  if (fileLength !== BigInt(buf.length)) fail(`the file has ${buf.length} bytes but its header says ${fileLength} (truncated or extended)`);
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const dataStart = align(FIXED_BYTES + headerLength);
  if (dataStart > buf.length) fail(`header length ${headerLength} runs past the end of the file (${buf.length} bytes)`);
  if (crc32(buf.subarray(FIXED_BYTES)) !== buf.readUInt32LE(24)) fail('checksum mismatch (the file is corrupted)');
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', FIXED_BYTES, FIXED_BYTES + headerLength));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header JSON must be an object');
  return { header: header as Record<string, unknown>, dataStart };
}

function copyTensor(bytes: Uint8Array, start: number, e: TensorEntry): Tensor {
  const data = new Float32Array(e.length / 4);
  new Uint8Array(data.buffer).set(bytes.subarray(start + e.offset, start + e.offset + e.length));
  return new Tensor(data, e.shape);
}

/** Parses model file bytes, validating everything; the model gets the file's weights. */
export function decodeModel(bytes: Uint8Array): ModelFileContents {
  checkEndianness();
  const { header, dataStart } = readHeader(bytes);
  const dataLength = header.dataLength;
  if (!isCount(dataLength) || dataStart + dataLength !== bytes.length) {
    fail(`dataLength ${JSON.stringify(dataLength)?.slice(0, 30)} does not match the file: ${bytes.length - dataStart} bytes follow the header`);
  }
  const entries = readTable(header.tensors, dataLength);
  const weights = entries.filter((e) => e.group === 'weights');
  const weightElements = weights.reduce((n, e) => n + e.length / 4, 0);
  let model: Model;
  try {
    model = Model.fromConfig(header.model, { maxWeights: weightElements, seed: 0 });
  } catch (e) {
    fail(`model config: ${(e as Error).message}`);
  }
  const own = model.namedWeights();
  if (own.length !== weights.length) fail(`the model has ${own.length} weight tensors, the file ${weights.length}`);
  own.forEach((w, i) => {
    const e = weights[i];
    if (e.name !== w.name || formatShape(e.shape) !== formatShape(w.tensor.shape)) {
      fail(`weight ${i} is '${e.name}' ${formatShape(e.shape)} in the file, the model expects '${w.name}' ${formatShape(w.tensor.shape)}`);
    }
  });
  own.forEach((w, i) => w.tensor.data.set(copyTensor(bytes, dataStart, weights[i]).data));
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const e of entries) if (e.group === 'extra') tensors[e.name] = copyTensor(bytes, dataStart, e);
  return { model, extra: { json: header.extra ?? null, tensors } };
}

/** Writes `data` to `file` atomically: a temp file in the same directory, fsync, rename. */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  // The rename is durable once the directory is synced (not supported on every platform).
  const dirHandle = await fs.open(dir, 'r').catch(() => null);
  await dirHandle?.sync().catch(() => undefined);
  await dirHandle?.close();
}

/** Saves topology, weights and optional extra state (see the layout above) to `file`. */
export async function saveModel(model: Model, file: string, options: { extra?: ExtraState } = {}): Promise<void> {
  await writeFileAtomic(file, encodeModel(model, options.extra));
}

/** Reads a model file written by saveModel, with its extra state. */
export async function readModelFile(file: string): Promise<ModelFileContents> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) throw new ModelFileError(`${file} is not a regular file`);
  return decodeModel(await fs.readFile(file));
}

/** The model saved in `file` (its extra state ignored). */
export async function loadModel(file: string): Promise<Model> {
  return (await readModelFile(file)).model;
}
