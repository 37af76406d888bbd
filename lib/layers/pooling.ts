// What max and average pooling share: the window options and the output shape.
import { formatShape, type Shape } from '../tensor';
import { pool2dOutputShape } from '../ops/pool';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import { oneOf, pair, type Pair, type PairLike } from './options';

export interface Pool2DArgs extends LayerArgs {
  /** Window size (`kernelSize` is accepted too, PyTorch's spelling). */
  poolSize?: PairLike;
  kernelSize?: PairLike;
  /** Default: the window size (`stride` is accepted too). */
  strides?: PairLike;
  stride?: PairLike;
  /** Zero padding per side, or 'valid' (none, the default). */
  padding?: PairLike | 'valid';
}

export abstract class Pool2D extends Layer {
  readonly poolSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;

  constructor(args: Pool2DArgs) {
    super(args);
    const what = this.className;
    const size = oneOf(args.poolSize, args.kernelSize);
    if (size === undefined) throw new RangeError(`${what} needs poolSize (or kernelSize)`);
    this.poolSize = pair(size, `${what} poolSize`);
    this.stride = pair(oneOf(args.strides, args.stride, this.poolSize), `${what} strides`);
    this.padding = args.padding === 'valid' || args.padding === undefined ? [0, 0] : pair(args.padding, `${what} padding`, 0);
  }

  protected get window() {
    return { kernelSize: this.poolSize, stride: this.stride, padding: this.padding };
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 3) this.fail(`expects input [C, H, W], got ${formatShape(x)}`);
    try {
      return pool2dOutputShape([1, ...x], this.window).slice(1);
    } catch (e) {
      this.fail(`window ${formatShape(this.poolSize)} does not fit input ${formatShape(x)}: ${(e as Error).message}`);
    }
  }

  protected layerConfig(): LayerConfig {
    return { poolSize: this.poolSize, strides: this.stride, padding: this.padding };
  }
}
