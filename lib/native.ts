/**
 * The only module that loads the compiled addons, and the typed declaration of their surface.
 * The CPU addon (tessera.node): a prebuilt binary under prebuilds/<platform>-<arch>/ first, then
 * the local cmake-js build; if none loads, throws one NativeLoadError listing every path and
 * reason. The optional CUDA addon (tessera_cuda.node) is looked for the same way; when it is
 * missing or does not load, the reason is recorded (cudaNative()), never thrown.
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

/** The sizes, strides (in elements) and options every attention op takes, CPU or CUDA. */
export interface AttentionShapeArgs {
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
}

/** Arguments of the attention kernels; sizes and strides in elements. */
export interface NativeAttentionArgs extends AttentionShapeArgs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  out: Float32Array;
  lse: Float32Array | null;
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

/**
 * resampleAxis: one fixed-point pass of an 8-bit resize (native/include/tessera/resample.h):
 * src [outer, inSize, inner] -> out [outer, outSize, inner]; output index i reads taps[i]
 * inputs from first[i] with weights[i * stride + t] (22 fraction bits).
 */
export interface NativeResampleArgs {
  src: Uint8Array;
  out: Uint8Array;
  outer: number;
  inSize: number;
  outSize: number;
  inner: number;
  first: Int32Array;
  taps: Int32Array;
  weights: Int32Array;
  stride: number;
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
  /** Multiplies a b before the bias; default 1. */
  alpha?: number;
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
  /** Advises transparent huge pages for the array's memory (lib/ops/output.ts); false when not given. */
  adviseHugePages(args: { data: Float32Array }): boolean;
  attentionSync(args: NativeAttentionArgs): void;
  attentionAsync(args: NativeAttentionArgs): Promise<void>;
  /** Packs a weight matrix once; returns an opaque handle for linear's `weight`. */
  packMatrix(args: NativePackMatrixArgs): unknown;
  /** packMatrix off the event loop (the weight array stays referenced until it resolves). */
  packMatrixAsync(args: NativePackMatrixArgs): Promise<unknown>;
  /** Frees a packed matrix (once no running call uses it); a no-op when repeated. */
  releaseMatrix(handle: unknown): void;
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
  resampleAxisSync(args: NativeResampleArgs): void;
  resampleAxisAsync(args: NativeResampleArgs): Promise<void>;
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

export type DeviceDtype = 'float32' | 'float16' | 'bfloat16';

/** A GPU the CUDA kernels can run on (compute capability 8.0 or later). */
export interface CudaDeviceInfo {
  /** The CUDA device index. */
  index: number;
  name: string;
  /** 'major.minor', e.g. '9.0'. */
  computeCapability: string;
  memoryBytes: number;
}

export interface NativeCudaInfo {
  /** The CUDA runtime the addon was built with (linked statically), e.g. '13.0'. */
  runtimeVersion: string;
  /** The CUDA version the installed driver supports; null without a driver. */
  driverVersion: string | null;
  devices: CudaDeviceInfo[];
  /** Why no device can be used (null when devices is not empty). */
  reason: string | null;
}

/** An opaque handle of device memory (freed when released or garbage-collected). */
export type DeviceHandle = object;

/** An opaque handle of a pattern plan in device memory (freed when released or garbage-collected). */
export type DevicePatternHandle = object;

/** Arguments of uploadPattern: a normalized PatternSpec, compiled for (seqQ, seqK, causal) on `device`. */
export interface NativeUploadPatternArgs {
  pattern: unknown;
  seqQ: number;
  seqK: number;
  causal: boolean;
  device: number;
}

/**
 * Arguments of the CUDA attention op: q, k, v, out (and lse) are all device handles of one
 * dtype on `device`, or all host Float32Arrays (copied in and out, computed in fp32).
 */
export interface NativeCudaAttentionArgs extends AttentionShapeArgs {
  q: Float32Array | DeviceHandle;
  k: Float32Array | DeviceHandle;
  v: Float32Array | DeviceHandle;
  out: Float32Array | DeviceHandle;
  /** [B, H, Nq] contiguous fp32. */
  lse: Float32Array | DeviceHandle | null;
  /** The CUDA device index. */
  device: number;
  /** A plan from uploadPattern on `device` for (seqQ, seqK, causal); absent for dense attention. */
  pattern?: DevicePatternHandle;
}

/** The CUDA addon (tessera_cuda.node). */
export interface NativeCudaBinding {
  cudaInfo(): NativeCudaInfo;
  /** Copies fp32 values to new device memory, converted to dtype. */
  upload(args: { data: Float32Array; dtype: DeviceDtype; device: number }): DeviceHandle;
  /** Uninitialised device memory of count elements. */
  allocate(args: { count: number; dtype: DeviceDtype; device: number }): DeviceHandle;
  /** Copies the handle's elements into out (its length), converted to fp32. */
  download(args: { handle: DeviceHandle; out: Float32Array }): void;
  /** Drops the handle's memory (freed once no running call uses it); a no-op when repeated. */
  release(handle: DeviceHandle): void;
  attentionSync(args: NativeCudaAttentionArgs): void;
  attentionAsync(args: NativeCudaAttentionArgs): Promise<void>;
  /** Compiles the pattern's plan and copies it to the device, for attention's `pattern`. */
  uploadPattern(args: NativeUploadPatternArgs): DevicePatternHandle;
  /** Drops the plan's device memory (freed once no running call uses it); a no-op when repeated. */
  releasePattern(handle: DevicePatternHandle): void;
}

const packageRoot = path.resolve(__dirname, '..');

/** Where an addon file may be, in order: prebuilds/, then the local cmake-js build. */
function standardPaths(file: string): string[] {
  return [
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, file),
    path.join(packageRoot, 'build', 'Release', file),
    path.join(packageRoot, 'build', 'Debug', file),
  ];
}

