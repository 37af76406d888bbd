// 2-D convolution over NCHW batches with an OIHW kernel [filters, C/groups, KH, KW] and a bias.
import { Tensor, formatShape, zeros, type Shape } from '../tensor';
import { conv2d, conv2dBackward, conv2dOutputShape } from '../ops/conv';
import { serializeInitializer, type InitializerIdentifier } from '../initializers';
import { Layer, initializerOption, toPenalty, type LayerArgs, type LayerConfig, type RegularizerLike, type WeightSpec } from './layer';
import { oneOf, pair, padding, positiveInt, type Padding, type Pair, type PairLike } from './options';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: PairLike;
  /** Default 1 (`strides` is accepted too, Keras' spelling). */
  stride?: PairLike;
  strides?: PairLike;
  /** Zero padding per side, 'valid' (none, the default) or 'same'. */
  padding?: PairLike | 'same' | 'valid';
  dilation?: PairLike;
  dilationRate?: PairLike;
  groups?: number;
  useBias?: boolean;
  /** Default glorotUniform (Keras). */
  kernelInitializer?: InitializerIdentifier;
  /** Default zeros. */
  biasInitializer?: InitializerIdentifier;
  /** Penalty on the kernel (biases are never regularized). */
  kernelRegularizer?: RegularizerLike;
}

export class Conv2D extends Layer {
  static override readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Padding;
  readonly dilation: Pair;
  readonly groups: number;
  readonly useBias: boolean;
  private readonly args: Conv2DArgs;

  constructor(args: Conv2DArgs) {
    super(args);
    this.args = args;
    this.filters = positiveInt(args.filters, 'Conv2D filters');
    this.kernelSize = pair(args.kernelSize, 'Conv2D kernelSize');
    this.stride = pair(oneOf(args.stride, args.strides, 1), 'Conv2D stride');
    this.padding = padding(args.padding ?? 'valid', 'Conv2D padding');
    this.dilation = pair(oneOf(args.dilation, args.dilationRate, 1), 'Conv2D dilation');
    this.groups = positiveInt(args.groups ?? 1, 'Conv2D groups');
    this.useBias = args.useBias ?? true;
    if (this.filters % this.groups !== 0) this.fail(`filters (${this.filters}) must be divisible by groups (${this.groups})`);
    initializerOption(args.kernelInitializer, 'glorotUniform');
    initializerOption(args.biasInitializer, 'zeros');
    toPenalty(args.kernelRegularizer, 'Conv2D kernelRegularizer');
  }

  private get opts() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  private kernelShape(C: number): Shape {
    return [this.filters, C / this.groups, ...this.kernelSize];
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 3) this.fail(`expects input [C, H, W], got ${formatShape(x)}`);
    if (x[0] % this.groups !== 0) this.fail(`input channels ${x[0]} (input ${formatShape(x)}) must be divisible by groups (${this.groups})`);
    try {
      return conv2dOutputShape([1, ...x], this.kernelShape(x[0]), this.opts).slice(1);
    } catch (e) {
      this.fail(`kernel ${formatShape(this.kernelShape(x[0]))} does not fit input ${formatShape(x)}: ${(e as Error).message}`);
    }
  }

  protected override weightSpecs([x]: readonly Shape[]): WeightSpec[] {
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: this.kernelShape(x[0]),
        initializer: initializerOption(this.args.kernelInitializer, 'glorotUniform'),
        penalty: toPenalty(this.args.kernelRegularizer, 'Conv2D kernelRegularizer'),
      },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], initializer: initializerOption(this.args.biasInitializer, 'zeros') });
    return specs;
  }

  protected call([x]: readonly Tensor[]): Tensor {
    const N = x.shape[0];
    const { y } = this.io(N);
    return conv2d(x, this.param(0).value, this.useBias ? this.param(1).value : null, { ...this.opts, out: y });
  }


  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    const dx = this.io(dy.shape[0]).dx[0];
    const kernel = this.param(0);
    const bias = this.useBias ? this.param(1) : null;
    // Without a bias the kernel still computes db: give it a scratch instead of a new tensor per step.
    const db = bias ? bias.grad : this.batchBuffers(0, () => zeros([this.filters]), 'db');
    conv2dBackward(this.lastInputs[0], kernel.value, dy, { ...this.opts, dx, dw: kernel.grad, db, needDx });
    return [needDx ? dx : null];
  }

  protected layerConfig(): LayerConfig {
    const kernel = initializerOption(this.args.kernelInitializer, 'glorotUniform');
    const bias = initializerOption(this.args.biasInitializer, 'zeros');
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(kernel),
      biasInitializer: serializeInitializer(bias),
      kernelRegularizer: toPenalty(this.args.kernelRegularizer, 'Conv2D kernelRegularizer'),
    };
  }
}
