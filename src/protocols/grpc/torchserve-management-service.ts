/**
 * `org.pytorch.serve.grpc.management.ManagementAPIsService`. Every rpc answers
 * `ManagementResponse{msg}` with the text TorchServe puts there (management-codec.ts) and maps
 * errors through status-mapping.ts. `synchronous` defaults to false (proto3 bool), as in
 * TorchServe's gRPC API (REST defaults to true). With `enable_model_api=false` (TorchServe's
 * default) RegisterModel and UnregisterModel answer PERMISSION_DENIED "Model API disabled"
 * (REST answers 405 for the same routes).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { ForbiddenError } from '../../errors/index.js';
import type { ManagementApi } from '../../management/management-api.js';
import { unary } from './call-utils.js';
import {
  decodeDescribe,
  decodeList,
  decodeRegister,
  decodeScale,
  decodeUnregister,
  encodeDescribe,
  encodeList,
} from './management-codec.js';
import type {
  DescribeModelRequestMsg,
  ListModelsRequestMsg,
  ManagementResponseMsg,
  RegisterModelRequestMsg,
  ScaleWorkerRequestMsg,
  SetDefaultRequestMsg,
  UnregisterModelRequestMsg,
} from './messages.js';

export interface TorchServeManagementServiceOptions {
  management: ManagementApi;
  /** `enable_model_api`: RegisterModel / UnregisterModel answer PERMISSION_DENIED when false. */
  enableModelApi: boolean;
}

type Rpc<Req> = (request: Req) => Promise<ManagementResponseMsg> | ManagementResponseMsg;

export function createTorchServeManagementService(options: TorchServeManagementServiceOptions): UntypedServiceImplementation {
  const { management, enableModelApi } = options;
  const requireModelApi = (): void => {
    if (!enableModelApi) throw new ForbiddenError('Model API disabled', 'ModelException');
  };

  const DescribeModel: Rpc<DescribeModelRequestMsg> = async (msg) => {
    const { model, version, customized } = decodeDescribe(msg);
    return { msg: encodeDescribe(await management.describe(model, version, customized)) };
  };
  const ListModels: Rpc<ListModelsRequestMsg> = (msg) => {
    const { limit, nextPageToken } = decodeList(msg);
    return { msg: encodeList(management.list(limit, nextPageToken)) };
  };
  const RegisterModel: Rpc<RegisterModelRequestMsg> = async (msg) => {
    requireModelApi();
    return { msg: (await management.register(decodeRegister(msg))).status };
  };
  const ScaleWorker: Rpc<ScaleWorkerRequestMsg> = async (msg) => {
    const { model, version, params } = decodeScale(msg);
    return { msg: (await management.scale(model, version, params)).status };
  };
  const SetDefault: Rpc<SetDefaultRequestMsg> = (msg) => ({ msg: management.setDefault(msg.model_name, msg.model_version).status });
  const UnregisterModel: Rpc<UnregisterModelRequestMsg> = async (msg) => {
    requireModelApi();
    const { model, version } = decodeUnregister(msg);
    return { msg: (await management.unregister(model, version)).status };
  };

  return {
    DescribeModel: unary(DescribeModel),
    ListModels: unary(ListModels),
    RegisterModel: unary(RegisterModel),
    ScaleWorker: unary(ScaleWorker),
    SetDefault: unary(SetDefault),
    UnregisterModel: unary(UnregisterModel),
  };
}
