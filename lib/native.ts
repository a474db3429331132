/**
 * The only module that loads the compiled addon, and the typed declaration of its surface.
 * Looks for a prebuilt binary under prebuilds/<platform>-<arch>/ first, then the local
 * cmake-js build; if none loads, throws one NativeLoadError listing every path and reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { NativeLoadError } from './errors';

export type IsaName = 'auto' | 'scalar' | 'avx2' | 'avx512';

export interface CpuInfo {
  avx2: boolean;
  avx512: boolean;
  avx512bf16: boolean;
  amx: boolean;
  /** CPUs this process may run on. */
  cores: number;
  /** Worker threads of the shared pool (TESSERA_NUM_THREADS or cores). */
  threads: number;
  /** What isa 'auto' resolves to. */
  isa: Exclude<IsaName, 'auto'>;
}

/** Arguments of the attention kernels; sizes and strides in elements. */
export interface NativeAttentionArgs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  out: Float32Array;
  lse: Float32Array | null;
  keyLengths: Int32Array | null;
  batch: number;
  seqQ: number;
  seqK: number;
  heads: number;
  headDim: number;
  qStrides: number[];
  kStrides: number[];
  vStrides: number[];
  outStrides: number[];
  scale: number;
  causal: boolean;
  isa: IsaName;
  /** 0: the pool's default. */
  threads: number;
  /** A compiled pattern's handle; absent for dense attention. */
  pattern?: unknown;
}

/**
 * Arguments shared by the row-wise ops (layerNorm, gelu, softmax): x and out are [rows, cols]
 * with contiguous columns, rows xRowStride / outRowStride elements apart; out may be x.
 */
export interface NativeRowArgs {
  x: Float32Array;
  out: Float32Array;
  rows: number;
  cols: number;
  xRowStride: number;
  outRowStride: number;
  isa: IsaName;
  /** 0: the pool's default. */
  threads: number;
}

export interface NativeLayerNormArgs extends NativeRowArgs {
  /** [cols] or null (ones). */
  gamma: Float32Array | null;
  /** [cols] or null (zeros). */
  beta: Float32Array | null;
  eps: number;
}

export interface NativeGeluArgs extends NativeRowArgs {
  approximate: 'none' | 'tanh';
}

export type NativeSoftmaxArgs = NativeRowArgs;

/**
 * patchify: pixels [batch, channels, ...size] (R = size.length = patch.length spatial axes,
 * strides for all 2 + R dims) -> out [batch, N, K] with strides outStrides.
 */
export interface NativePatchifyArgs {
  pixels: Float32Array;
  out: Float32Array;
  batch: number;
  channels: number;
  size: number[];
  patch: number[];
  pixelStrides: number[];
  outStrides: number[];
  threads: number;
}

/** add: out = x + y over sizes [D0, D1, D2, D3], each operand with its own strides (0: broadcast). */
export interface NativeAddArgs {
  x: Float32Array;
  y: Float32Array;
  out: Float32Array;
  sizes: number[];
  xStrides: number[];
  yStrides: number[];
  outStrides: number[];
  threads: number;
}

/** packMatrix: W[k, j] = weight[k * strideK + j * strideN] (element strides). */
export interface NativePackMatrixArgs {
  weight: Float32Array;
  k: number;
  n: number;
  strideK: number;
  strideN: number;
}

/**
 * linear: out = act(a W + bias) + residual; a [m, k], residual and out [m, N] with contiguous
 * columns and the given row strides (N from the packed weight); residual may be out itself.
 */
export interface NativeLinearArgs {
  a: Float32Array;
  m: number;
  k: number;
  aRowStride: number;
  /** A handle from packMatrix. */
  weight: unknown;
  bias: Float32Array | null;
  activation: 'none' | 'gelu' | 'gelu_tanh';
  residual: Float32Array | null;
  residualRowStride: number;
  out: Float32Array;
  outRowStride: number;
  isa: IsaName;
  /** 0: the pool's default. */
  threads: number;
}

/** Result of the addon's pattern compiler (see lib/patterns/compile.ts). */
export interface NativeCompiledPattern {
  handle: unknown;
  queryTiles: number;
  keyTiles: number;
  partialTiles: number;
  allowedPairs: number;
  computedPairs: number;
}

export interface NativeBinding {
  cpuInfo(): CpuInfo;
  attentionSync(args: NativeAttentionArgs): void;
  attentionAsync(args: NativeAttentionArgs): Promise<void>;
  /** Packs a weight matrix once; returns an opaque handle for linear's `weight`. */
  packMatrix(args: NativePackMatrixArgs): unknown;
  linearSync(args: NativeLinearArgs): void;
  linearAsync(args: NativeLinearArgs): Promise<void>;
  layerNormSync(args: NativeLayerNormArgs): void;
  layerNormAsync(args: NativeLayerNormArgs): Promise<void>;
  geluSync(args: NativeGeluArgs): void;
  geluAsync(args: NativeGeluArgs): Promise<void>;
  softmaxSync(args: NativeSoftmaxArgs): void;
  softmaxAsync(args: NativeSoftmaxArgs): Promise<void>;
  patchifySync(args: NativePatchifyArgs): void;
  patchifyAsync(args: NativePatchifyArgs): Promise<void>;
  addSync(args: NativeAddArgs): void;
  addAsync(args: NativeAddArgs): Promise<void>;
  /** spec: a normalized PatternSpec from lib/patterns. */
  compilePattern(spec: unknown, sizes: { seqQ: number; seqK: number; causal: boolean }): NativeCompiledPattern;
  /**
   * Runs ops in order in one asynchronous job (no return to the event loop between steps).
   * Every op registered as <op>Sync / <op>Async can be a step; all steps are validated first.
   */
  runSequence(steps: NativeStep[]): Promise<void>;
}

/** One step of runSequence: an op's name (e.g. 'attention') and the args its <op>Sync takes. */
export interface NativeStep {
  op: string;
  args: object;
}

const packageRoot = path.resolve(__dirname, '..');

/** Paths tried in order. */
export function candidatePaths(): string[] {
  const override = process.env.TESSERA_NATIVE_PATH;
  return [
    ...(override ? [path.resolve(override)] : []),
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'tessera.node'),
    path.join(packageRoot, 'build', 'Release', 'tessera.node'),
    path.join(packageRoot, 'build', 'Debug', 'tessera.node'),
  ];
}

function load(): { binding: NativeBinding; file: string } {
  const attempts: { path: string; reason: string }[] = [];
  for (const file of candidatePaths()) {
    if (!fs.existsSync(file)) {
      attempts.push({ path: file, reason: 'not found' });
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { binding: require(file) as NativeBinding, file };
    } catch (error) {
      attempts.push({ path: file, reason: (error as Error).message.split('\n')[0] });
    }
  }
  throw new NativeLoadError(attempts);
}

let loaded: { binding: NativeBinding; file: string } | undefined;

/** The loaded addon (loaded on first use, so importing tessera never throws). */
export function native(): NativeBinding {
  loaded ??= load();
  return loaded.binding;
}

/** The file the addon was loaded from (loads it if needed). */
export function nativePath(): string {
  native();
  return (loaded as { file: string }).file;
}
