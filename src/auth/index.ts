export * from './token-auth.js';
