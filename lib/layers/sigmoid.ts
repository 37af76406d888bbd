// y = 1 / (1 + exp(-x)) elementwise.
import type { Tensor } from '../tensor';
import { sigmoid, sigmoidBackward } from '../ops/activations';
import { Activation } from './activation';

export class Sigmoid extends Activation {
  static override readonly className = 'Sigmoid';

  protected apply1(x: Tensor, out: Tensor): Tensor {
    return sigmoid(x, out);
  }

  protected backward1(_x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): Tensor {
    return sigmoidBackward(y, dy, dx);
  }
}
