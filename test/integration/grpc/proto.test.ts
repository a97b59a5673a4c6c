/**
 * The protos in proto/ against the spec tables (torchserve.md §7.1/7.2/7.4, kserve.md §4):
 * packages, services, rpcs with their streaming shape, and every message's field numbers and
 * types. Catches drift between the files clients generate from and the protocol.
 */
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { PROTO_DIR } from './helpers.js';

interface FieldDescriptor { name: string; number: number; label: string; type: string; typeName: string }
interface MessageDescriptor { name: string; field: FieldDescriptor[]; nestedType: MessageDescriptor[]; options: { mapEntry?: boolean } | null }
interface MethodDefinition { path: string; requestStream: boolean; responseStream: boolean; requestType: { type: { name: string } }; responseType: { type: { name: string } } }

const definition = protoLoader.loadSync(
  ['inference.proto', 'management.proto', 'grpc_predict_v2.proto', 'open_inference_grpc.proto'],
  { keepCase: true, includeDirs: [PROTO_DIR] },
);

const scalar = (t: string) => t.replace(/^TYPE_/, '').toLowerCase();

function typeOf(f: FieldDescriptor, owner: MessageDescriptor): string {
  const short = f.typeName.split('.').pop() ?? '';
  const entry = owner.nestedType.find((n) => n.name === short && n.options?.mapEntry === true);
  if (entry !== undefined) {
    const [k, v] = entry.field;
    return `map<${typeOf(k!, entry)},${typeOf(v!, entry)}>`;
  }
  const base = f.type === 'TYPE_MESSAGE' || f.type === 'TYPE_ENUM' ? short : scalar(f.type);
  return f.label === 'LABEL_REPEATED' ? `repeated ${base}` : base;
}

/** `{ "Msg": "a=1:string b=2:repeated int64", "Msg.Nested": ... }` for every message of a package. */
function messages(pkg: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (name: string, m: MessageDescriptor) => {
    out[name] = m.field.map((f) => `${f.name}=${f.number}:${typeOf(f, m)}`).join(' ');
    for (const n of m.nestedType) if (n.options?.mapEntry !== true) visit(`${name}.${n.name}`, n);
  };
  for (const [full, def] of Object.entries(definition)) {
    if (!full.startsWith(`${pkg}.`) || !('format' in def)) continue;
    const rest = full.slice(pkg.length + 1);
    if (!rest.includes('.')) visit(rest, (def as { type: MessageDescriptor }).type);
  }
  return out;
}

function rpcs(service: string): Record<string, string> {
  const def = definition[service] as unknown as Record<string, MethodDefinition>;
  const out: Record<string, string> = {};
  for (const [name, m] of Object.entries(def)) {
    const req = `${m.requestStream ? 'stream ' : ''}${m.requestType.type.name}`;
    const res = `${m.responseStream ? 'stream ' : ''}${m.responseType.type.name}`;
    out[name] = `${m.path} ${req} -> ${res}`;
  }
  return out;
}

const oipMessages = (specOnly: boolean): Record<string, string> => ({
  ServerLiveRequest: '',
  ServerLiveResponse: 'live=1:bool',
  ServerReadyRequest: '',
  ServerReadyResponse: 'ready=1:bool',
  ModelReadyRequest: 'name=1:string version=2:string',
  ModelReadyResponse: 'ready=1:bool',
  ServerMetadataRequest: '',
  ServerMetadataResponse: 'name=1:string version=2:string extensions=3:repeated string',
  ModelMetadataRequest: 'name=1:string version=2:string',
  ModelMetadataResponse:
    'name=1:string versions=2:repeated string platform=3:string inputs=4:repeated TensorMetadata outputs=5:repeated TensorMetadata' +
    (specOnly ? ' properties=6:map<string,string>' : ''),
  'ModelMetadataResponse.TensorMetadata': 'name=1:string datatype=2:string shape=3:repeated int64',
  ModelInferRequest:
    'model_name=1:string model_version=2:string id=3:string parameters=4:map<string,InferParameter> ' +
    'inputs=5:repeated InferInputTensor outputs=6:repeated InferRequestedOutputTensor raw_input_contents=7:repeated bytes',
  'ModelInferRequest.InferInputTensor':
    'name=1:string datatype=2:string shape=3:repeated int64 parameters=4:map<string,InferParameter> contents=5:InferTensorContents',
  'ModelInferRequest.InferRequestedOutputTensor': 'name=1:string parameters=2:map<string,InferParameter>',
  ModelInferResponse:
    'model_name=1:string model_version=2:string id=3:string parameters=4:map<string,InferParameter> ' +
    'outputs=5:repeated InferOutputTensor raw_output_contents=6:repeated bytes',
  'ModelInferResponse.InferOutputTensor':
    'name=1:string datatype=2:string shape=3:repeated int64 parameters=4:map<string,InferParameter> contents=5:InferTensorContents',
  InferParameter: 'bool_param=1:bool int64_param=2:int64 string_param=3:string' + (specOnly ? ' double_param=4:double uint64_param=5:uint64' : ''),
  InferTensorContents:
    'bool_contents=1:repeated bool int_contents=2:repeated int32 int64_contents=3:repeated int64 uint_contents=4:repeated uint32 ' +
    'uint64_contents=5:repeated uint64 fp32_contents=6:repeated float fp64_contents=7:repeated double bytes_contents=8:repeated bytes',
});

