// Flattens each sample: [N, d1, d2, ...] -> [N, d1·d2·...] (a view, no copy).
import { type Shape, type Tensor } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig } from './layer';

export class Flatten extends Layer {
  static override readonly className = 'Flatten';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    return [x.reduce((a, b) => a * b, 1)];
  }

  protected call([x]: readonly Tensor[]): Tensor {
    return x.reshape([x.shape[0], this.outputShape![0]]);
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    return [needDx ? dy.reshape(this.lastInputs[0].shape) : null];
  }

  protected layerConfig(): LayerConfig {
    return {};
  }
}
