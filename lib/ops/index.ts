export * from './matmul';
export * from './conv';
export * from './pool';
