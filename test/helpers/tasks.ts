// Synthetic image tasks for training tests, and small CNNs for them.
import { Tensor } from '../../lib';
import { Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU } from '../../lib/layers';
import { sequential } from '../../lib/sequential';
import { rng } from './random';

/**
 * 8x8 noisy images, one quadrant brighter than the rest: the label is that quadrant (0..3,
 * row-major). Noise is uniform in [0, 0.5), the bright quadrant adds 0.5.
 */
export function quadrants(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const random = rng(seed);
  const x = new Tensor(new Float32Array(n * 64), [n, 1, 8, 8]);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const q = Math.floor(random() * 4);
    y[i] = q;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) {
      const inside = Math.floor(r / 4) * 2 + Math.floor(c / 4) === q;
      x.data[i * 64 + r * 8 + c] = random() * 0.5 + (inside ? 0.5 : 0);
    }
  }
  return { x, y };
}

/** conv 3x3 (8) - relu - maxpool 2 - dropout - dense 4 (logits). */
export function smallCnn(seed = 1, dropout = 0.1) {
  return sequential([
    new Conv2D({ filters: 8, kernelSize: 3, padding: 'same' }),
    new ReLU(),
    new MaxPool2D({ poolSize: 2 }),
    new Flatten(),
    new Dropout({ rate: dropout }),
    new Dense({ units: 4 }),
  ], { inputShape: [1, 8, 8], name: 'small-cnn', seed });
}
