export { lenet5, LENET5_VARIANTS, PRETRAINED_LENET5_FILE } from './lenet5';
export type { LeNet5Options, LeNet5Variant } from './lenet5';
