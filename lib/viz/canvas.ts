// An RGB raster with the few primitives the plots need: rectangles, lines, dots and text.
import type { Image } from '../io/png';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font';

export type Color = readonly [number, number, number];

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Color = WHITE) {
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.data = new Uint8Array(this.width * this.height * 3);
    this.fillRect(0, 0, this.width, this.height, background);
  }

  setPixel(x: number, y: number, color: Color): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const p = (y * this.width + x) * 3;
    this.data[p] = color[0];
    this.data[p + 1] = color[1];
    this.data[p + 2] = color[2];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let j = y0; j < y1; j++) for (let i = x0; i < x1; i++) this.setPixel(i, j, color);
  }

  strokeRect(x: number, y: number, w: number, h: number, color: Color): void {
    this.fillRect(x, y, w, 1, color);
    this.fillRect(x, y + h - 1, w, 1, color);
    this.fillRect(x, y, 1, h, color);
    this.fillRect(x + w - 1, y, 1, h, color);
  }

  /** A line `thickness` pixels wide; `dash` draws every other run of that many pixels. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1, dash = 0): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.fillRect(x - r, y - r, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y); `vertical` runs it bottom-to-top from (x, y). */
  text(x: number, y: number, text: string, color: Color = BLACK, scale = 1, vertical = false): void {
    [...text].forEach((ch, k) => {
      const rows = glyph(ch);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (!(rows[row] & (0x10 >> col))) continue;
          const u = (k * ADVANCE + col) * scale;
          const v = row * scale;
          if (vertical) this.fillRect(x + v, y - u - scale, scale, scale, color);
          else this.fillRect(x + u, y + v, scale, scale, color);
        }
      }
    });
  }

  /** Text centred horizontally on x. */
  textCentered(x: number, y: number, text: string, color: Color = BLACK, scale = 1): void {
    this.text(x - textWidth(text, scale) / 2, y, text, color, scale);
  }

  /** Copies gray values (0..255, row-major w x h) scaled up by an integer factor. */
  drawGray(x: number, y: number, gray: Uint8Array, w: number, h: number, zoom: number): void {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const g = gray[j * w + i];
        this.fillRect(x + i * zoom, y + j * zoom, zoom, zoom, [g, g, g]);
      }
    }
  }

  toImage(): Image {
    return { width: this.width, height: this.height, channels: 3, data: this.data };
  }
}
