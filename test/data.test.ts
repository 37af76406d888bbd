import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeIdx, parseIdx, readMnist } from '../lib/data/idx';
import { parseCifar10, readCifar10 } from '../lib/data/cifar10';
import { head, subset } from '../lib/data/dataset';
import { loadDataset } from '../lib/data/load';
import { clearDigitMemoryCache, loadDigits } from '../lib/data/mnist';
import { digitFromImage } from '../lib/data/digit-image';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-data-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** n images of rows x cols with pixel (i, r, c) = (i * 7 + r * 3 + c) mod 256, labels i mod 10. */
function fixture(n: number, rows = 4, cols = 3) {
  const pixels = Uint8Array.from({ length: n * rows * cols }, (_, k) => {
    const i = Math.floor(k / (rows * cols));
    const r = Math.floor((k % (rows * cols)) / cols);
    return (i * 7 + r * 3 + (k % cols)) % 256;
  });
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { pixels, labels, images: encodeIdx([n, rows, cols], pixels), labelFile: encodeIdx([n], labels) };
}

function write(name: string, bytes: Uint8Array, gzip = false): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, gzip ? zlib.gzipSync(bytes) : bytes);
  return file;
}

for (const gzip of [false, true]) {
  test(`readMnist reads ${gzip ? 'gzipped' : 'plain'} IDX images and labels`, (t) => {
    const f = fixture(5);
    const sfx = gzip ? '.gz' : '';
    const data = readMnist(write(`a-images-idx3-ubyte${sfx}`, f.images, gzip), write(`a-labels-idx1-ubyte${sfx}`, f.labelFile, gzip));
    t.deepEqual(data.x.shape, [5, 1, 4, 3]);
    t.deepEqual(Array.from(data.y), [0, 1, 2, 3, 4]);
    for (let k = 0; k < f.pixels.length; k++) t.is(data.x.data[k], Math.fround(f.pixels[k] / 255));
  });
}

test('parseIdx rejects a wrong magic number', (t) => {
  const bytes = Buffer.from(fixture(2).images);
  bytes[0] = 0x12;
  t.throws(() => parseIdx(bytes, 'x.idx'), { message: /x\.idx: bad magic number 0x12/ });
  const floats = Buffer.from(fixture(2).images);
  floats[2] = 0x0d;
  t.throws(() => parseIdx(floats, 'f.idx'), { message: /element type 0xd \(float\) is not supported/ });
});

test('readMnist rejects truncated files, trailing bytes and a truncated gzip stream', (t) => {
  const f = fixture(4);
  const labels = write('t-labels', f.labelFile);
  const cut = write('t-images', f.images.subarray(0, f.images.length - 5));
  t.throws(() => readMnist(cut, labels), { message: /t-images: truncated: shape \[4, 4, 3\] needs 48 data bytes, the file has 43/ });
  const header = write('h-images', f.images.subarray(0, 9));
  t.throws(() => readMnist(header, labels), { message: /truncated header/ });
  const long = write('l-images', Buffer.concat([f.images, Buffer.from([1, 2])]));
  t.throws(() => readMnist(long, labels), { message: /2 unexpected bytes after/ });
  const gz = zlib.gzipSync(f.images);
  const badGz = write('g-images.gz', gz.subarray(0, gz.length - 10));
  t.throws(() => readMnist(badGz, labels), { message: /corrupt or truncated gzip data/ });
});

test('readMnist rejects counts that disagree and swapped files', (t) => {
  const five = fixture(5);
  const six = fixture(6);
  const images = write('c-images', five.images);
  const labels = write('c-labels', six.labelFile);
  t.throws(() => readMnist(images, labels), { message: /holds 5 images but .*c-labels holds 6 labels/ });
  t.throws(() => readMnist(labels, images), { message: /must have 3 dimensions/ });
});

