// LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998) for 28x28 digits. The paper feeds 32x32 images
// (digits padded by 2); we keep the data 28x28 and pad by 2 inside C1, which gives the same
// feature-map sizes and the classic 61,706 parameters:
//   C1 6@5x5 (pad 2) -> 6@28x28, S2 2x2 -> 6@14x14, C3 16@5x5 -> 16@10x10, S4 2x2 -> 16@5x5,
//   C5 120@5x5 -> 120@1x1, F6 84, output 10 (logits; the loss applies the softmax).
// C3 connects to all 6 maps (the paper's sparse table saved compute in 1998, not accuracy).
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../native';
import { sequential } from '../sequential';
import type { Model } from '../model';
import { AvgPool2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Tanh, type Layer } from '../layers';
import { decodeModel } from '../io/model-file';

export type LeNet5Variant = 'relu-max' | 'tanh-avg';

export interface LeNet5Options {
  /** 'relu-max' (default): ReLU and max pooling, the modern choice; 'tanh-avg': the 1998 original. */
  variant?: LeNet5Variant;
  /** Dropout rate after F6 (default 0: no dropout layer). */
  dropout?: number;
  /** Output classes (default 10). */
  numClasses?: number;
  /** Per-image input shape [C, H, W] (default [1, 28, 28]); larger images make C5 output more than 1x1. */
  inputShape?: readonly [number, number, number];
  /** L1/L2 penalty on every kernel. */
  penalty?: { l1?: number; l2?: number };
  /** Seed of the weight initialization. */
  seed?: number;
  /** Load the shipped weights: the default `convkit train` run (relu-max, dropout 0.25, 10 classes). */
  pretrained?: boolean;
}

export const LENET5_VARIANTS: readonly LeNet5Variant[] = ['relu-max', 'tanh-avg'];

/** The pre-trained model file that ships with the package (made by scripts/train-lenet5-pretrained.sh). */
export const PRETRAINED_LENET5_FILE = path.join(packageRoot, 'models', 'lenet5-mnist', 'model.convkit');

export function lenet5(options: LeNet5Options = {}): Model {
  const { variant = 'relu-max', dropout = 0, numClasses = 10, inputShape = [1, 28, 28], penalty, seed } = options;
  if (!LENET5_VARIANTS.includes(variant)) throw new RangeError(`lenet5: variant must be one of ${LENET5_VARIANTS.join(', ')}, got ${JSON.stringify(variant)}`);
  if (options.pretrained) {
    if (variant !== 'relu-max' || numClasses !== 10 || inputShape.join() !== '1,28,28') {
      throw new RangeError('lenet5: the pre-trained weights are for the relu-max variant on [1, 28, 28] digits with 10 classes');
    }
    return decodeModel(fs.readFileSync(PRETRAINED_LENET5_FILE)).model;
  }
  const kernelRegularizer = penalty && (penalty.l1 || penalty.l2) ? { l1: penalty.l1 ?? 0, l2: penalty.l2 ?? 0 } : undefined;
  const act = variant === 'relu-max' ? 'relu' : 'tanh';
  const activation = (i: number): Layer => (act === 'relu' ? new ReLU({ name: `relu${i}` }) : new Tanh({ name: `tanh${i}` }));
  const pool = (i: number): Layer => (variant === 'relu-max' ? new MaxPool2D({ poolSize: 2, name: `pool${i}` }) : new AvgPool2D({ poolSize: 2, name: `pool${i}` }));
  const layers: Layer[] = [
    new Conv2D({ filters: 6, kernelSize: 5, padding: 2, name: 'conv1', kernelRegularizer }),
    activation(1),
    pool(1),
    new Conv2D({ filters: 16, kernelSize: 5, name: 'conv2', kernelRegularizer }),
    activation(2),
    pool(2),
    new Conv2D({ filters: 120, kernelSize: 5, name: 'c5', kernelRegularizer }),
    activation(3),
    new Flatten({ name: 'flatten' }),
    new Dense({ units: 84, name: 'f6', kernelRegularizer }),
    activation(4),
    ...(dropout > 0 ? [new Dropout({ rate: dropout, name: 'dropout' })] : []),
    new Dense({ units: numClasses, name: 'output', kernelRegularizer }),
  ];
  return sequential(layers, { inputShape, name: `lenet5-${variant}`, seed });
}
