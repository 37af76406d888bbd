// PNG (RFC 2083 / ISO 15948) on node:zlib: an encoder for 8-bit gray, gray+alpha, RGB and RGBA,
// and a decoder for non-interlaced images of bit depth 8 (all colour types, palette included)
// and 1/2/4-bit gray or palette. Enough for plots and for the digits a user hands to `predict`.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { crc32 } from './crc32';

/** Interleaved 8-bit pixels, row-major; channels 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA). */
export interface Image {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE_OF_CHANNELS = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;
const CHANNELS_OF_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

export function checkImage(image: Image, what = 'image'): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`${what}: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new RangeError(`${what}: data must be a Uint8Array of width*height*channels = ${width * height * channels} bytes, got ${data?.length}`);
  }
}

/** Encodes an image as PNG (filter type 0 on every row; zlib does the rest). */
export function encodePng(image: Image): Buffer {
  checkImage(image, 'encodePng');
  const { width, height, channels, data } = image;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = COLOR_TYPE_OF_CHANNELS[channels];
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters; `bpp` is bytes per complete pixel (at least 1). */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number, what: string): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: predictor = paeth(a, b, c); break;
        default: throw new Error(`${what}: row ${y} has unknown filter type ${filter}`);
      }
      row[i] = (line[i] + predictor) & 0xff;
    }
  }
  return out;
}

/** Decodes a PNG; palette images come out as RGB or RGBA (with tRNS), gray stays gray. */
export function decodePng(bytes: Uint8Array, what = 'PNG'): Image {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${what}: not a PNG file (bad signature)`);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colorType: number } | null = null;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const idat: Buffer[] = [];
  for (;;) {
    if (offset + 12 > buf.length) throw new Error(`${what}: truncated (no IEND chunk)`);
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > buf.length) throw new Error(`${what}: truncated ${type} chunk`);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    if (crc32(buf.subarray(offset + 4, offset + 8 + length)) !== buf.readUInt32BE(offset + 8 + length)) {
      throw new Error(`${what}: CRC mismatch in ${type} chunk (corrupt file)`);
    }
    offset += 12 + length;
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], colorType: body[9] };
      if (body[12] !== 0) throw new Error(`${what}: interlaced PNGs are not supported; re-save it without interlacing`);
      if (!(header.colorType in CHANNELS_OF_COLOR_TYPE)) throw new Error(`${what}: invalid colour type ${header.colorType}`);
      const lowDepthOk = (header.colorType === 0 || header.colorType === 3) && [1, 2, 4].includes(header.depth);
      if (header.depth !== 8 && !lowDepthOk) throw new Error(`${what}: bit depth ${header.depth} with colour type ${header.colorType} is not supported (8-bit images are)`);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
  }
  if (!header) throw new Error(`${what}: missing IHDR chunk`);
  const { width, height, depth, colorType } = header;
  const samples = CHANNELS_OF_COLOR_TYPE[colorType];
  const stride = Math.ceil((width * samples * depth) / 8);
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw new Error(`${what}: corrupt image data (${(err as Error).message})`);
  }
  if (raw.length < (stride + 1) * height) throw new Error(`${what}: image data is truncated`);
  const rows = unfilter(raw, height, stride, Math.max(1, (samples * depth) >> 3), what);
  const values = depth === 8 ? rows : unpackBits(rows, width, height, stride, depth, colorType === 0);
  if (colorType !== 3) return { width, height, channels: samples as Image['channels'], data: values };
  if (!palette) throw new Error(`${what}: palette image without PLTE chunk`);
  return expandPalette(values, width, height, palette, transparency, what);
}

/** Sub-byte samples to one byte each; gray is rescaled to 0..255, palette indices kept. */
function unpackBits(rows: Uint8Array, width: number, height: number, stride: number, depth: number, scale: boolean): Uint8Array {
  const out = new Uint8Array(width * height);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const v = (rows[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & max;
      out[y * width + x] = scale ? Math.round((v * 255) / max) : v;
    }
  }
  return out;
}

function expandPalette(indices: Uint8Array, width: number, height: number, palette: Uint8Array, trns: Uint8Array | null, what: string): Image {
  const channels = trns ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (3 * k + 2 >= palette.length) throw new Error(`${what}: palette index ${k} outside the ${palette.length / 3}-colour palette`);
    out.set(palette.subarray(3 * k, 3 * k + 3), i * channels);
    if (trns) out[i * channels + 3] = k < trns.length ? trns[k] : 255;
  }
  return { width, height, channels, data: out };
}

export function readPng(file: string): Image {
  return decodePng(fs.readFileSync(file), file);
}

export function writePng(file: string, image: Image): void {
  fs.writeFileSync(file, encodePng(image));
}

/** Luminance (ITU-R BT.601) of any image as one byte per pixel; alpha composites over black. */
export function toGray(image: Image): Uint8Array {
  const { width, height, channels, data } = image;
  if (channels === 1) return data;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const p = i * channels;
    const alpha = channels === 2 || channels === 4 ? data[p + channels - 1] / 255 : 1;
    const gray = channels <= 2 ? data[p] : 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
    out[i] = Math.round(gray * alpha);
  }
  return out;
}
