// Max pooling over NCHW batches; backward routes dy to the argmax of each window.
import type { Tensor } from '../tensor';
import { maxPool2d, maxPool2dBackward } from '../ops/pool';
import { Pool2D, type Pool2DArgs } from './pooling';

export class MaxPool2D extends Pool2D {
  static override readonly className = 'MaxPool2D';

  constructor(args: Pool2DArgs) {
    super(args);
  }

  private indices(N: number): Int32Array {
    return this.batchBuffers(N, () => new Int32Array(N * this.outputShape!.reduce((a, b) => a * b, 1)));
  }

  protected call([x]: readonly Tensor[]): Tensor {
    const N = x.shape[0];
    return maxPool2d(x, { ...this.window, out: this.outputBuffer(N), indices: this.indices(N) }).y;
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    if (!needDx) return [null];
    const N = dy.shape[0];
    return [maxPool2dBackward(dy, this.indices(N), this.lastInputs[0].shape, this.inputGrad(N))];
  }
}
