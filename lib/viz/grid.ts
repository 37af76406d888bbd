// Grids of small gray images: feature maps per layer (featuremaps.png) and learned kernels
// (filters.png). Each map is min-max normalised on its own, so its pattern shows whatever its scale.
import type { Image } from '../io/png';
import { Canvas, BLACK, type Color } from './canvas';
import { GLYPH_HEIGHT, textWidth } from './font';

/** One layer's activations for one image: C maps of H x W (a vector is C maps of 1 x 1). */
export interface FeatureMaps {
  name: string;
  /** [C, H, W] */
  shape: readonly [number, number, number];
  data: Float32Array;
}

const GAP = 3;
const LABEL_COLOR: Color = [40, 40, 40];
const SHAPE_COLOR: Color = [120, 120, 120];
const FRAME: Color = [200, 200, 200];

/** Maps values to 0..255 by their own min and max (a constant map is mid-gray unless it is all zero). */
export function normalizeToBytes(values: Float32Array | readonly number[]): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  if (!(hi - lo > 1e-12)) return out.fill(hi === 0 || !Number.isFinite(hi) ? 0 : 128);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(((values[i] - lo) / (hi - lo)) * 255);
  return out;
}

/** Integer zoom so a map is about `target` pixels tall (at least 1, vectors get square cells). */
function zoomFor(h: number, w: number, target: number): number {
  return Math.max(1, Math.floor(target / Math.max(h, w)));
}

interface Row {
  name: string;
  detail: string;
  tiles: { gray: Uint8Array; w: number; h: number }[];
  zoom: number;
  /** Index labels under the cells of a short vector (class numbers of an output layer). */
  cellLabels?: boolean;
}

function rowOf(layer: FeatureMaps, target: number): Row {
  const [c, h, w] = layer.shape;
  if (layer.data.length !== c * h * w) {
    throw new RangeError(`feature maps '${layer.name}': shape [${layer.shape}] needs ${c * h * w} values, got ${layer.data.length}`);
  }
  const detail = `${c}@${h}x${w}`;
  if (h === 1 && w === 1) {
    // A vector: one strip of C cells, normalised together so cells compare.
    const zoom = Math.max(2, Math.min(28, Math.floor(960 / c)));
    return { name: layer.name, detail: `${c} units`, tiles: [{ gray: normalizeToBytes(layer.data), w: c, h: 1 }], zoom, cellLabels: c <= 20 };
  }
  const tiles = Array.from({ length: c }, (_, k) => ({ gray: normalizeToBytes(layer.data.subarray(k * h * w, (k + 1) * h * w)), w, h }));
  return { name: layer.name, detail, tiles, zoom: zoomFor(h, w, target) };
}

function drawRows(rows: Row[], title: string, maxWidth: number): Image {
  const scale = 2;
  const lineH = GLYPH_HEIGHT * scale;
  const labelW = 16 + Math.max(...rows.map((r) => Math.max(textWidth(r.name, scale), textWidth(r.detail, 1)))) + 12;
  const layouts = rows.map((r) => {
    const tw = r.tiles[0].w * r.zoom;
    const th = r.tiles[0].h * r.zoom;
    const perLine = Math.max(1, Math.floor((maxWidth - labelW + GAP) / (tw + GAP)));
    const lines = Math.ceil(r.tiles.length / perLine);
    const labels = r.cellLabels ? GLYPH_HEIGHT + 6 : 0;
    return { tw, th, perLine, height: Math.max(lines * (th + GAP) - GAP + labels, 2 * lineH + 4) };
  });
  const width = Math.max(...layouts.map((l, i) => labelW + Math.min(rows[i].tiles.length, l.perLine) * (l.tw + GAP))) + 12;
  const top = lineH + 16;
  const height = top + layouts.reduce((s, l) => s + l.height + 14, 0);
  const canvas = new Canvas(Math.max(width, textWidth(title, scale) + 24), height);
  canvas.text(12, 8, title, BLACK, scale);
  let y = top;
  rows.forEach((r, i) => {
    const l = layouts[i];
    canvas.text(12, y, r.name, LABEL_COLOR, scale);
    canvas.text(12, y + lineH + 4, r.detail, SHAPE_COLOR, 1);
    r.tiles.forEach((t, k) => {
      const x = labelW + (k % l.perLine) * (l.tw + GAP);
      const ty = y + Math.floor(k / l.perLine) * (l.th + GAP);
      canvas.drawGray(x, ty, t.gray, t.w, t.h, r.zoom);
      canvas.strokeRect(x - 1, ty - 1, l.tw + 2, l.th + 2, FRAME);
      if (r.cellLabels) {
        for (let c = 0; c < t.w; c++) canvas.textCentered(x + (c + 0.5) * r.zoom, ty + l.th + 4, String(c), SHAPE_COLOR, 1);
      }
    });
    y += l.height + 14;
  });
  return canvas.toImage();
}

