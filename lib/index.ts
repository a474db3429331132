/** tessera: fast vision-transformer building blocks for Node.js. */
import type { CpuInfo } from './native';
import { native } from './native';

export { attention, attentionSync, MAX_HEAD_DIM } from './ops/attention';
export type { AttentionOptions, AttentionWithLse, DeviceAttentionWithLse } from './ops/attention';
export type { AttentionDevice } from './ops/attention-cuda';
export { backends } from './backends';
export type { Backends, CudaBackend } from './backends';
export { toDevice, DeviceTensor, DEVICE_DTYPES } from './device-tensor';
export type { ToDeviceOptions, DeviceDtype } from './device-tensor';
export { layerNorm, layerNormSync } from './ops/layernorm';
export type { LayerNormOptions } from './ops/layernorm';
export { gelu, geluSync } from './ops/gelu';
export type { GeluOptions, GeluApproximation } from './ops/gelu';
export { softmax, softmaxSync } from './ops/softmax';
export type { SoftmaxOptions } from './ops/softmax';
export { patchify, patchifySync, MAX_PATCH_RANK } from './ops/patchify';
export type { PatchifyOptions } from './ops/patchify';
export { add, addSync, MAX_ADD_RANK } from './ops/add';
export type { AddOptions } from './ops/add';
export { linear, linearSync, linearArgs, packWeight, PackedWeight } from './ops/linear';
export type { LinearOptions, LinearActivation, WeightLayout } from './ops/linear';
export { Tensor, contiguousStrides, shapeSize } from './tensor';
export type { TensorLike } from './tensor';
export { TesseraError, ArgumentError, UnsupportedError, CudaUnavailableError, NativeLoadError, FormatError } from './errors';
export { readSafetensors, parseSafetensors, writeSafetensors, serializeSafetensors } from './io/safetensors';
export type { SafetensorsFile, SafetensorsTensorInfo, SafetensorsDtype, SafetensorsFloatDtype } from './io/safetensors';
export type { CpuInfo, IsaName, CudaDeviceInfo } from './native';

/** What this CPU and this build support, and the thread pool's size. */
export function cpuInfo(): CpuInfo {
  return native().cpuInfo();
}

export { normalizePattern, patternPredicate, countAllowedPairs, PATTERN_TYPES } from './patterns/index';
export { combinedMask } from './patterns/mask-matrix';
export { renderPattern, renderPatternPng } from './patterns/render';
export { compilePattern, CompiledPattern } from './patterns/compile';
export type { CompileOptions, PatternStats } from './patterns/compile';
export type { PatternShape } from './patterns/shape';
export type { RenderOptions, RenderShape } from './patterns/render';
export type { KeyLimitOptions } from './patterns/limits';
export type {
  Pattern,
  PatternType,
  PatternSpec,
  PairPredicate,
  FullPattern,
  SlidingPattern,
  StridedPattern,
  FixedPattern,
  NeighborhoodPattern,
  AxialPattern,
  GlobalPattern,
  MaskPattern,
  FullSpec,
  SlidingSpec,
  StridedSpec,
  FixedSpec,
  NeighborhoodSpec,
  AxialSpec,
  GlobalSpec,
  MaskSpec,
} from './patterns/types';

export { preprocessImages, loadImage } from './preprocess/image';
export type { ImageInput } from './preprocess/image';
export { ImageProcessorConfig, MAX_IMAGE_SIDE } from './preprocess/image-config';
export type { PreprocessorConfigJson, ImageSize, Resample } from './preprocess/image-config';
export { decodeImage, DEFAULT_MAX_INPUT_PIXELS } from './preprocess/decode';
export type { DecodeOptions } from './preprocess/decode';
export { resizeImage, resizeImageSync } from './preprocess/resize';
export { rescaleAndNormalize } from './preprocess/normalize';
export { toRgb } from './preprocess/raw-image';
export type { RawImage, RgbImage, Channels } from './preprocess/raw-image';

export { loadModel, loadModelSync } from './models/load';
export type { Model } from './models/load';
export { loadOnnxWeights, mapOnnxModel } from './io/onnx/map-model';
export type { OnnxModelMapping } from './io/onnx/hf-config';
export { ViTModel, ViTForImageClassification } from './models/vit/model';
export type { ViTOutput, ClassifyOptions } from './models/vit/model';
export { parseViTConfig } from './models/vit/config';
export type { ViTConfig } from './models/vit/config';
export { TimesformerModel, TimesformerForVideoClassification } from './models/timesformer/model';
export type { VideoClassifyOptions } from './models/timesformer/model';
export { parseTimesformerConfig } from './models/timesformer/config';
export type { TimesformerConfig, TimesformerAttentionType } from './models/timesformer/config';
export { AxialViTForImageClassification } from './models/axial/model';
export { sampleFrames } from './models/timesformer/frames';
export type { ClassScore } from './models/labels';
export { Weights, mapWeights } from './nn/weights';
export { sinusoidalPositions, interpolateGrid2d, nearestGrid } from './nn/position';
export type { WeightSource } from './nn/weights';
