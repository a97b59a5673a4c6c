/**
 * Model-building tools (compiled into dist/tools, usable with production dependencies only):
 * the ONNX graph builder, small example / benchmark models, and the synthetic SDXL pipeline.
 */
export { GraphBuilder, type Dim, type TensorSource, type ValueInfo } from './onnx/graph-builder.js';
export { writeModel, encodeModel, countParameters, type WriteModelOptions, type WrittenModel } from './onnx/model-writer.js';
export { buildTinyOnnxModel, buildComputeModel, TINY_ONNX_SIGNATURE, type ComputeModelOptions } from './examples/tiny-models.js';
export { buildExamples, EXAMPLES, type BuildExamplesOptions, type ExampleName } from './examples/build-examples.js';
export { zipDirectory } from './examples/zip-dir.js';
export { buildSdxlPipeline, SDXL_GRAPHS, type BuildSdxlOptions, type BuiltSdxlPipeline } from './sdxl/build-pipeline.js';
export { configForScale, fullConfig, smallConfig, tinyConfig, type SdxlConfig, type SdxlScale } from './sdxl/configs.js';
