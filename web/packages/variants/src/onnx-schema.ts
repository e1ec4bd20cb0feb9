/**
 * The ONNX protobuf field numbers and data types the transforms read and
 * write (onnx/onnx.proto3, IR version 10). Only what is used here.
 */

/** `ModelProto` fields. */
export const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, functions: 25 } as const;
/** `OperatorSetIdProto` fields. */
export const OPSET = { domain: 1, version: 2 } as const;
/** `GraphProto` fields. */
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13, sparseInitializer: 15 } as const;
/** `NodeProto` fields. */
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
/** `AttributeProto` fields. */
export const ATTR = {
  name: 1,
  f: 2,
  i: 3,
  s: 4,
  t: 5,
  g: 6,
  floats: 7,
  ints: 8,
  tensors: 10,
  graphs: 11,
  type: 20,
  sparseTensor: 22,
  sparseTensors: 23,
} as const;
/** `AttributeProto.AttributeType` values used when writing attributes. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, TENSOR: 4 } as const;
/** `TensorProto` fields. */
export const TENSOR = {
  dims: 1,
  dataType: 2,
  segment: 3,
  floatData: 4,
  int32Data: 5,
  stringData: 6,
  int64Data: 7,
  name: 8,
  rawData: 9,
  doubleData: 10,
  uint64Data: 11,
  externalData: 13,
  dataLocation: 14,
} as const;
/** `SparseTensorProto` fields. */
export const SPARSE = { values: 1 } as const;
/** `StringStringEntryProto` fields. */
export const ENTRY = { key: 1, value: 2 } as const;
/** `ValueInfoProto` fields. */
export const VALUE_INFO = { name: 1, type: 2 } as const;
/** `TypeProto` fields (and those of its nested messages). */
export const TYPE = { tensorType: 1, sequenceType: 4, mapType: 5, sparseTensorType: 8, optionalType: 9, elemType: 1, mapValueType: 2 } as const;
/** `FunctionProto` fields. */
export const FUNCTION = { node: 7, valueInfo: 12 } as const;
/** `TensorProto.DataLocation.EXTERNAL`. */
export const DATA_LOCATION_EXTERNAL = 1;

/** `TensorProto.DataType` numbers. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** Bits per element of each data type the transforms know (0: variable, strings). Types past FLOAT4E2M1 (23) are unknown. */
const BITS: Readonly<Record<number, number>> = {
  1: 32,
  2: 8,
  3: 8,
  4: 16,
  5: 16,
  6: 32,
  7: 64,
  8: 0,
  9: 8,
  10: 16,
  11: 64,
  12: 32,
  13: 64,
  14: 64,
  15: 128,
  16: 16,
  17: 8,
  18: 8,
  19: 8,
  20: 8,
  21: 4,
  22: 4,
  23: 4,
};

/** Bits per element of `dataType`, or `undefined` when the type is unknown. */
export function bitsPerElement(dataType: number): number | undefined {
  return BITS[dataType];
}

/** A readable name of a data type number, for messages. */
export function dataTypeName(dataType: number): string {
  const entry = Object.entries(DataType).find(([, v]) => v === dataType);
  return entry ? entry[0].toLowerCase() : `data type ${dataType}`;
}
