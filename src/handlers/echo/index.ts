export { EchoHandler } from './echo-handler.js';
export { EchoHandler as default } from './echo-handler.js';
