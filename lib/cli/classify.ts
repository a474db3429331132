/**
 * `tessera classify <model-dir> <image...> [--top-k K] [--json]`: loads a Hugging Face image
 * classification folder and prints each image's most probable classes.
 */
import { parseArgs } from 'node:util';

import { loadModel } from '../models/load';
import { ViTForImageClassification } from '../models/vit/model';
import type { ClassScore } from '../models/labels';
import type { Command, CommandIo } from './command';
import { EXIT_OK, UsageError } from './command';
import { positiveInt } from './parse-options';

const OPTIONS = {
  'top-k': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: tessera classify <model-dir> <image...> [options]

Classifies images (JPEG, PNG, WebP, ...) with an image-classification model folder in Hugging
Face's layout: config.json, model.safetensors and preprocessor_config.json (how images are
resized and normalized; ViT's defaults when absent).

Options:
  --top-k K   classes per image (default 5)
  --json      print one JSON array: per image { image, classes: [{ label, score, index }] }
  -h, --help  show this help`;

function printText(io: CommandIo, images: readonly string[], results: readonly ClassScore[][]): void {
  results.forEach((classes, i) => {
    io.out(images[i]);
    for (const c of classes) io.out(`  ${(100 * c.score).toFixed(2).padStart(6)}%  ${c.label}`);
  });
}

async function run(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  const [dir, ...images] = positionals;
  if (dir === undefined || images.length === 0) throw new UsageError('expected a model folder and at least one image');
  const topK = values['top-k'] === undefined ? 5 : positiveInt('top-k', values['top-k']);
  const model = await loadModel(dir);
  if (!(model instanceof ViTForImageClassification)) {
    throw new Error(`${dir}: not an image-classification model (its config has no labels / classifier)`);
  }
  const results = await model.classify(images, { topK });
  if (values.json) {
    io.out(JSON.stringify(results.map((classes, i) => ({ image: images[i], classes })), null, 2));
  } else {
    printText(io, images, results);
  }
  return EXIT_OK;
}

export const classifyCommand: Command = { summary: 'classify images with a model folder', help: HELP, run };
