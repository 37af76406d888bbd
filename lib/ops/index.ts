export * from './conv';
export * from './pool';
export * from './matmul';
export * from './activations';
export * from './losses';
export * from './elementwise';
export * from './dropout';
export * from './batchnorm';
