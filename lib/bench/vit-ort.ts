/**
 * Runs a ViT ONNX model (vit-onnx.ts) in onnxruntime-node: the baseline of the ViT benchmark.
 * onnxruntime-node is loaded on demand (ort-runtime.ts); tessera itself never needs it.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from './ort-runtime';
import { VIT_INPUT, VIT_OUTPUT } from './vit-onnx';

export interface ViTOrtOptions {
  /** Threads of one operator; default 2 (the benchmark's setting). */
  intraOpNumThreads?: number;
  /** onnxruntime's graph optimization level; default: onnxruntime's own default ('all'). */
  graphOptimizationLevel?: InferenceSession.SessionOptions['graphOptimizationLevel'];
}

export interface ViTLogits {
  /** [batch, labels], row-major. */
  logits: Float32Array;
  dims: number[];
}

export interface ViTOrtSession {
  /** onnxruntime's version, e.g. 'onnxruntime 1.30.0'. */
  readonly detail: string;
  /** pixels: [B, C, H, W] fp32, row-major -> logits [B, labels]. */
  run(pixels: Float32Array, dims: readonly number[]): Promise<ViTLogits>;
  release(): Promise<void>;
}

function checkThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`createViTSession: options.intraOpNumThreads must be a positive integer, received ${threads}`);
  }
}

function checkPixels(pixels: Float32Array, dims: readonly number[]): void {
  if (!(pixels instanceof Float32Array)) throw new TypeError(`ViT session run: pixels must be a Float32Array, received ${Object.prototype.toString.call(pixels)}`);
  if (dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`ViT session run: dims must be 4 positive integers [B, C, H, W], received [${dims.join(', ')}]`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (pixels.length !== size) {
    throw new RangeError(`ViT session run: dims [${dims.join(', ')}] need ${size} values, received ${pixels.length}`);
  }
}

/** An onnxruntime session of a ViT model (intraOpNumThreads default 2, interOpNumThreads 1, sequential). */
export async function createViTSession(model: Uint8Array, options: ViTOrtOptions = {}): Promise<ViTOrtSession> {
  const threads = options.intraOpNumThreads ?? 2;
  checkThreads(threads);
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    ...(options.graphOptimizationLevel ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}),
  });
  return {
    detail: `onnxruntime ${ort.env.versions.node ?? ''}`.trim(),
    run: async (pixels, dims) => {
      checkPixels(pixels, dims);
      const feeds = { [VIT_INPUT]: new ort.Tensor('float32', pixels, [...dims]) };
      const result = await session.run(feeds, [VIT_OUTPUT]);
      const out = result[VIT_OUTPUT];
      return { logits: out.data as Float32Array, dims: [...out.dims] };
    },
    release: () => session.release(),
  };
}

/** One forward in a session made for it and released after it. */
export async function runViTOnnx(model: Uint8Array, pixels: Float32Array, dims: readonly number[], options: ViTOrtOptions = {}): Promise<ViTLogits> {
  const session = await createViTSession(model, options);
  try {
    return await session.run(pixels, dims);
  } finally {
    await session.release();
  }
}
