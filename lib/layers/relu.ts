// y = max(x, 0) elementwise.
import type { Tensor } from '../tensor';
import { relu, reluBackward } from '../ops/activations';
import { Activation } from './activation';

export class ReLU extends Activation {
  static override readonly className = 'ReLU';

  protected apply1(x: Tensor, out: Tensor): Tensor {
    return relu(x, out);
  }

  protected backward1(x: Tensor, _y: Tensor, dy: Tensor, dx: Tensor): Tensor {
    return reluBackward(x, dy, dx);
  }
}
