/**
 * The wire messages as @grpc/proto-loader presents them (keepCase, longs as strings, defaults
 * filled in). Hand-written to match `proto/*.proto`; `test/integration/grpc/proto.test.ts`
 * checks the protos against the spec tables.
 */

// ---- org.pytorch.serve.grpc.inference ----------------------------------------------------------

export interface PredictionsRequestMsg {
  model_name: string;
  model_version: string;
  input: Record<string, Uint8Array>;
  sequence_id?: string | null;
}

export interface RpcStatusMsg {
  code: number;
  message: string;
  details: { type_url: string; value: Uint8Array }[];
}

export interface PredictionResponseMsg {
  prediction?: Uint8Array;
  sequence_id?: string;
  status?: RpcStatusMsg;
}

export interface TorchServeHealthResponseMsg {
  health: string;
}

// ---- org.pytorch.serve.grpc.management ---------------------------------------------------------

export interface ManagementResponseMsg {
  msg: string;
}

export interface DescribeModelRequestMsg {
  model_name: string;
  model_version: string;
  customized: boolean;
}

export interface ListModelsRequestMsg {
  limit: number;
  next_page_token: number;
}

export interface RegisterModelRequestMsg {
  batch_size: number;
  handler: string;
  initial_workers: number;
  max_batch_delay: number;
  model_name: string;
  response_timeout: number;
  runtime: string;
  synchronous: boolean;
  url: string;
  s3_sse_kms: boolean;
  startup_timeout: number;
}

export interface ScaleWorkerRequestMsg {
  model_name: string;
  model_version: string;
  max_worker: number;
  min_worker: number;
  number_gpu: number;
  synchronous: boolean;
  timeout: number;
}

export interface SetDefaultRequestMsg {
  model_name: string;
  model_version: string;
}

export interface UnregisterModelRequestMsg {
  model_name: string;
  model_version: string;
}

// ---- inference (Open Inference Protocol) -------------------------------------------------------

export type Int64 = string | number;

export interface InferParameterMsg {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64;
}

export interface InferTensorContentsMsg {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Int64[];
  uint_contents?: number[];
  uint64_contents?: Int64[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

export interface InferInputTensorMsg {
  name: string;
  datatype: string;
  shape: Int64[];
  parameters?: Record<string, InferParameterMsg>;
  contents?: InferTensorContentsMsg | null;
}

export interface ModelInferRequestMsg {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: Record<string, InferParameterMsg>;
  inputs: InferInputTensorMsg[];
  outputs?: { name: string; parameters?: Record<string, InferParameterMsg> }[];
  raw_input_contents?: Uint8Array[];
}

export interface InferOutputTensorMsg {
  name: string;
  datatype: string;
  shape: Int64[];
  parameters?: Record<string, InferParameterMsg>;
  contents?: InferTensorContentsMsg;
}

export interface ModelInferResponseMsg {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: Record<string, InferParameterMsg>;
  outputs: InferOutputTensorMsg[];
  raw_output_contents: Uint8Array[];
}

export interface TensorMetadataMsg {
  name: string;
  datatype: string;
  shape: Int64[];
}

export interface ModelMetadataResponseMsg {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadataMsg[];
  outputs: TensorMetadataMsg[];
}

export interface ModelNameVersionMsg {
  name: string;
  version: string;
}

export interface ServerMetadataResponseMsg {
  name: string;
  version: string;
  extensions: string[];
}
