/**
 * A checkpoint split over several safetensors files by a model.safetensors.index.json
 * ({ "weight_map": { "<tensor>": "<shard file>" } }). Shards must be plain file names inside
 * the index's folder; each is opened (and validated) on first use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FormatError } from '../errors';
import type { WeightSource } from '../nn/weights';
import { jsonObject, readJsonFile } from './json-file';
import type { SafetensorsFile } from './safetensors';
import { readSafetensors } from './safetensors';

function checkShardName(name: unknown, tensor: string, index: string): string {
  if (typeof name !== 'string' || name.length === 0 || name !== path.basename(name) || name === '.' || name === '..') {
    throw new FormatError(index, `weight_map['${tensor}']: expected a file name in the index's folder, received ${JSON.stringify(name)}`);
  }
  return name;
}

/** The shard's path, after checking that it does not resolve (through symlinks) out of the index's folder. */
function insideFolder(file: string, index: string): string {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new FormatError(index, `shard '${path.basename(file)}' does not exist`);
  }
  const folder = fs.realpathSync(path.dirname(index));
  if (path.dirname(real) !== folder) {
    throw new FormatError(index, `shard '${path.basename(file)}' resolves outside the model folder (${real})`);
  }
  return file;
}

export function shardedWeights(index: string): WeightSource {
  const map = jsonObject(jsonObject(readJsonFile(index), index, 'index').weight_map, index, 'weight_map');
  const shardOf = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) shardOf.set(tensor, checkShardName(shard, tensor, index));
  const opened = new Map<string, SafetensorsFile>();
  const open = (shard: string): SafetensorsFile => {
    let file = opened.get(shard);
    if (!file) {
      file = readSafetensors(insideFolder(path.join(path.dirname(index), shard), index));
      opened.set(shard, file);
    }
    return file;
  };
  const has = (name: string): boolean => {
    const shard = shardOf.get(name);
    return shard !== undefined && open(shard).has(name);
  };
  const shardFor = (name: string): string => {
    const shard = shardOf.get(name);
    if (shard === undefined) throw new FormatError(index, `weight_map has no tensor '${name}'`);
    return shard;
  };
  return {
    file: index,
    has,
    tensor: (name) => open(shardFor(name)).tensor(name),
    preload: async () => {
      const loaded = new Map<string, WeightSource>();
      for (const shard of new Set(shardOf.values())) loaded.set(shard, await open(shard).preload());
      return { file: index, has, tensor: (name) => (loaded.get(shardFor(name)) as WeightSource).tensor(name) };
    },
  };
}
