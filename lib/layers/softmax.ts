// y = exp(x_k) / Σ_j exp(x_j) over the features of each sample (input [N, K]). For training with
// a cross-entropy loss, output logits instead and use the softmaxCrossEntropy loss (stabler).
import { formatShape, type Shape, type Tensor } from '../tensor';
import { softmax, softmaxBackward } from '../ops/activations';
import { Activation } from './activation';

export class Softmax extends Activation {
  static override readonly className = 'Softmax';

  protected override inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 1) this.fail(`expects input [features], got ${formatShape(x)} (add a Flatten layer before it)`);
    return x;
  }

  protected apply1(x: Tensor, out: Tensor): Tensor {
    return softmax(x, out);
  }

  protected backward1(_x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): Tensor {
    return softmaxBackward(y, dy, dx);
  }
}
