import onnxProto from 'onnx-proto';

/** The ONNX protobuf namespace (onnx-proto is CommonJS; this is its one import point). */
export const onnx = onnxProto.onnx;
export type OnnxModelProto = InstanceType<typeof onnxProto.onnx.ModelProto>;

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';
export type FloatDType = 'float32' | 'float16';

const ELEM_TYPE: Record<DType, number> = {
  float32: 1, // TensorProto.DataType.FLOAT
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

const BYTES: Record<DType, number> = { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1, uint8: 1 };

export function elemType(dtype: DType): number {
  return ELEM_TYPE[dtype];
}

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

export function dtypeFromElemType(elem: number): DType {
  const found = (Object.keys(ELEM_TYPE) as DType[]).find((k) => ELEM_TYPE[k] === elem);
  if (!found) throw new Error(`unsupported ONNX element type ${elem}`);
  return found;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}
