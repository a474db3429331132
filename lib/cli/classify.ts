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

export const CLASSIFY_OPTIONS = {
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
  --json      print one JSON array: per image { input, classes: [{ label, score, index }] }
  -h, --help  show this help`;

/** Prints each input's classes, or one JSON array of { image, classes } with --json. */
export function printResults(io: CommandIo, inputs: readonly string[], results: readonly ClassScore[][], json: boolean): void {
  if (json) {
    io.out(JSON.stringify(results.map((classes, i) => ({ input: inputs[i], classes })), null, 2));
    return;
  }
  printText(io, inputs, results);
}

function printText(io: CommandIo, images: readonly string[], results: readonly ClassScore[][]): void {
  results.forEach((classes, i) => {
    io.out(images[i]);
    for (const c of classes) io.out(`  ${(100 * c.score).toFixed(2).padStart(6)}%  ${c.label}`);
  });
}

/** The model folder, the inputs and the options of a classify command line (null: --help). */
export function parseClassifyArgs(args: string[], what: string): { dir: string; inputs: string[]; topK: number; json: boolean } | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: CLASSIFY_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const [dir, ...inputs] = positionals;
  if (dir === undefined || inputs.length === 0) throw new UsageError(`expected a model folder and at least one ${what}`);
  const topK = values['top-k'] === undefined ? 5 : positiveInt('top-k', values['top-k']);
  return { dir, inputs, topK, json: values.json ?? false };
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseClassifyArgs(args, 'image');
  if (!parsed) {
    io.out(HELP);
    return EXIT_OK;
  }
  const model = await loadModel(parsed.dir);
  if (!(model instanceof ViTForImageClassification)) {
    throw new Error(`${parsed.dir}: not an image-classification model (model_type vit or axial_vit with a classifier)`);
  }
  printResults(io, parsed.inputs, await model.classify(parsed.inputs, { topK: parsed.topK }), parsed.json);
  return EXIT_OK;
}

export const classifyCommand: Command = { summary: 'classify images with a model folder', help: HELP, run };
