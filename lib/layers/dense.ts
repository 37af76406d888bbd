// Fully connected layer: y = x Wᵀ + b with W [units, inFeatures] (PyTorch's Linear layout).
import { Tensor, formatShape, type Shape } from '../tensor';
import { linear, linearBackward } from '../ops/matmul';
import { serializeInitializer, type InitializerIdentifier } from '../initializers';
import { Layer, initializerOption, toPenalty, type LayerArgs, type LayerConfig, type RegularizerLike, type WeightSpec } from './layer';
import { positiveInt } from './options';

export interface DenseArgs extends LayerArgs {
  units: number;
  useBias?: boolean;
  /** Default glorotUniform (Keras). */
  kernelInitializer?: InitializerIdentifier;
  /** Default zeros. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerLike;
}

export class Dense extends Layer {
  static override readonly className = 'Dense';
  readonly units: number;
  readonly useBias: boolean;
  private readonly args: DenseArgs;
  constructor(args: DenseArgs) {
    super(args);
    this.args = args;
    this.units = positiveInt(args.units, 'Dense units');
    this.useBias = args.useBias ?? true;
    initializerOption(args.kernelInitializer, 'glorotUniform');
    initializerOption(args.biasInitializer, 'zeros');
    toPenalty(args.kernelRegularizer, 'Dense kernelRegularizer');
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 1) this.fail(`expects input [features], got ${formatShape(x)} (add a Flatten layer before it)`);
    return [this.units];
  }

  protected override weightSpecs([x]: readonly Shape[]): WeightSpec[] {
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: [this.units, x[0]],
        initializer: initializerOption(this.args.kernelInitializer, 'glorotUniform'),
        penalty: toPenalty(this.args.kernelRegularizer, 'Dense kernelRegularizer'),
      },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units], initializer: initializerOption(this.args.biasInitializer, 'zeros') });
    return specs;
  }


  protected call([x]: readonly Tensor[]): Tensor {
    return linear(x, this.param(0).value, this.useBias ? this.param(1).value : null, this.io(x.shape[0]).y);
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    const dx = this.io(dy.shape[0]).dx[0];
    const kernel = this.param(0);
    const bias = this.useBias ? this.param(1) : null;
    linearBackward(this.lastInputs[0], kernel.value, dy, { dx, dw: kernel.grad, db: bias?.grad, needDx });
    return [needDx ? dx : null];
  }

  protected layerConfig(): LayerConfig {
    return {
      units: this.units,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(initializerOption(this.args.kernelInitializer, 'glorotUniform')),
      biasInitializer: serializeInitializer(initializerOption(this.args.biasInitializer, 'zeros')),
      kernelRegularizer: toPenalty(this.args.kernelRegularizer, 'Dense kernelRegularizer'),
    };
  }
}
