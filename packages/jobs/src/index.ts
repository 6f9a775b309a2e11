export * from './registry';
export * from './producer';
