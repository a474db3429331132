/**
 * loadModel(path): a Hugging Face model folder (config.json, model.safetensors or a sharded
 * model.safetensors.index.json, optional preprocessor_config.json), or an ONNX export
 * (`*.onnx`, mapped to the same config and weights by lib/io/onnx/map-model.ts) -> a tessera model.
 * Every file is untrusted input: sizes are checked before anything is allocated, and each error
 * names the file and what was wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ArgumentError, FormatError } from '../errors';
import { jsonObject, optionalString, readJsonFile } from '../io/json-file';
import { shardedWeights } from '../io/sharded-weights';
import { loadOnnxWeights } from '../io/onnx/map-model';
import { readSafetensors } from '../io/safetensors';
import { packPendingWeights, releasePackedWeights } from '../nn/packed-weights';
import type { WeightSource } from '../nn/weights';
import { Weights, mapWeights } from '../nn/weights';
import { withDeferredPacking } from '../ops/linear';
import { ImageProcessorConfig } from '../preprocess/image-config';
import { parseViTConfig } from './vit/config';
import { ViTForImageClassification, ViTModel } from './vit/model';
import { AxialViTForImageClassification } from './axial/model';
import { parseTimesformerConfig } from './timesformer/config';
import { TimesformerForVideoClassification, TimesformerModel } from './timesformer/model';
import type { EncoderConfig } from './encoder-config';

export type Model = ViTModel | ViTForImageClassification | TimesformerModel | TimesformerForVideoClassification;

/** Where a model's parts come from: a Hugging Face folder, or an ONNX graph mapped to one. */
interface ModelSource {
  /** config.json's object. */
  readonly json: unknown;
  /** Names the config in errors. */
  readonly configFile: string;
  weights(): WeightSource;
  preprocessor(config: EncoderConfig): ImageProcessorConfig;
}

function checkPath(dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ArgumentError('path', `expected the path of a model folder or .onnx file, received ${typeof dir === 'string' ? 'an empty string' : typeof dir}`);
  }
  return dir;
}

function checkFolder(dir: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new FormatError(dir, 'no such file or folder');
  }
  if (!stat.isDirectory()) throw new FormatError(dir, 'expected a model folder (config.json + model.safetensors)');
  return dir;
}

/** model.safetensors, or the shards listed by model.safetensors.index.json. */
function openWeights(dir: string): WeightSource {
  const single = path.join(dir, 'model.safetensors');
  if (fs.existsSync(single)) return readSafetensors(single);
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) return shardedWeights(index);
  throw new FormatError(dir, 'no model.safetensors or model.safetensors.index.json in this folder');
}

/** The folder's preprocessor_config.json, or ViTImageProcessor's defaults at the config's image size. */
function openPreprocessor(dir: string, config: EncoderConfig): ImageProcessorConfig {
  const file = path.join(dir, 'preprocessor_config.json');
  if (!fs.existsSync(file)) {
    return ImageProcessorConfig.fromJson({ size: { height: config.imageSize[0], width: config.imageSize[1] } });
  }
  const json = jsonObject(readJsonFile(file), file, 'preprocessor_config.json');
  try {
    return ImageProcessorConfig.fromJson(json);
  } catch (error) {
    throw error instanceof ArgumentError ? new FormatError(file, error.message) : error;
  }
}

/** Whether the checkpoint is a classifier: a classifier weight, or the architecture says so. */
function isClassifier(json: unknown, weights: Weights, architecture: string): boolean {
  const architectures = (json as { architectures?: unknown }).architectures;
  return weights.has('classifier.weight') || (Array.isArray(architectures) && architectures.includes(architecture));
}

function loadViT(src: ModelSource): Model {
  const config = parseViTConfig(src.json, src.configFile);
  const weights = new Weights(src.weights());
  if (isClassifier(src.json, weights, 'ViTForImageClassification')) return ViTForImageClassification.load(config, weights, src.preprocessor(config));
  return ViTModel.load(config, weights.has('vit.embeddings.cls_token') ? weights.scope('vit.') : weights);
}

function loadTimesformer(src: ModelSource): Model {
  const config = parseTimesformerConfig(src.json, src.configFile);
  const weights = new Weights(src.weights());
  if (isClassifier(src.json, weights, 'TimesformerForVideoClassification')) {
    return TimesformerForVideoClassification.load(config, weights, src.preprocessor(config));
  }
  return TimesformerModel.load(config, weights.has('timesformer.embeddings.cls_token') ? weights.scope('timesformer.') : weights);
}

function loadAxialViT(src: ModelSource): Model {
  const config = parseViTConfig(src.json, src.configFile);
  return AxialViTForImageClassification.load(config, new Weights(src.weights()), src.preprocessor(config));
}

const LOADERS: Readonly<Record<string, (src: ModelSource) => Model>> = {
  vit: loadViT,
  timesformer: loadTimesformer,
  axial_vit: loadAxialViT,
};

function folderSource(dir: string): ModelSource {
  const folder = checkFolder(dir);
  const configFile = path.join(folder, 'config.json');
  return {
    json: jsonObject(readJsonFile(configFile), configFile, 'config.json'),
    configFile,
    weights: () => openWeights(folder),
    preprocessor: (config) => openPreprocessor(folder, config),
  };
}

/** An ONNX export mapped to Hugging Face config, weights and default preprocessing. */
function onnxSource(file: string): ModelSource {
  const mapping = loadOnnxWeights(file);
  return {
    json: mapping.config,
    configFile: file,
    weights: () => mapWeights(mapping.weights, file),
    preprocessor: () => ImageProcessorConfig.fromJson(mapping.preprocessor),
  };
}

function modelSource(modelPath: string): ModelSource {
  const checked = checkPath(modelPath);
  return checked.toLowerCase().endsWith('.onnx') ? onnxSource(checked) : folderSource(checked);
}

/** The loader for the config's model_type. */
function loaderFor(src: ModelSource): (src: ModelSource) => Model {
  const type = optionalString(jsonObject(src.json, src.configFile, 'config.json'), 'model_type', src.configFile, '');
  const loader = Object.hasOwn(LOADERS, type) ? LOADERS[type] : undefined;
  if (!loader) throw new FormatError(src.configFile, `'model_type': expected one of ${Object.keys(LOADERS).join(', ')}, received '${type}'`);
  return loader;
}

/** Loads a model folder or `.onnx` file on the calling thread. */
export function loadModelSync(modelPath: string): Model {
  const src = modelSource(modelPath);
  return loaderFor(src)(src);
}

/**
 * Loads a model folder or `.onnx` file. A folder's config files and safetensors headers are
 * read and checked on the calling thread, its tensors are then read asynchronously (the event
 * loop stays free), the model is built, and its weights are packed for the GEMM on the pool (a
 * model whose packing fails is released before the promise rejects). An ONNX file is read and
 * mapped on the calling thread.
 */
export async function loadModel(modelPath: string): Promise<Model> {
  const src = modelSource(modelPath);
  const loader = loaderFor(src);
  const opened = src.weights();
  const weights = opened.preload ? await opened.preload() : opened;
  const model = withDeferredPacking(() => loader({ ...src, weights: () => weights }));
  try {
    await packPendingWeights(model);
  } catch (error) {
    releasePackedWeights(model);
    throw error;
  }
  return model;
}
