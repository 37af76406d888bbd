// The shape-preserving activation layers: y = f(x) elementwise (or per row for Softmax), with a
// backward that needs either x or y.
import { type Shape, type Tensor } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig } from './layer';

export abstract class Activation extends Layer {
  constructor(args: LayerArgs = {}) {
    super(args);
  }

  /** y = f(x) into out. */
  protected abstract apply1(x: Tensor, out: Tensor): Tensor;
  /** dx = dy · f'(x) from x or y (whichever the activation needs) into dx. */
  protected abstract backward1(x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): Tensor;

  protected inferShape([x]: readonly Shape[]): Shape {
    return x;
  }

  protected call([x]: readonly Tensor[]): Tensor {
    return this.apply1(x, this.outputBuffer(x.shape[0]));
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    if (!needDx) return [null];
    const N = dy.shape[0];
    return [this.backward1(this.lastInputs[0], this.outputBuffer(N), dy, this.inputGrad(N))];
  }

  protected layerConfig(): LayerConfig {
    return {};
  }
}
