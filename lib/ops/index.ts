export * from './conv';
export * from './pool';
export * from './activations';
export * from './losses';
export * from './elementwise';
export * from './dropout';
export * from './batchnorm';