test('loadDataset finds MNIST IDX pairs in a directory, gzipped or not', (t) => {
  const sub = path.join(dir, 'mnistdir');
  fs.mkdirSync(sub);
  const a = fixture(3);
  const b = fixture(2);
  fs.writeFileSync(path.join(sub, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(a.images));
  fs.writeFileSync(path.join(sub, 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(a.labelFile));
  fs.writeFileSync(path.join(sub, 't10k-images-idx3-ubyte'), b.images);
  fs.writeFileSync(path.join(sub, 't10k-labels-idx1-ubyte'), b.labelFile);
  const data = loadDataset(sub);
  t.deepEqual(data.x.shape, [5, 1, 4, 3]);
  t.deepEqual(Array.from(data.y), [0, 1, 0, 1, 2]); // t10k sorts before train
  t.throws(() => loadDataset(path.join(dir, 'nope')), { message: /no such file or directory/ });
});

function cifarRecords(labels: number[]): Buffer {
  const out = Buffer.alloc(labels.length * 3073);
  labels.forEach((label, i) => {
    out[i * 3073] = label;
    for (let k = 0; k < 3072; k++) out[i * 3073 + 1 + k] = (i + k) % 251;
  });
  return out;
}

test('parseCifar10 reads records into [N, 3, 32, 32] and checks size and labels', (t) => {
  const data = parseCifar10(cifarRecords([3, 9]));
  t.deepEqual(data.x.shape, [2, 3, 32, 32]);
  t.deepEqual(Array.from(data.y), [3, 9]);
  t.is(data.x.data[3072 + 1024 + 5], Math.fround(((1 + 1024 + 5) % 251) / 255)); // image 1, green, pixel 5
  t.throws(() => parseCifar10(cifarRecords([1]).subarray(0, 3000), 'b.bin'), { message: /b\.bin: 3000 bytes is not a whole number of 3073-byte/ });
  t.throws(() => parseCifar10(cifarRecords([1, 10]), 'b.bin'), { message: /record 1 has label 10/ });
  const file = write('data_batch_1.bin', cifarRecords([0, 1, 2]));
  t.deepEqual(Array.from(readCifar10([file, file]).y), [0, 1, 2, 0, 1, 2]);
  t.is(readCifar10(file).classNames?.[9], 'truck');
  t.is(head(readCifar10(file), 2).classNames?.[0], 'airplane');
});

test('subset and head copy the chosen images', (t) => {
  const data = parseCifar10(cifarRecords([0, 1, 2]));
  const s = subset(data, [2, 0]);
  t.deepEqual(Array.from(s.y), [2, 0]);
  t.deepEqual(s.x.data.subarray(0, 3072), data.x.data.subarray(2 * 3072));
  t.is(head(data, 10).y.length, 3);
  t.throws(() => subset(data, [3]), { message: /index 3 is outside/ });
});

test('the bundled digits: 10,000 real MNIST digits in [0, 1], every class, cached in a checked file', (t) => {
  const cacheFile = path.join(dir, 'digits.bin');
  clearDigitMemoryCache();
  const fresh = loadDigits({ cacheFile });
  t.deepEqual(fresh.x.shape, [10000, 1, 28, 28]);
  const counts = new Array(10).fill(0);
  for (const y of fresh.y) counts[y]++;
  t.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  t.true(fresh.y.slice(0, 100).some((y) => y !== fresh.y[0]), 'the order is shuffled, not sorted by class');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of fresh.x.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  t.is(lo, 0);
  t.is(hi, 1);
  t.true(fs.existsSync(cacheFile));

  clearDigitMemoryCache();
  const cached = loadDigits({ cacheFile });
  t.deepEqual(cached.y, fresh.y);
  t.deepEqual(cached.x.data, fresh.x.data);

  const corrupt = fs.readFileSync(cacheFile);
  corrupt[corrupt.length - 1] ^= 0xff;
  fs.writeFileSync(cacheFile, corrupt);
  clearDigitMemoryCache();
  t.deepEqual(loadDigits({ cacheFile }).x.data, fresh.x.data, 'a corrupt cache is rebuilt from the package');
  t.not(fs.readFileSync(cacheFile)[corrupt.length - 1], corrupt[corrupt.length - 1]);
  clearDigitMemoryCache();
});

test('digitFromImage: a large dark-on-light digit comes out as the 28x28 light-on-dark original', (t) => {
  const digit = loadDigits().x.data.subarray(0, 784);
  const [W, H, S] = [110, 100, 3];
  const data = new Uint8Array(W * H * 3).fill(255);
  for (let y = 0; y < 28 * S; y++) {
    for (let x = 0; x < 28 * S; x++) {
      const v = 255 - Math.round(255 * digit[Math.floor(y / S) * 28 + Math.floor(x / S)]);
      data.fill(v, ((y + 5) * W + x + 20) * 3, ((y + 5) * W + x + 21) * 3);
    }
  }
  const x = digitFromImage({ width: W, height: H, channels: 3, data }).data;
  t.is(x.length, 784);
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
  const [ma, mb] = [mean(digit), mean(x)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < 784; i++) {
    ab += (digit[i] - ma) * (x[i] - mb);
    aa += (digit[i] - ma) ** 2;
    bb += (x[i] - mb) ** 2;
  }
  t.true(ab / Math.sqrt(aa * bb) > 0.8, `correlation ${ab / Math.sqrt(aa * bb)}`);
  t.throws(() => digitFromImage({ width: 40, height: 40, channels: 1, data: new Uint8Array(1600).fill(255) }), { message: /blank/ });
});
