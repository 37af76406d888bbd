// y = tanh(x) elementwise.
import type { Tensor } from '../tensor';
import { tanh, tanhBackward } from '../ops/activations';
import { Activation } from './activation';

export class Tanh extends Activation {
  static override readonly className = 'Tanh';

  protected apply1(x: Tensor, out: Tensor): Tensor {
    return tanh(x, out);
  }

  protected backward1(_x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): Tensor {
    return tanhBackward(y, dy, dx);
  }
}
