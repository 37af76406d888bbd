// The Inception module of GoogLeNet (Szegedy et al. 2014, "Going deeper with convolutions", fig. 2b):
// four branches over the same input, joined by channel concatenation:
//   1x1 conv | 1x1 reduce -> 3x3 conv | 1x1 reduce -> 5x5 conv | 3x3 max pool (stride 1) -> 1x1 proj
// every convolution followed by ReLU (or BatchNorm then ReLU with batchNorm: true), 'same' sizes,
// so the output is [f1x1 + f3x3 + f5x5 + poolProj, H, W].
import type { SymbolicTensor } from '../symbolic-tensor';
import { BatchNorm2D, Concat, Conv2D, MaxPool2D, ReLU } from '../layers';
import { positiveInt } from '../layers/options';
import { checkName } from '../symbolic-tensor';
import type { InitializerIdentifier } from '../initializers';

export interface InceptionArgs {
  /** Filters of the 1x1 branch (#1x1 in the paper's table). */
  filters1x1: number;
  /** 1x1 reduction before the 3x3 convolution (#3x3 reduce). */
  reduce3x3: number;
  filters3x3: number;
  /** 1x1 reduction before the 5x5 convolution (#5x5 reduce). */
  reduce5x5: number;
  filters5x5: number;
  /** 1x1 projection after the 3x3 max pool (pool proj). */
  poolProj: number;
  /** Prefix of the layer names: '<name>_1x1', '<name>_3x3_reduce', ..., '<name>_output'. */
  name: string;
  /** Conv (no bias) -> BatchNorm -> ReLU instead of the paper's conv -> ReLU. Default false. */
  batchNorm?: boolean;
  kernelInitializer?: InitializerIdentifier;
}

export interface ConvBlockArgs {
  filters: number;
  kernelSize: number;
  stride?: number;
  name: string;
  batchNorm?: boolean;
  kernelInitializer?: InitializerIdentifier;
}

/** Conv2D ('same'-sized for stride 1: padding (k-1)/2) -> [BatchNorm] -> ReLU, named name, name_bn, name_relu. */
export function convBlock(x: SymbolicTensor, { filters, kernelSize, stride = 1, name, batchNorm = false, kernelInitializer = 'heNormal' }: ConvBlockArgs): SymbolicTensor {
  const padding = (kernelSize - 1) >> 1;
  const conv = new Conv2D({ filters, kernelSize, strides: stride, padding, useBias: !batchNorm, kernelInitializer, name }).apply(x);
  const normed = batchNorm ? new BatchNorm2D({ name: `${name}_bn` }).apply(conv) : conv;
  return new ReLU({ name: `${name}_relu` }).apply(normed);
}

/** The number of output channels of a module. */
export function inceptionChannels(a: Pick<InceptionArgs, 'filters1x1' | 'filters3x3' | 'filters5x5' | 'poolProj'>): number {
  return a.filters1x1 + a.filters3x3 + a.filters5x5 + a.poolProj;
}

/** An Inception module: inceptionModule({...}).apply(x) -> [channels, H, W]. */
export function inceptionModule(args: InceptionArgs): { readonly channels: number; apply(x: SymbolicTensor): SymbolicTensor } {
  const name = checkName(args.name, 'inceptionModule name');
  const sizes = (['filters1x1', 'reduce3x3', 'filters3x3', 'reduce5x5', 'filters5x5', 'poolProj'] as const).map((k) => positiveInt(args[k], `inceptionModule ${k}`));
  const [f1, r3, f3, r5, f5, pp] = sizes;
  const common = { batchNorm: args.batchNorm ?? false, kernelInitializer: args.kernelInitializer };
  return {
    channels: f1 + f3 + f5 + pp,
    apply(x: SymbolicTensor): SymbolicTensor {
      const conv = (t: SymbolicTensor, filters: number, kernelSize: number, suffix: string) => convBlock(t, { filters, kernelSize, name: `${name}_${suffix}`, ...common });
      const b1 = conv(x, f1, 1, '1x1');
      const b3 = conv(conv(x, r3, 1, '3x3_reduce'), f3, 3, '3x3');
      const b5 = conv(conv(x, r5, 1, '5x5_reduce'), f5, 5, '5x5');
      const pooled = new MaxPool2D({ poolSize: 3, strides: 1, padding: 1, name: `${name}_pool` }).apply(x);
      const bp = conv(pooled, pp, 1, 'pool_proj');
      return new Concat({ name: `${name}_output` }).apply([b1, b3, b5, bp]);
    },
  };
}
