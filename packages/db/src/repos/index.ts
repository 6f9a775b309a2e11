export * from './api-tokens';
export * from './audit';
export * from './errors';
export * from './gateways';
export * from './practices';
export * from './sites';
export * from './tx';
export * from './users';
