export * from './conv';
export * from './pool';
