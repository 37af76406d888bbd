export * from './matmul';