/** Paths tried in order for the CPU addon. */
export function candidatePaths(): string[] {
  const override = process.env.TESSERA_NATIVE_PATH;
  return [...(override ? [path.resolve(override)] : []), ...standardPaths('tessera.node')];
}

/**
 * Paths tried in order for the CUDA addon: $TESSERA_CUDA_NATIVE_PATH, the folder of
 * $TESSERA_NATIVE_PATH (the CUDA addon of the same build), then the standard places.
 */
export function cudaCandidatePaths(): string[] {
  const override = process.env.TESSERA_CUDA_NATIVE_PATH;
  const cpuOverride = process.env.TESSERA_NATIVE_PATH;
  return [
    ...(override ? [path.resolve(override)] : []),
    ...(cpuOverride ? [path.join(path.dirname(path.resolve(cpuOverride)), 'tessera_cuda.node')] : []),
    ...standardPaths('tessera_cuda.node'),
  ];
}

type LoadAttempt = { path: string; reason: string };

/** Requires the first of `files` that loads; otherwise returns why each one did not. */
function loadFirst<T>(files: string[]): { binding: T; file: string } | { attempts: LoadAttempt[] } {
  const attempts: LoadAttempt[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) {
      attempts.push({ path: file, reason: 'not found' });
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { binding: require(file) as T, file };
    } catch (error) {
      attempts.push({ path: file, reason: (error as Error).message.split('\n')[0] });
    }
  }
  return { attempts };
}

function load(): { binding: NativeBinding; file: string } {
  const result = loadFirst<NativeBinding>(candidatePaths());
  if ('attempts' in result) throw new NativeLoadError(result.attempts);
  return result;
}

/** The CUDA addon, or why there is none. */
export type CudaLoad = { binding: NativeCudaBinding; file: string } | { reason: string };

/**
 * Loads the CUDA addon from the first of `files` that loads. None found: the build had no
 * CUDA compiler (or there is no CUDA prebuild). Found but none loads: the first failure.
 */
export function loadCudaAddon(files: string[]): CudaLoad {
  const result = loadFirst<NativeCudaBinding>(files);
  if (!('attempts' in result)) return result;
  const failed = result.attempts.find((a) => a.reason !== 'not found');
  if (failed) return { reason: `CUDA addon failed to load: ${failed.path}: ${failed.reason}` };
  return {
    reason:
      'binary built without CUDA (nvcc not found at build time, or no CUDA prebuild for ' +
      `${process.platform}-${process.arch}): no tessera_cuda.node in ${files.join(', ')}`,
  };
}

let cudaLoaded: CudaLoad | undefined;

/** The CUDA addon or the reason it is unavailable (looked for once; never throws). */
export function cudaNative(): CudaLoad {
  cudaLoaded ??= loadCudaAddon(cudaCandidatePaths());
  return cudaLoaded;
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
