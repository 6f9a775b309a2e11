export * from './registry';
export * from './producer';
export * from './connection';
