// Average pooling over NCHW batches (padding counts as zeros unless countIncludePad is false).
import type { Tensor } from '../tensor';
import { avgPool2d, avgPool2dBackward } from '../ops/pool';
import type { LayerConfig } from './layer';
import { Pool2D, type Pool2DArgs } from './pooling';

export interface AvgPool2DArgs extends Pool2DArgs {
  /** Divide by the full window even where it overlaps the padding (PyTorch's default, true). */
  countIncludePad?: boolean;
}

export class AvgPool2D extends Pool2D {
  static override readonly className = 'AvgPool2D';
  readonly countIncludePad: boolean;

  constructor(args: AvgPool2DArgs) {
    super(args);
    this.countIncludePad = args.countIncludePad ?? true;
  }

  private get opts() {
    return { ...this.window, countIncludePad: this.countIncludePad };
  }

  protected call([x]: readonly Tensor[]): Tensor {
    return avgPool2d(x, { ...this.opts, out: this.outputBuffer(x.shape[0]) });
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    if (!needDx) return [null];
    return [avgPool2dBackward(dy, this.lastInputs[0].shape, { ...this.opts, dx: this.inputGrad(dy.shape[0]) })];
  }

  protected override layerConfig(): LayerConfig {
    return { ...super.layerConfig(), countIncludePad: this.countIncludePad };
  }
}
