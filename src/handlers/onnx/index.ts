export { OnnxHandler } from './onnx-handler.js';
export { OnnxHandler as default } from './onnx-handler.js';
export { sessionOptionsFrom } from './session-options.js';
