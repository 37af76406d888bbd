export type { Dataset } from './dataset';
export { subset, head, concatDatasets, bytesToUnit } from './dataset';
export { parseIdx, readIdx, readMnist, encodeIdx } from './idx';
export { parseCifar10, readCifar10, CIFAR10_CLASSES } from './cifar10';
export { loadDigits, DIGIT_SIDE } from './mnist';
export { loadDataset } from './load';
export { digitFromImage, digitToImage } from './digit-image';
