// Fully connected layer: y = x Wᵀ + b with W [units, inFeatures] (PyTorch's Linear layout).
import { formatShape, type Shape, type Tensor } from '../tensor';
import { linear, linearBackward } from '../ops/matmul';
import type { LayerConfig } from './layer';
import { KernelLayer, type KernelLayerArgs } from './kernel-layer';
import { positiveInt } from './options';

export interface DenseArgs extends KernelLayerArgs {
  units: number;
}

export class Dense extends KernelLayer {
  static override readonly className = 'Dense';
  readonly units: number;

  constructor(args: DenseArgs) {
    super(args);
    this.units = positiveInt(args.units, 'Dense units');
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 1) this.fail(`expects input [features], got ${formatShape(x)} (add a Flatten layer before it)`);
    return [this.units];
  }

  protected kernelShape([inFeatures]: Shape): Shape {
    return [this.units, inFeatures];
  }

  protected call([x]: readonly Tensor[]): Tensor {
    return linear(x, this.kernel.value, this.bias?.value ?? null, this.outputBuffer(x.shape[0]));
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    const dx = this.inputGrad(dy.shape[0]);
    linearBackward(this.lastInputs[0], this.kernel.value, dy, { dx, dw: this.kernel.grad, db: this.bias?.grad, needDx });
    return [needDx ? dx : null];
  }

  protected layerConfig(): LayerConfig {
    return { units: this.units, ...this.kernelConfig() };
  }
}
