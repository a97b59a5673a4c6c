export * from './errors.js';
export * from './wire.js';
