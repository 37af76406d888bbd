// Inverted dropout: in training, each element is zeroed with probability `rate` and the rest are
// scaled by 1/(1 - rate); at inference the layer is the identity.
//
// Masks are reproducible: the mask of a call depends on the layer's seed and either the call's
// `seed` option (the training loop passes one per batch) or, without it, a per-layer call counter.
import { type Shape, type Tensor } from '../tensor';
import { dropout, dropoutBackward } from '../ops/dropout';
import type { Random } from '../random';
import { Layer, type ForwardContext, type LayerArgs, type LayerConfig } from './layer';
import { fraction } from './options';

export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** Default: drawn from the model's generator when the layer is built. */
  seed?: number | null;
}

/** A 32-bit hash of two 32-bit integers (murmur3 finalizer over a combination). */
export function mixSeeds(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ Math.imul(b >>> 0, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Dropout extends Layer {
  static override readonly className = 'Dropout';
  readonly rate: number;
  seed: number | undefined;
  private calls = 0;
  private trainingCall = false;

  constructor(args: DropoutArgs) {
    super(args);
    this.rate = fraction(args.rate, 'Dropout rate');
    const seed = args.seed ?? undefined;
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
      throw new RangeError(`Dropout seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.seed = seed;
  }

  protected override onBuild(random: Random): void {
    this.seed ??= random.uint32();
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    return x;
  }

  private mask(N: number): Uint8Array {
    return this.batchBuffers(N, () => new Uint8Array(N * this.outputShape!.reduce((a, b) => a * b, 1)));
  }

  protected call([x]: readonly Tensor[], { training, seed }: ForwardContext): Tensor {
    this.trainingCall = training && this.rate > 0;
    if (!this.trainingCall) return x;
    const N = x.shape[0];
    const callSeed = mixSeeds(this.seed!, seed ?? this.calls++);
    return dropout(x, this.rate, callSeed, { out: this.outputBuffer(N), mask: this.mask(N) }).y;
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    if (!needDx) return [null];
    if (!this.trainingCall) return [dy];
    const N = dy.shape[0];
    return [dropoutBackward(dy, this.mask(N), this.rate, this.inputGrad(N))];
  }

  protected layerConfig(): LayerConfig {
    return { rate: this.rate, seed: this.seed ?? null };
  }
}
