/**
 * `tessera demo`: the embedded default job. Loads the bundled vit-digits model (a small ViT
 * trained on scikit-learn's handwritten digits, models/vit-digits), classifies its sample PNGs
 * through the whole image pipeline, then its 297 held-out test digits, and prints the accuracy,
 * the largest difference from PyTorch's logits on the same weights, and the throughput.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { readSafetensors } from '../io/safetensors';
import { loadModel } from '../models/load';
import { ViTForImageClassification } from '../models/vit/model';
import type { RawImage } from '../preprocess/raw-image';
import { preprocessImages } from '../preprocess/image';
import type { Command, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK } from './command';
import { parseOptions } from './parse-options';

const MODEL_DIR = path.join(__dirname, '..', '..', 'models', 'vit-digits');

const HELP = `Usage: tessera demo

Runs the bundled model models/vit-digits (a ViT trained on scikit-learn's 8x8 handwritten
digits, upsampled to 16x16 RGB): classifies its sample PNG files, then the 297 held-out test
digits, and prints the accuracy, the largest logit difference from PyTorch (fp64) on the same
weights, and images per second.`;

/** eval.safetensors' test images [N, 3, 16, 16] (raw 0..255) as interleaved RGB images. */
function testImages(pixels: Float32Array, count: number, size: number): RawImage[] {
  const plane = size * size;
  return Array.from({ length: count }, (_, n) => {
    const data = new Uint8Array(plane * 3);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) data[p * 3 + c] = pixels[(n * 3 + c) * plane + p];
    }
    return { data, width: size, height: size, channels: 3 };
  });
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

async function classifySamples(model: ViTForImageClassification, io: CommandIo): Promise<void> {
  const dir = path.join(MODEL_DIR, 'samples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  const results = await model.classify(files.map((f) => path.join(dir, f)), { topK: 1 });
  const right = results.filter((r, i) => r[0].label === files[i].split('-')[1].replace('.png', '')).length;
  io.out(`sample PNGs (models/vit-digits/samples, <index>-<true label>.png): ${right}/${files.length} correct`);
  io.out(files.map((f, i) => `${f} -> ${results[i][0].label} (${(100 * results[i][0].score).toFixed(1)}%)`).join(', '));
}

async function evaluate(model: ViTForImageClassification, io: CommandIo): Promise<boolean> {
  const evalSet = readSafetensors(path.join(MODEL_DIR, 'eval.safetensors'));
  const labels = evalSet.tensor('test_labels').data;
  const reference = evalSet.tensor('test_logits').data;
  const count = labels.length;
  const pixels = await preprocessImages(testImages(evalSet.tensor('test_images').data, count, 16), model.preprocessor);
  await model.forward(pixels); // prepares the pass for this shape
  const start = performance.now();
  const logits = await model.forward(pixels);
  const ms = performance.now() - start;
  const classes = logits.shape[1];
  let correct = 0;
  let maxDiff = 0;
  for (let n = 0; n < count; n++) {
    const row = logits.data.subarray(n * classes, (n + 1) * classes);
    if (argmax(row) === labels[n]) correct++;
    for (let c = 0; c < classes; c++) maxDiff = Math.max(maxDiff, Math.abs(row[c] - reference[n * classes + c]));
  }
  io.out(`test set: ${correct}/${count} correct (${((100 * correct) / count).toFixed(2)}%)`);
  io.out(`max |logit - PyTorch fp64 logit|: ${maxDiff.toExponential(2)}`);
  io.out(`batch of ${count}: ${ms.toFixed(1)} ms (${((count * 1000) / ms).toFixed(0)} images/s)`);
  return correct > 0.95 * count;
}

async function run(args: string[], io: CommandIo): Promise<number> {
  if (parseOptions(args, { help: { type: 'boolean', short: 'h' } }).help) {
    io.out(HELP);
    return EXIT_OK;
  }
  const model = await loadModel(MODEL_DIR);
  if (!(model instanceof ViTForImageClassification)) throw new Error(`${MODEL_DIR}: expected an image classifier`);
  io.out(`tessera demo: ${MODEL_DIR}`);
  await classifySamples(model, io);
  return (await evaluate(model, io)) ? EXIT_OK : EXIT_FAILURE;
}

export const demoCommand: Command = { summary: 'classify handwritten digits with the bundled ViT (the embedded default job)', help: HELP, run };