const oipRpcs = (service: string) => ({
  ServerLive: `/${service}/ServerLive ServerLiveRequest -> ServerLiveResponse`,
  ServerReady: `/${service}/ServerReady ServerReadyRequest -> ServerReadyResponse`,
  ModelReady: `/${service}/ModelReady ModelReadyRequest -> ModelReadyResponse`,
  ServerMetadata: `/${service}/ServerMetadata ServerMetadataRequest -> ServerMetadataResponse`,
  ModelMetadata: `/${service}/ModelMetadata ModelMetadataRequest -> ModelMetadataResponse`,
  ModelInfer: `/${service}/ModelInfer ModelInferRequest -> ModelInferResponse`,
});

describe('proto files match the spec tables', () => {
  it('TorchServe inference: package, rpcs, streaming shapes', () => {
    const s = 'org.pytorch.serve.grpc.inference.InferenceAPIsService';
    expect(rpcs(s)).toEqual({
      Ping: `/${s}/Ping Empty -> TorchServeHealthResponse`,
      Predictions: `/${s}/Predictions PredictionsRequest -> PredictionResponse`,
      StreamPredictions: `/${s}/StreamPredictions PredictionsRequest -> stream PredictionResponse`,
      StreamPredictions2: `/${s}/StreamPredictions2 stream PredictionsRequest -> stream PredictionResponse`,
    });
  });

  it('TorchServe inference: messages and field numbers', () => {
    expect(messages('org.pytorch.serve.grpc.inference')).toEqual({
      PredictionsRequest: 'model_name=1:string model_version=2:string input=3:map<string,bytes> sequence_id=4:string',
      PredictionResponse: 'prediction=1:bytes sequence_id=2:string status=3:Status',
      TorchServeHealthResponse: 'health=1:string',
    });
    expect(messages('google.rpc')).toEqual({ Status: 'code=1:int32 message=2:string details=3:repeated Any' });
  });

  it('TorchServe management: rpcs and field numbers', () => {
    const s = 'org.pytorch.serve.grpc.management.ManagementAPIsService';
    const unary = (rpc: string, req: string) => `/${s}/${rpc} ${req} -> ManagementResponse`;
    expect(rpcs(s)).toEqual({
      DescribeModel: unary('DescribeModel', 'DescribeModelRequest'),
      ListModels: unary('ListModels', 'ListModelsRequest'),
      RegisterModel: unary('RegisterModel', 'RegisterModelRequest'),
      ScaleWorker: unary('ScaleWorker', 'ScaleWorkerRequest'),
      SetDefault: unary('SetDefault', 'SetDefaultRequest'),
      UnregisterModel: unary('UnregisterModel', 'UnregisterModelRequest'),
    });
    expect(messages('org.pytorch.serve.grpc.management')).toEqual({
      ManagementResponse: 'msg=1:string',
      DescribeModelRequest: 'model_name=1:string model_version=2:string customized=3:bool',
      ListModelsRequest: 'limit=1:int32 next_page_token=2:int32',
      RegisterModelRequest:
        'batch_size=1:int32 handler=2:string initial_workers=3:int32 max_batch_delay=4:int32 model_name=5:string ' +
        'response_timeout=6:int32 runtime=7:string synchronous=8:bool url=9:string s3_sse_kms=10:bool startup_timeout=11:int32',
      ScaleWorkerRequest:
        'model_name=1:string model_version=2:string max_worker=3:int32 min_worker=4:int32 number_gpu=5:int32 synchronous=6:bool timeout=7:int32',
      SetDefaultRequest: 'model_name=1:string model_version=2:string',
      UnregisterModelRequest: 'model_name=1:string model_version=2:string',
    });
  });

  it('Open Inference Protocol, KServe package "inference" (spec fields included)', () => {
    expect(rpcs('inference.GRPCInferenceService')).toEqual(oipRpcs('inference.GRPCInferenceService'));
    expect(messages('inference')).toEqual(oipMessages(true));
  });

  it("Open Inference Protocol under TorchServe's package (its copy's fields)", () => {
    const s = 'org.pytorch.serve.grpc.openinference.GRPCInferenceService';
    expect(rpcs(s)).toEqual(oipRpcs(s));
    expect(messages('org.pytorch.serve.grpc.openinference')).toEqual(oipMessages(false));
  });
});
