/**
 * The ViT benchmark: one set of synthetic ViT weights (Hugging Face names) loaded into tessera
 * and built into an ONNX graph for onnxruntime-node, both run in this process on the same
 * inputs, interleaved run by run (tessera, onnxruntime, tessera, ...) so that load changes on the
 * machine hit both alike. Reports each engine's median and best latency, the ratio, the model's
 * GFLOP/s, and how far apart the two engines' logits are.
 */
import { performance } from 'node:perf_hooks';

import { ViTForImageClassification } from '../models/vit/model';
import { parseViTConfig } from '../models/vit/config';
import { Weights, mapWeights } from '../nn/weights';
import { Tensor } from '../tensor';
import { median } from './measure';
import { uniformFloats } from './synthetic';
import { buildViTOnnx } from './vit-onnx';
import { createViTSession } from './vit-ort';
import type { HfViTConfig } from './vit-weights';
import { syntheticViTWeights } from './vit-weights';

export interface ViTBenchOptions {
  config: HfViTConfig;
  batches: readonly number[];
  /** Timed runs per engine and batch (after one warm-up each). */
  runs: number;
  /** onnxruntime's intraOpNumThreads (tessera's pool size comes from TESSERA_NUM_THREADS). */
  ortThreads: number;
  seed: number;
}

export interface ViTBenchRow {
  batch: number;
  tessera: { medianMs: number; bestMs: number };
  ort: { medianMs: number; bestMs: number };
  /** Forward FLOPs of one batch (matrix products and attention, 2 per multiply-add). */
  flops: number;
  /** max |tessera logit - onnxruntime logit| and whether every top-1 agrees. */
  maxLogitDiff: number;
  top1Agrees: boolean;
}

/** FLOPs of one forward pass: every GEMM (2·M·N·K) plus attention (4·N²·hidden per layer). */
export function vitFlops(config: HfViTConfig, batch: number): number {
  const c = parseViTConfig(config, '<config>');
  const h = c.hiddenSize;
  const patches = Math.floor(c.imageSize[0] / c.patchSize[0]) * Math.floor(c.imageSize[1] / c.patchSize[1]);
  const tokens = patches + 1;
  const patchK = c.numChannels * c.patchSize[0] * c.patchSize[1];
  const perLayer = 2 * tokens * (h * 3 * h + h * h + 2 * h * c.intermediateSize) + 4 * tokens * tokens * h;
  return batch * (2 * patches * patchK * h + c.numHiddenLayers * perLayer + 2 * h * c.labels.length);
}

function compareLogits(a: Float32Array, b: Float32Array, classes: number): { maxLogitDiff: number; top1Agrees: boolean } {
  let maxLogitDiff = 0;
  let top1Agrees = true;
  for (let row = 0; row * classes < a.length; row++) {
    let ia = 0;
    let ib = 0;
    for (let j = 0; j < classes; j++) {
      const k = row * classes + j;
      maxLogitDiff = Math.max(maxLogitDiff, Math.abs(a[k] - b[k]));
      if (a[k] > a[row * classes + ia]) ia = j;
      if (b[k] > b[row * classes + ib]) ib = j;
    }
    top1Agrees &&= ia === ib;
  }
  return { maxLogitDiff, top1Agrees };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Runs the benchmark; `log` receives progress lines. */
export async function runViTBench(options: ViTBenchOptions, log: (line: string) => void): Promise<ViTBenchRow[]> {
  const weights = syntheticViTWeights(options.config, options.seed);
  const config = parseViTConfig(options.config, '<config>');
  const model = ViTForImageClassification.load(config, new Weights(mapWeights(weights, '<synthetic weights>')));
  const session = await createViTSession(buildViTOnnx(options.config, weights), { intraOpNumThreads: options.ortThreads });
  weights.clear();
  const rows: ViTBenchRow[] = [];
  try {
    for (const batch of options.batches) {
      const dims = [batch, config.numChannels, config.imageSize[0], config.imageSize[1]];
      const pixels = new Tensor(uniformFloats(dims.reduce((a, b) => a * b, 1), options.seed + batch), dims);
      const ours = await model.forward(pixels);
      const theirs = await session.run(pixels.data, dims);
      const times = { tessera: [] as number[], ort: [] as number[] };
      for (let i = 0; i < options.runs; i++) {
        times.tessera.push(await timed(() => model.forward(pixels)));
        times.ort.push(await timed(() => session.run(pixels.data, dims)));
      }
      const summary = (t: number[]): { medianMs: number; bestMs: number } => ({ medianMs: median(t), bestMs: Math.min(...t) });
      const row = { batch, tessera: summary(times.tessera), ort: summary(times.ort), flops: vitFlops(options.config, batch), ...compareLogits(ours.data, theirs.logits, ours.shape[1]) };
      log(`batch ${batch}: tessera ${row.tessera.medianMs.toFixed(1)} ms, onnxruntime ${row.ort.medianMs.toFixed(1)} ms (median of ${options.runs})`);
      rows.push(row);
    }
  } finally {
    await session.release();
  }
  return rows;
}
