/** The ONNX reader's public API: readOnnxModel / parseOnnxModel and the types they return. */
export type { OnnxAttribute, OnnxDim, OnnxGraph, OnnxNode, OnnxValueInfo } from './graph';
export type { OnnxModel, OnnxOpsetImport, OnnxParseOptions, OnnxReadOptions } from './model';
export { ONNX_DEFAULT_MAX_BYTES, parseOnnxModel, readOnnxModel } from './model';
export type { OnnxTensorRef } from './tensor';
export { OnnxDataType } from './tensor';
