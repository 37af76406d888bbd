import test from 'ava';
import zlib from 'node:zlib';
import { crc32 } from '../lib/io/crc32';
import { decodePng, encodePng, toGray, type Image } from '../lib/io/png';
import { rng } from './helpers/random';

function randomImage(width: number, height: number, channels: Image['channels'], seed: number): Image {
  const r = rng(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(r() * 256)) };
}

for (const channels of [1, 2, 3, 4] as const) {
  test(`PNG round trip, ${channels} channel(s), odd sizes`, (t) => {
    for (const [w, h] of [[1, 1], [7, 3], [33, 20]]) {
      const image = randomImage(w, h, channels, w * 100 + h + channels);
      const back = decodePng(encodePng(image));
      t.is(back.width, w);
      t.is(back.height, h);
      t.is(back.channels, channels);
      t.deepEqual(back.data, image.data);
    }
  });
}

/** Builds a PNG by hand with the given filter per row, to exercise every unfiltering path. */
function filteredPng(image: Image, filters: number[]): Buffer {
  const { width, height, channels, data } = image;
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  const at = (x: number, y: number) => (x < 0 || y < 0 ? 0 : data[y * stride + x]);
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const a = at(i - channels, y);
      const b = at(i, y - 1);
      const c = at(i - channels, y - 1);
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f];
      raw[y * (stride + 1) + 1 + i] = (data[y * stride + i] - pred) & 0xff;
    }
  }
  const png = encodePng(image);
  // Replace the IDAT of our own encoder by the hand-filtered one.
  const ihdrEnd = 8 + 12 + 13;
  const idat = zlib.deflateSync(raw);
  const chunk = Buffer.alloc(12 + idat.length);
  chunk.writeUInt32BE(idat.length, 0);
  chunk.write('IDAT', 4, 'latin1');
  idat.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + idat.length)), 8 + idat.length);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(png.length - 12)]);
}

test('decodePng undoes filters Sub, Up, Average and Paeth', (t) => {
  const image = randomImage(9, 10, 3, 42);
  t.deepEqual(decodePng(filteredPng(image, [0, 1, 2, 3, 4])).data, image.data);
  const gray = randomImage(5, 8, 1, 7);
  t.deepEqual(decodePng(filteredPng(gray, [4, 3, 1, 2])).data, gray.data);
});

test('decodePng gives clear errors for bad input', (t) => {
  const png = encodePng(randomImage(4, 4, 3, 1));
  t.throws(() => decodePng(Buffer.from('not a png at all')), { message: /not a PNG file/ });
  t.throws(() => decodePng(png.subarray(0, 40), 'x.png'), { message: /x\.png: truncated/ });
  const corrupt = Buffer.from(png);
  corrupt[30] ^= 0xff;
  t.throws(() => decodePng(corrupt), { message: /CRC mismatch/ });
  t.throws(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), { message: /12 bytes, got 11/ });
});

test('toGray: luminance, alpha over black', (t) => {
  const rgba: Image = { width: 2, height: 1, channels: 4, data: Uint8Array.from([255, 255, 255, 255, 255, 0, 0, 128]) };
  t.deepEqual(Array.from(toGray(rgba)), [255, Math.round(0.299 * 255 * (128 / 255))]);
});
