// A picture of a digit (any size, any PNG colour type) to the bundled digits' format: white ink
// on black, 28x28, values in [0, 1]. Larger pictures are prepared as MNIST's were: the ink's
// bounding box is scaled to fit 20x20 and centred by its centre of mass in the 28x28 frame.
import { Tensor } from '../tensor';
import { toGray, type Image } from '../io/png';

const SIDE = 28;
const BOX = 20;

/** Gray in [0, 1] with ink high: dark-on-light pictures (mean above half) are inverted. */
function inkOf(image: Image): Float32Array {
  const gray = toGray(image);
  let sum = 0;
  for (const g of gray) sum += g;
  const invert = sum / gray.length > 127.5;
  return Float32Array.from(gray, (g) => (invert ? 255 - g : g) / 255);
}

/** Area-average resampling of the w x h window at (x0, y0) of `src` (width sw) to dw x dh. */
function resample(src: Float32Array, sw: number, x0: number, y0: number, w: number, h: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh);
  for (let j = 0; j < dh; j++) {
    for (let i = 0; i < dw; i++) {
      const ya = y0 + (j * h) / dh;
      const yb = y0 + ((j + 1) * h) / dh;
      const xa = x0 + (i * w) / dw;
      const xb = x0 + ((i + 1) * w) / dw;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          sum += src[y * sw + x] * wx * wy;
          area += wx * wy;
        }
      }
      out[j * dw + i] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** The image as a tensor [1, 1, 28, 28]; a 28x28 image is only converted to gray and inverted if light. */
export function digitFromImage(image: Image): Tensor {
  const { width, height } = image;
  const ink = inkOf(image);
  if (width === SIDE && height === SIDE) return new Tensor(ink, [1, 1, SIDE, SIDE]);
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.2) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) throw new RangeError(`the ${width}x${height} image is blank: no digit found (expected dark ink on light paper or light on dark)`);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);
  const dw = Math.max(1, Math.round(w * scale));
  const dh = Math.max(1, Math.round(h * scale));
  const small = resample(ink, width, x0, y0, w, h, dw, dh);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  small.forEach((v, k) => {
    mass += v;
    cx += v * (k % dw);
    cy += v * Math.floor(k / dw);
  });
  const left = Math.min(SIDE - dw, Math.max(0, Math.round(SIDE / 2 - 0.5 - cx / mass)));
  const top = Math.min(SIDE - dh, Math.max(0, Math.round(SIDE / 2 - 0.5 - cy / mass)));
  const out = new Float32Array(SIDE * SIDE);
  for (let j = 0; j < dh; j++) for (let i = 0; i < dw; i++) out[(top + j) * SIDE + left + i] = small[j * dw + i];
  return new Tensor(out, [1, 1, SIDE, SIDE]);
}

/** A [.., 28, 28] slice in [0, 1] back to an 8-bit gray image (for saving a test digit). */
export function digitToImage(pixels: Float32Array, side = SIDE): Image {
  return { width: side, height: side, channels: 1, data: Uint8Array.from(pixels.subarray(0, side * side), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) };
}
