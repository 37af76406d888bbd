// The layers, and Keras-style lowercase factories: layers.conv2d({...}) = new Conv2D({...}).
import { Conv2D, type Conv2DArgs } from './conv2d';
import { MaxPool2D } from './max-pool2d';
import { AvgPool2D, type AvgPool2DArgs } from './avg-pool2d';
import { GlobalAvgPool2D, type GlobalAvgPool2DArgs } from './global-avg-pool2d';
import { Dense, type DenseArgs } from './dense';
import { Flatten } from './flatten';
import { Dropout, type DropoutArgs } from './dropout';
import { ReLU } from './relu';
import { Sigmoid } from './sigmoid';
import { Tanh } from './tanh';
import { Softmax } from './softmax';
import { Concat, type ConcatArgs } from './concat';
import { BatchNorm2D, type BatchNorm2DArgs } from './batch-norm2d';
import { Add } from './add';
import type { LayerArgs } from './layer';
import type { Pool2DArgs } from './pooling';

export { Layer } from './layer';
export { KernelLayer } from './kernel-layer';
export type { KernelLayerArgs } from './kernel-layer';
export type { LayerArgs, LayerConfig, ForwardOptions, NamedTensor, RegularizerLike } from './layer';
export { registerLayer, layerFromConfig } from './registry';
export type { Conv2DArgs, AvgPool2DArgs, GlobalAvgPool2DArgs, DenseArgs, DropoutArgs, ConcatArgs, BatchNorm2DArgs, Pool2DArgs };
export { Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Dense, Flatten, Dropout, ReLU, Sigmoid, Tanh, Softmax, Concat, BatchNorm2D, Add };

export const layers = {
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  maxPool2d: (args: Pool2DArgs) => new MaxPool2D(args),
  avgPool2d: (args: AvgPool2DArgs) => new AvgPool2D(args),
  globalAvgPool2d: (args?: GlobalAvgPool2DArgs) => new GlobalAvgPool2D(args),
  dense: (args: DenseArgs) => new Dense(args),
  flatten: (args?: LayerArgs) => new Flatten(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  relu: (args?: LayerArgs) => new ReLU(args),
  sigmoid: (args?: LayerArgs) => new Sigmoid(args),
  tanh: (args?: LayerArgs) => new Tanh(args),
  softmax: (args?: LayerArgs) => new Softmax(args),
  concat: (args?: ConcatArgs) => new Concat(args),
  batchNorm2d: (args?: BatchNorm2DArgs) => new BatchNorm2D(args),
  add: (args?: LayerArgs) => new Add(args),
};