/** featuremaps.png: one row per layer (input first), each map of a layer as a gray tile. */
export function featureMapGrid(layers: FeatureMaps[], options: { title?: string; tileSize?: number; maxWidth?: number } = {}): Image {
  if (layers.length === 0) throw new RangeError('featureMapGrid: no layers given');
  const target = options.tileSize ?? 56;
  return drawRows(layers.map((l) => rowOf(l, target)), options.title ?? 'Feature maps', options.maxWidth ?? 1200);
}

/**
 * filters.png: first-layer kernels [O, C, KH, KW], each upscaled and normalised on its own;
 * one tile per output channel (RGB when C = 3, else one gray tile per input channel).
 */
export function filterGrid(weights: Float32Array, shape: readonly number[], options: { title?: string; tileSize?: number } = {}): Image {
  const [o, c, kh, kw] = shape;
  if (shape.length !== 4 || weights.length !== o * c * kh * kw) {
    throw new RangeError(`filterGrid: weights must be [O, C, KH, KW] with matching data, got shape [${shape}] and ${weights.length} values`);
  }
  const zoom = zoomFor(kh, kw, options.tileSize ?? 60);
  const title = options.title ?? `conv1 filters (${o}@${c}x${kh}x${kw})`;
  if (c !== 3) {
    const rows: Row[] = Array.from({ length: c }, (_, ci) => ({
      name: c === 1 ? 'conv1' : `in ${ci}`,
      detail: `${o} kernels ${kh}x${kw}`,
      tiles: Array.from({ length: o }, (_, oi) => {
        const start = (oi * c + ci) * kh * kw;
        return { gray: normalizeToBytes(weights.subarray(start, start + kh * kw)), w: kw, h: kh };
      }),
      zoom,
    }));
    return drawRows(rows, title, 1100);
  }
  return rgbFilterGrid(weights, o, kh, kw, zoom, title);
}

function rgbFilterGrid(weights: Float32Array, o: number, kh: number, kw: number, zoom: number, title: string): Image {
  const tile = kw * zoom;
  const perLine = Math.max(1, Math.floor(1000 / (tile + GAP)));
  const lines = Math.ceil(o / perLine);
  const top = GLYPH_HEIGHT * 2 + 16;
  const canvas = new Canvas(24 + Math.min(o, perLine) * (tile + GAP), top + lines * (kh * zoom + GAP) + 12);
  canvas.text(12, 8, title, BLACK, 2);
  for (let oi = 0; oi < o; oi++) {
    const bytes = normalizeToBytes(weights.subarray(oi * 3 * kh * kw, (oi + 1) * 3 * kh * kw));
    const x0 = 12 + (oi % perLine) * (tile + GAP);
    const y0 = top + Math.floor(oi / perLine) * (kh * zoom + GAP);
    for (let j = 0; j < kh; j++) {
      for (let i = 0; i < kw; i++) {
        const p = j * kw + i;
        canvas.fillRect(x0 + i * zoom, y0 + j * zoom, zoom, zoom, [bytes[p], bytes[kh * kw + p], bytes[2 * kh * kw + p]]);
      }
    }
  }
  return canvas.toImage();
}
