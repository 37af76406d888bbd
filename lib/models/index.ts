export { lenet5, LENET5_VARIANTS, PRETRAINED_LENET5_FILE } from './lenet5';
export type { LeNet5Options, LeNet5Variant } from './lenet5';
export { inceptionModule, inceptionChannels, convBlock } from './inception';
export type { InceptionArgs, ConvBlockArgs } from './inception';
export { googlenet, miniInception, mainLogits, GoogLeNetLoss, GOOGLENET_INCEPTION } from './googlenet';
export type { GoogLeNetOptions, MiniInceptionOptions, InceptionSizes } from './googlenet';
