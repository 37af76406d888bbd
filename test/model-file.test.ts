import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tensor } from '../lib';
import { BatchNorm2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU } from '../lib/layers';
import { sequential } from '../lib/sequential';
import { Model } from '../lib/model';
import { ModelFileError, decodeModel, encodeModel, loadModel, readModelFile, saveModel } from '../lib/io/model-file';
import { crc32 } from '../lib/io/crc32';
import { randomArray, rng } from './helpers/random';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-model-file-'));
test.after.always(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

function net(): Model {
  return sequential(
    [
      new Conv2D({ filters: 4, kernelSize: 3, padding: 1 }),
      new BatchNorm2D(),
      new ReLU(),
      new MaxPool2D({ poolSize: 2 }),
      new Flatten(),
      new Dropout({ rate: 0.3 }),
      new Dense({ units: 5 }),
    ],
    { inputShape: [2, 6, 6], name: 'small', seed: 3 },
  );
}

const x = new Tensor(randomArray(3 * 2 * 36, rng(1)), [3, 2, 6, 6]);

/** A file with this header JSON and data section, valid magic, lengths and checksum. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerBytes = Buffer.from(JSON.stringify(header))): Buffer {
  const dataStart = Math.ceil((32 + headerBytes.length) / 64) * 64;
  const file = Buffer.alloc(dataStart + data.length);
  file.write('CONVKIT\0', 0, 'latin1');
  file.writeUInt32LE(1, 8);
  file.writeUInt32LE(headerBytes.length, 12);
  file.writeBigUInt64LE(BigInt(file.length), 16);
  headerBytes.copy(file, 32);
  file.set(data, dataStart);
  file.writeUInt32LE(crc32(file.subarray(32)), 24);
  return file;
}

/** The header JSON of an encoded file. */
function headerOf(bytes: Buffer): { model: ReturnType<Model['toConfig']>; tensors: { name: string; shape: number[]; offset: number; length: number; group: string }[]; dataLength: number; extra: unknown } {
  return JSON.parse(bytes.toString('utf8', 32, 32 + bytes.readUInt32LE(12)));
}

function dataOf(bytes: Buffer): Uint8Array {
  return bytes.subarray(Math.ceil((32 + bytes.readUInt32LE(12)) / 64) * 64);
}

test('save then load gives identical predictions, names and running statistics; extra state round-trips', async (t) => {
  const m = net();
  m.forward(x, { training: true }); // non-default BatchNorm running statistics
  const file = path.join(tmpDir, 'small.convkit');
  const moments = Float32Array.from([1, 2, 3]);
  await saveModel(m, file, { extra: { json: { epoch: 4, optimizer: 'adam' }, tensors: { 'adam/m0': moments, 'adam/v0': new Tensor(Float32Array.from([4, 5, 6, 7]), [2, 2]) } } });
  t.deepEqual(fs.readdirSync(tmpDir), ['small.convkit'], 'no temp file is left behind');
  const { model: loaded, extra } = await readModelFile(file);
  t.deepEqual([...loaded.forward(x).data], [...m.forward(x).data]);
  t.deepEqual(loaded.namedWeights().map((w) => w.name), m.namedWeights().map((w) => w.name));
  loaded.getWeights().forEach((w, i) => t.deepEqual(w.data, m.getWeights()[i].data));
  t.deepEqual(loaded.toConfig(), m.toConfig());
  t.deepEqual(extra.json, { epoch: 4, optimizer: 'adam' });
  t.deepEqual([...extra.tensors['adam/m0'].data], [1, 2, 3]);
  t.deepEqual(extra.tensors['adam/v0'].shape, [2, 2]);
  const again = await loadModel(file);
  t.deepEqual([...again.forward(x).data], [...m.forward(x).data]);
  // Overwriting replaces the file atomically.
  await saveModel(again, file);
  t.deepEqual(Object.keys((await readModelFile(file)).extra.tensors), []);
});

test('the layout is as documented: magic, version, lengths, aligned little-endian float32 tensors', (t) => {
  const m = net();
  const bytes = encodeModel(m);
  t.is(bytes.toString('latin1', 0, 8), 'CONVKIT\0');
  t.is(bytes.readUInt32LE(8), 1);
  t.is(bytes.readBigUInt64LE(16), BigInt(bytes.length));
  const header = headerOf(bytes);
  const data = dataOf(bytes);
  t.is(header.dataLength, data.length);
  const kernel = header.tensors[0];
  t.like(kernel, { name: m.parameters()[0].name, group: 'weights', shape: [4, 2, 3, 3], offset: 0, length: 4 * 72 });
  t.regex(kernel.name, /^conv2d(_\d+)?\/kernel$/);
  const first = Buffer.from(data.buffer, data.byteOffset, 4).readFloatLE(0);
  t.is(first, m.getWeights()[0].data[0]);
  t.true(header.tensors.every((e) => e.offset % 64 === 0));
});

test('truncated files give a clear error at every length', (t) => {
  const bytes = encodeModel(net());
  for (const n of [0, 7, 31, 32, 100, bytes.length - 65, bytes.length - 1]) {
    const err = t.throws(() => decodeModel(bytes.subarray(0, n)), { instanceOf: ModelFileError });
    t.regex(err!.message, /truncated|shorter/, `length ${n}: ${err!.message}`);
  }
});

test('corrupted bytes are caught by the checksum', (t) => {
  const bytes = encodeModel(net());
  for (const at of [40, 200, bytes.length - 3]) {
    const copy = Buffer.from(bytes);
    copy[at] ^= 0x10;
    t.throws(() => decodeModel(copy), { instanceOf: ModelFileError, message: /checksum mismatch/ });
  }
  const magic = Buffer.from(bytes);
  magic[0] = 0x50;
  t.throws(() => decodeModel(magic), { message: /not a convkit model file/ });
  const version = Buffer.from(bytes);
  version.writeUInt32LE(7, 8);
  t.throws(() => decodeModel(version), { message: /format version 7/ });
});

test('hostile files with valid checksums give clear errors without allocating their claims', (t) => {
  const good = encodeModel(net());
  const header = headerOf(good);
  const data = dataOf(good);
  const expectError = (h: unknown, pattern: RegExp, bytes = data) => {
    const err = t.throws(() => decodeModel(craft(h, bytes)), { instanceOf: ModelFileError });
    t.regex(err!.message, pattern);
  };
  const withTensor = (i: number, patch: object) => ({ ...header, tensors: header.tensors.map((e, k) => (k === i ? { ...e, ...patch } : e)) });
  expectError(withTensor(0, { shape: [4e9, 4e9] }), /shape must be/);
  expectError(withTensor(0, { shape: [4, 2, 3, 3], length: 1e15 }), /length .* does not match/);
  expectError(withTensor(0, { shape: [NaN] }), /shape must be/);
  expectError(withTensor(0, { offset: 'x' }), /offset and length/);
  expectError(withTensor(header.tensors.length - 1, { offset: data.length }), /past the end of the data section/);
  expectError(withTensor(1, { offset: 0 }), /overlaps/);
  expectError(withTensor(0, { shape: [4, 2, 9, 1] }), /weight 0 is .*\[4, 2, 9, 1\].*expects .*\[4, 2, 3, 3\]/);
  expectError({ ...header, dataLength: 1e12 }, /dataLength/);
  expectError({ ...header, tensors: 'many' }, /'tensors' must be a list/);
  const layers = header.model.layers;
  expectError({ ...header, model: { ...header.model, layers: [{ ...layers[0], className: 'Backdoor' }, ...layers.slice(1)] } }, /unknown layer class 'Backdoor'/);
  // A config asking for billions of weights is refused before any allocation.
  const huge = { ...header, model: { ...header.model, layers: [...layers.slice(0, -1), { ...layers.at(-1)!, config: { ...layers.at(-1)!.config, units: 1e9 } }] } };
  expectError(huge, /would allocate \d+ weights, more than the limit/);
  expectError({ ...header, model: { ...header.model, input: { name: 'in', shape: [1e6, 1e6, 1e6] } } }, /input \[1000000, 1000000, 1000000\] is too large/);
  expectError({ ...header, model: { ...header.model, layers: [] } }, /layers must be a list/);
  expectError({ ...header, model: { ...header.model, input: { ...header.model.input, name: '../x' } } }, /input name must be/);
  const renamed = [{ ...layers[0], config: { ...layers[0].config, name: 'a'.repeat(1000) } }, ...layers.slice(1)];
  expectError({ ...header, model: { ...header.model, layers: renamed } }, /layer name must be/);
  expectError({ ...header, model: null }, /model config/);
  t.throws(() => decodeModel(craft(null, data, Buffer.from('{"model": '))), { message: /not valid JSON/ });
  const claimsHugeHeader = Buffer.from(good);
  claimsHugeHeader.writeUInt32LE(0xffffffff, 12);
  t.throws(() => decodeModel(claimsHugeHeader), { message: /header length \d+ exceeds/ });
  const claimsHugeFile = Buffer.from(good);
  claimsHugeFile.writeBigUInt64LE(2n ** 60n, 16);
  t.throws(() => decodeModel(claimsHugeFile), { message: /header says/ });
});

test('loading a missing file, a directory or a non-model file fails clearly', async (t) => {
  await t.throwsAsync(loadModel(path.join(tmpDir, 'missing.convkit')), { code: 'ENOENT' });
  await t.throwsAsync(loadModel(tmpDir), { message: /not a regular file/ });
  const text = path.join(tmpDir, 'notes.txt');
  fs.writeFileSync(text, 'hello, this is not a model at all');
  await t.throwsAsync(loadModel(text), { message: /not a convkit model file/ });
  fs.rmSync(text);
});
