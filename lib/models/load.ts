/**
 * loadModel(dir): a Hugging Face model folder (config.json, model.safetensors or a sharded
 * model.safetensors.index.json, optional preprocessor_config.json) -> a tessera model.
 * Every file is untrusted input: sizes are checked before anything is allocated, and each error
 * names the file and what was wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ArgumentError, FormatError } from '../errors';
import { jsonObject, optionalString, readJsonFile } from '../io/json-file';
import { shardedWeights } from '../io/sharded-weights';
import { readSafetensors } from '../io/safetensors';
import type { WeightSource } from '../nn/weights';
import { Weights } from '../nn/weights';
import { ImageProcessorConfig } from '../preprocess/image-config';
import { parseViTConfig } from './vit/config';
import { ViTForImageClassification, ViTModel } from './vit/model';
import { AxialViTForImageClassification } from './axial/model';
import { parseTimesformerConfig } from './timesformer/config';
import { TimesformerForVideoClassification, TimesformerModel } from './timesformer/model';
import type { EncoderConfig } from './encoder-config';

export type Model = ViTModel | ViTForImageClassification | TimesformerModel | TimesformerForVideoClassification;

function checkFolder(dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ArgumentError('path', `expected the path of a model folder, received ${typeof dir === 'string' ? 'an empty string' : typeof dir}`);
  }
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

function loadViT(dir: string, json: unknown, configFile: string): Model {
  const config = parseViTConfig(json, configFile);
  const weights = new Weights(openWeights(dir));
  if (isClassifier(json, weights, 'ViTForImageClassification')) return ViTForImageClassification.load(config, weights, openPreprocessor(dir, config));
  return ViTModel.load(config, weights.has('vit.embeddings.cls_token') ? weights.scope('vit.') : weights);
}

function loadTimesformer(dir: string, json: unknown, configFile: string): Model {
  const config = parseTimesformerConfig(json, configFile);
  const weights = new Weights(openWeights(dir));
  if (isClassifier(json, weights, 'TimesformerForVideoClassification')) {
    return TimesformerForVideoClassification.load(config, weights, openPreprocessor(dir, config));
  }
  return TimesformerModel.load(config, weights.has('timesformer.embeddings.cls_token') ? weights.scope('timesformer.') : weights);
}

function loadAxialViT(dir: string, json: unknown, configFile: string): Model {
  const config = parseViTConfig(json, configFile);
  return AxialViTForImageClassification.load(config, new Weights(openWeights(dir)), openPreprocessor(dir, config));
}

const LOADERS: Readonly<Record<string, (dir: string, json: unknown, configFile: string) => Model>> = {
  vit: loadViT,
  timesformer: loadTimesformer,
  axial_vit: loadAxialViT,
};

/** Loads a model folder on the calling thread. */
export function loadModelSync(dir: string): Model {
  const folder = checkFolder(dir);
  const configFile = path.join(folder, 'config.json');
  const json = jsonObject(readJsonFile(configFile), configFile, 'config.json');
  const type = optionalString(json, 'model_type', configFile, '');
  const loader = Object.hasOwn(LOADERS, type) ? LOADERS[type] : undefined;
  if (!loader) throw new FormatError(configFile, `'model_type': expected one of ${Object.keys(LOADERS).join(', ')}, received '${type}'`);
  return loader(folder, json, configFile);
}

/**
 * loadModelSync as a promise (errors become rejections). The files are read and the weights
 * packed on the calling thread.
 */
export async function loadModel(dir: string): Promise<Model> {
  return loadModelSync(dir);
}
