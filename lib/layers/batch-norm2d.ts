// Batch normalization over the channels of NCHW batches (PyTorch's BatchNorm2d; [N, C] batches
// too, like BatchNorm1d):
// y = (x - mean_c) / √(var_c + epsilon) · gamma_c + beta_c, with batch statistics in training
// (and running statistics updated as running = (1 - momentum) running + momentum batch, PyTorch's
// convention: momentum 0.1 is Keras' 0.9), running statistics at inference. A frozen layer
// (trainable = false) always runs in inference mode, as in Keras: fine-tuning on top of a
// pre-trained base keeps the statistics the base learned.
// Weights in PyTorch state_dict order: gamma (weight), beta (bias), runningMean, runningVar.
import { formatShape, zeros, type Shape, type Tensor } from '../tensor';
import { batchNorm2d, batchNorm2dBackward } from '../ops/batchnorm';
import { getInitializer } from '../initializers';
import { Layer, type ForwardContext, type LayerArgs, type LayerConfig, type WeightSpec } from './layer';
import { fraction, positiveNumber } from './options';

export interface BatchNorm2DArgs extends LayerArgs {
  /** Weight of the batch statistics in the running averages (PyTorch convention). Default 0.1. */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
}

export class BatchNorm2D extends Layer {
  static override readonly className = 'BatchNorm2D';
  readonly momentum: number;
  readonly epsilon: number;
  private trainingCall = false;

  constructor(args: BatchNorm2DArgs = {}) {
    super(args);
    this.momentum = fraction(args.momentum ?? 0.1, 'BatchNorm2D momentum');
    this.epsilon = positiveNumber(args.epsilon ?? 1e-5, 'BatchNorm2D epsilon');
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 3 && x.length !== 1) this.fail(`expects input [C, H, W] (or [C] after a Dense layer), got ${formatShape(x)}`);
    return x;
  }

  protected override weightSpecs([x]: readonly Shape[]): WeightSpec[] {
    const C = [x[0]];
    const ones = getInitializer('ones');
    const zeros = getInitializer('zeros');
    return [
      { name: 'gamma', shape: C, initializer: ones },
      { name: 'beta', shape: C, initializer: zeros },
      { name: 'runningMean', shape: C, initializer: zeros, state: true },
      { name: 'runningVar', shape: C, initializer: ones, state: true },
    ];
  }

  /** Per-channel mean and 1/√(var + eps) of the last forward, for backward. */
  private saved() {
    const C = this.outputShape![0];
    return this.batchBuffers(0, () => ({ mean: zeros([C]), invStd: zeros([C]) }), 'saved');
  }

  protected call([x]: readonly Tensor[], { training }: ForwardContext): Tensor {
    this.trainingCall = training && this.trainable;
    const { mean, invStd } = this.saved();
    return batchNorm2d(x, this.param(0).value, this.param(1).value, this.state(0), this.state(1), {
      training: this.trainingCall,
      momentum: this.momentum,
      eps: this.epsilon,
      out: this.outputBuffer(x.shape[0]),
      saveMean: mean,
      saveInvStd: invStd,
    }).y;
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    const { mean, invStd } = this.saved();
    const dx = needDx ? this.inputGrad(dy.shape[0]) : null;
    batchNorm2dBackward(this.lastInputs[0], dy, this.param(0).value, mean, invStd, {
      training: this.trainingCall,
      dx: dx ?? undefined,
      dgamma: this.param(0).grad,
      dbeta: this.param(1).grad,
      needDx,
    });
    return [dx];
  }

  protected layerConfig(): LayerConfig {
    return { momentum: this.momentum, epsilon: this.epsilon };
  }
}
