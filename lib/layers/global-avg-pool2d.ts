// Global average pooling: [N, C, H, W] -> [N, C] (Keras' GlobalAveragePooling2D; keepDims gives
// [N, C, 1, 1] like PyTorch's AdaptiveAvgPool2d(1)).
import { formatShape, type Shape, type Tensor } from '../tensor';
import { globalAvgPool2d, globalAvgPool2dBackward } from '../ops/pool';
import { Layer, type LayerArgs, type LayerConfig } from './layer';

export interface GlobalAvgPool2DArgs extends LayerArgs {
  keepDims?: boolean;
}

export class GlobalAvgPool2D extends Layer {
  static override readonly className = 'GlobalAvgPool2D';
  readonly keepDims: boolean;

  constructor(args: GlobalAvgPool2DArgs = {}) {
    super(args);
    this.keepDims = args.keepDims ?? false;
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 3) this.fail(`expects input [C, H, W], got ${formatShape(x)}`);
    return this.keepDims ? [x[0], 1, 1] : [x[0]];
  }

  protected call([x]: readonly Tensor[]): Tensor {
    const N = x.shape[0];
    const y = this.outputBuffer(N);
    // The op writes [N, C, 1, 1]: a view of the [N, C] output, made once per batch size.
    globalAvgPool2d(x, this.batchBuffers(N, () => y.reshape([N, y.shape[1], 1, 1]), 'y4'));
    return y;
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    if (!needDx) return [null];
    const N = dy.shape[0];
    const dy4 = this.keepDims ? dy : dy.reshape([N, this.outputShape![0], 1, 1]);
    return [globalAvgPool2dBackward(dy4, this.lastInputs[0].shape, this.inputGrad(N))];
  }

  protected layerConfig(): LayerConfig {
    return { keepDims: this.keepDims };
  }
}
