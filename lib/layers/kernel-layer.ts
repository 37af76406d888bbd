// What Conv2D and Dense share: a kernel (initialized, optionally regularized) and an optional
// bias (initialized, never regularized), and the options and config entries behind them.
import type { Shape } from '../tensor';
import type { Parameter, Penalty } from '../parameter';
import { serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers';
import { Layer, checkBoolean, initializerOption, toPenalty, type LayerArgs, type LayerConfig, type RegularizerLike, type WeightSpec } from './layer';

export interface KernelLayerArgs extends LayerArgs {
  useBias?: boolean;
  /** Default glorotUniform (Keras). */
  kernelInitializer?: InitializerIdentifier;
  /** Default zeros. */
  biasInitializer?: InitializerIdentifier;
  /** Penalty on the kernel: a regularizer (regularizers.l2(0.01)) or {l1, l2}. */
  kernelRegularizer?: RegularizerLike;
}

export abstract class KernelLayer extends Layer {
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelPenalty: Penalty | null;

  constructor(args: KernelLayerArgs) {
    super(args);
    const what = this.className;
    this.useBias = checkBoolean(args.useBias ?? true, `${what} useBias`);
    this.kernelInitializer = initializerOption(args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = initializerOption(args.biasInitializer, 'zeros');
    this.kernelPenalty = toPenalty(args.kernelRegularizer, `${what} kernelRegularizer`);
  }

  /** The kernel's shape for this input; the bias has one entry per output channel or unit. */
  protected abstract kernelShape(input: Shape): Shape;

  protected override weightSpecs([x]: readonly Shape[]): WeightSpec[] {
    const kernel = this.kernelShape(x);
    const specs: WeightSpec[] = [{ name: 'kernel', shape: kernel, initializer: this.kernelInitializer, penalty: this.kernelPenalty }];
    if (this.useBias) specs.push({ name: 'bias', shape: [kernel[0]], initializer: this.biasInitializer });
    return specs;
  }

  protected get kernel(): Parameter {
    return this.param(0);
  }

  protected get bias(): Parameter | null {
    return this.useBias ? this.param(1) : null;
  }

  protected kernelConfig(): LayerConfig {
    return {
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: this.kernelPenalty,
    };
  }
}
