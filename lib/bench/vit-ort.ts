/**
 * Runs a ViT ONNX model (vit-onnx.ts) in onnxruntime-node: the baseline of the ViT benchmark;
 * createPixelSession serves any pixel_values -> logits classifier graph (TimeSformer's too).
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
  /** pixels: fp32, row-major, in the session's layout ([B, C, H, W] for ViT) -> logits [B, labels]. */
  run(pixels: Float32Array, dims: readonly number[]): Promise<ViTLogits>;
  release(): Promise<void>;
}

/** What a pixel_values -> logits model is called in errors, and its input's layout. */
export interface PixelModelKind {
  /** e.g. 'ViT'. */
  name: string;
  /** e.g. ['B', 'C', 'H', 'W']. */
  layout: readonly string[];
}

const VIT_KIND: PixelModelKind = { name: 'ViT', layout: ['B', 'C', 'H', 'W'] };

function checkThreads(caller: string, threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`${caller}: options.intraOpNumThreads must be a positive integer, received ${threads}`);
  }
}

function checkPixels(kind: PixelModelKind, pixels: Float32Array, dims: readonly number[]): void {
  const what = `${kind.name} session run`;
  if (!(pixels instanceof Float32Array)) throw new TypeError(`${what}: pixels must be a Float32Array, received ${Object.prototype.toString.call(pixels)}`);
  const rank = kind.layout.length;
  if (dims.length !== rank || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${what}: dims must be ${rank} positive integers [${kind.layout.join(', ')}], received [${dims.join(', ')}]`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (pixels.length !== size) {
    throw new RangeError(`${what}: dims [${dims.join(', ')}] need ${size} values, received ${pixels.length}`);
  }
}

/** An onnxruntime session of a ViT model (intraOpNumThreads default 2, interOpNumThreads 1, sequential). */
export function createViTSession(model: Uint8Array, options: ViTOrtOptions = {}): Promise<ViTOrtSession> {
  return createPixelSession(model, VIT_KIND, options, 'createViTSession');
}

/**
 * An onnxruntime session of a model with input `pixel_values` (laid out as `kind.layout`) and
 * output `logits` (intraOpNumThreads default 2, interOpNumThreads 1, sequential); `caller`
 * names the public function in errors.
 */
export async function createPixelSession(model: Uint8Array, kind: PixelModelKind, options: ViTOrtOptions, caller: string): Promise<ViTOrtSession> {
  const threads = options.intraOpNumThreads ?? 2;
  checkThreads(caller, threads);
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
      checkPixels(kind, pixels, dims);
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
