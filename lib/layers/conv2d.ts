// 2-D convolution over NCHW batches with an OIHW kernel [filters, C/groups, KH, KW] and a bias.
import { formatShape, type Shape, type Tensor } from '../tensor';
import { conv2d, conv2dBackward, conv2dOutputShape } from '../ops/conv';
import type { LayerConfig } from './layer';
import { KernelLayer, type KernelLayerArgs } from './kernel-layer';
import { oneOf, pair, padding, positiveInt, type Padding, type Pair, type PairLike } from './options';

export interface Conv2DArgs extends KernelLayerArgs {
  filters: number;
  kernelSize: PairLike;
  /** Default 1 (`strides` is accepted too, Keras' spelling). */
  stride?: PairLike;
  strides?: PairLike;
  /** Zero padding per side, 'valid' (none, the default) or 'same'. */
  padding?: PairLike | 'same' | 'valid';
  /** Default 1 (`dilationRate` is accepted too). */
  dilation?: PairLike;
  dilationRate?: PairLike;
  groups?: number;
}

export class Conv2D extends KernelLayer {
  static override readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Padding;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(args: Conv2DArgs) {
    super(args);
    this.filters = positiveInt(args.filters, 'Conv2D filters');
    this.kernelSize = pair(args.kernelSize, 'Conv2D kernelSize');
    this.stride = pair(oneOf(args.stride, args.strides, 1), 'Conv2D stride');
    this.padding = padding(args.padding ?? 'valid', 'Conv2D padding');
    this.dilation = pair(oneOf(args.dilation, args.dilationRate, 1), 'Conv2D dilation');
    this.groups = positiveInt(args.groups ?? 1, 'Conv2D groups');
    if (this.filters % this.groups !== 0) this.fail(`filters (${this.filters}) must be divisible by groups (${this.groups})`);
  }

  private get opts() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  protected kernelShape([C]: Shape): Shape {
    return [this.filters, C / this.groups, ...this.kernelSize];
  }

  protected inferShape([x]: readonly Shape[]): Shape {
    if (x.length !== 3) this.fail(`expects input [C, H, W], got ${formatShape(x)}`);
    if (x[0] % this.groups !== 0) this.fail(`input channels ${x[0]} (input ${formatShape(x)}) must be divisible by groups (${this.groups})`);
    try {
      return conv2dOutputShape([1, ...x], this.kernelShape(x), this.opts).slice(1);
    } catch (e) {
      this.fail(`kernel ${formatShape(this.kernelShape(x))} does not fit input ${formatShape(x)}: ${(e as Error).message}`);
    }
  }

  protected call([x]: readonly Tensor[]): Tensor {
    return conv2d(x, this.kernel.value, this.bias?.value ?? null, { ...this.opts, out: this.outputBuffer(x.shape[0]) });
  }

  protected grad(dy: Tensor, [needDx]: readonly boolean[]): (Tensor | null)[] {
    const dx = this.inputGrad(dy.shape[0]);
    const db = this.bias?.grad ?? null;
    conv2dBackward(this.lastInputs[0], this.kernel.value, dy, { ...this.opts, dx, dw: this.kernel.grad, db, needDx });
    return [needDx ? dx : null];
  }

  protected layerConfig(): LayerConfig {
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      ...this.kernelConfig(),
    };
  }
}
