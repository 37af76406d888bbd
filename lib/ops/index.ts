export * from './conv';
export * from './pool';
export * from './matmul';
