/**
 * The ViT benchmark: one set of synthetic ViT weights (Hugging Face names) loaded into tessera
 * and built into an ONNX graph for onnxruntime-node, both run in this process on the same
 * inputs, interleaved run by run (tessera, onnxruntime, tessera, ...) so that load changes on the
 * machine hit both alike. Reports each engine's median and best latency, the ratio, the model's
 * GFLOP/s, and how far apart the two engines' logits are.
 */
import { ViTForImageClassification } from '../models/vit/model';
import { parseViTConfig } from '../models/vit/config';
import { Weights, mapWeights } from '../nn/weights';
import { Tensor } from '../tensor';
import type { ComparisonRow } from './interleaved';
import { compareLogits, interleavedRuns } from './interleaved';
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

/** One batch size: both engines' latencies, the forward's FLOPs, the logits' agreement. */
export interface ViTBenchRow extends ComparisonRow {
  batch: number;
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
      const [tessera, ort] = await interleavedRuns(options.runs, [() => model.forward(pixels), () => session.run(pixels.data, dims)]);
      const row = { batch, tessera, ort, flops: vitFlops(options.config, batch), ...compareLogits(ours.data, theirs.logits, ours.shape[1]) };
      log(`batch ${batch}: tessera ${row.tessera.medianMs.toFixed(1)} ms, onnxruntime ${row.ort.medianMs.toFixed(1)} ms (median of ${options.runs})`);
      rows.push(row);
    }
  } finally {
    await session.release();
  }
  return rows;
}
