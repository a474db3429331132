/**
 * linear(x, w, options) and linearSync: out = act(alpha x W + bias) + residual in fp32, the op behind
 * every projection of a vision transformer.
 *   x: [M, K] (rows may be strided, columns contiguous), W: [K, N] packed once by packWeight
 *   -> out: [M, N]
 * x may be a view, e.g. the class-token rows of [B, N, C] read as [B, C] with row stride N * C.
 */
import { ArgumentError, fromNative } from '../errors';
import type { NativeLinearArgs } from '../native';
import { native } from '../native';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import { callAsync, callSync } from './call';
import type { KernelOptions } from './rows';
import { checkKernelOptions } from './rows';
import { checkFiniteFloat32, checkOneOf, checkOptions, checkTensor, describeShape } from './validate';
import { outputTensor } from './output';

/** 'gelu': 0.5 x (1 + erf(x / sqrt 2)); 'gelu_tanh': 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
export type LinearActivation = 'none' | 'gelu' | 'gelu_tanh';

/** 'out_in': [N, K], PyTorch nn.Linear's weight; 'in_out': [K, N], an ONNX MatMul's B. */
export type WeightLayout = 'out_in' | 'in_out';

const ACTIVATIONS: readonly LinearActivation[] = ['none', 'gelu', 'gelu_tanh'];
const LAYOUTS: readonly WeightLayout[] = ['out_in', 'in_out'];

/** What packMatrix reads: W[k, j] = data[k * strideK + j * strideN]. */
interface PackSource {
  readonly weight: Float32Array;
  readonly k: number;
  readonly n: number;
  readonly strideK: number;
  readonly strideN: number;
}

/** Nesting depth of withDeferredPacking: while > 0, PackedWeight.pack only records its source. */
let deferDepth = 0;

/**
 * Runs `build` (synchronous) with packing deferred: the PackedWeights it makes hold their source
 * until packAsync() (or first use) packs them, so that a loader can pack them all off the event
 * loop afterwards (lib/nn/packed-weights.ts).
 */
export function withDeferredPacking<T>(build: () => T): T {
  deferDepth++;
  try {
    return build();
  } finally {
    deferDepth--;
  }
}

/**
 * A weight matrix W [K, N] packed (in the addon) for the GEMM kernels of every ISA. Three states:
 * pending (made under withDeferredPacking: the source is kept, packed by packAsync() or on first
 * use), packed, released.
 */
export class PackedWeight {
  // Pending: #source set; packed: #handle set; released: neither.
  #handle: unknown = null;
  #source: PackSource | null;

  private constructor(
    /** Input features (rows of W). */
    readonly k: number,
    /** Output features (columns of W). */
    readonly n: number,
    source: PackSource,
  ) {
    this.#source = source;
    if (deferDepth === 0) this.packNow();
  }

  /** Whether release() freed the packed copy. */
  get released(): boolean {
    return this.#handle === null && this.#source === null;
  }

  /** Whether the weight still waits to be packed (see withDeferredPacking). */
  get pending(): boolean {
    return this.#source !== null;
  }

  /** @internal The live handle (packing a pending weight now); an ArgumentError naming `weight` once released. */
  get handle(): unknown {
    if (this.released) {
      throw new ArgumentError('weight', `expected a live PackedWeight, received one that was released ([${this.k}, ${this.n}])`);
    }
    if (this.#source) this.packNow();
    return this.#handle;
  }

  /** Packs a pending weight off the event loop (the source stays referenced until then); a no-op otherwise. */
  async packAsync(): Promise<void> {
    const source = this.#source;
    if (source === null) return;
    let handle: unknown;
    try {
      handle = await native().packMatrixAsync(source);
    } catch (error) {
      throw fromNative(error);
    }
    if (this.#source !== source) {
      native().releaseMatrix(handle); // packed on first use or released meanwhile
      return;
    }
    this.#handle = handle;
    this.#source = null;
  }

  /** Frees the packed copy now (after any running call that uses it); repeating is a no-op. */
  release(): void {
    if (this.#handle !== null) native().releaseMatrix(this.#handle);
    this.#handle = null;
    this.#source = null;
  }

  private packNow(): void {
    try {
      this.#handle = native().packMatrix(this.#source as PackSource);
    } catch (error) {
      throw fromNative(error);
    }
    this.#source = null;
  }

  /** Packs `weight` ([N, K] for 'out_in', [K, N] for 'in_out'; any strides) without a transpose. */
  static pack(weight: TensorLike, layout: WeightLayout): PackedWeight {
    checkOneOf('layout', layout, LAYOUTS);
    const strides = checkTensor('weight', weight, layout === 'out_in' ? ['N', 'K'] : ['K', 'N']);
    const [k, n] = layout === 'out_in' ? [weight.shape[1], weight.shape[0]] : weight.shape;
    const [strideK, strideN] = layout === 'out_in' ? [strides[1], strides[0]] : strides;
    return new PackedWeight(k, n, { weight: weight.data, k, n, strideK, strideN });
  }
}

/** Packs a weight matrix once (at load time) for linear(); see PackedWeight.pack. */
export function packWeight(weight: TensorLike, layout: WeightLayout): PackedWeight {
  return PackedWeight.pack(weight, layout);
}

export interface LinearOptions extends KernelOptions {
  /** Multiplies x W before the bias is added; default 1 (e.g. 1 / T: a mean of T summed rows). */
  alpha?: number;
  /** [N], added before the activation. */
  bias?: Float32Array;
  /** Applied after the bias; default 'none'. */
  activation?: LinearActivation;
  /** [M, N] (contiguous columns), added after the activation; may be `out` itself (in place). */
  residual?: TensorLike;
  /**
   * Write the result here instead of a new tensor: [M, N] with contiguous columns, not
   * overlapping x or bias (reusing one buffer saves allocating and first-touching it per call).
   */
  out?: TensorLike;
}

/** A checked [rows, cols] operand with contiguous columns. */
interface Matrix {
  rows: number;
  cols: number;
  rowStride: number;
  /** The bytes of data.buffer its elements span: [begin, end). */
  begin: number;
  end: number;
}

function checkMatrix(name: string, t: unknown, layout: readonly [string, string]): Matrix {
  const strides = checkTensor(name, t, layout);
  const { data, shape } = t as TensorLike;
  const [rows, cols] = shape;
  if (cols > 1 && strides[1] !== 1) {
    throw new ArgumentError(name, `expected contiguous columns (stride 1 on ${layout[1]}), received strides ${describeShape(strides)}`);
  }
  const begin = data.byteOffset;
  return { rows, cols, rowStride: strides[0], begin, end: begin + ((rows - 1) * strides[0] + cols) * 4 };
}

function spansOverlap(a: Matrix, aData: Float32Array, b: Matrix, bData: Float32Array): boolean {
  return aData.buffer === bData.buffer && a.begin < b.end && b.begin < a.end;
}

function checkShape(name: string, m: Matrix, rows: number, cols: number, what: string): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new ArgumentError(name, `expected [${rows}, ${cols}] (${what}), received [${m.rows}, ${m.cols}]`);
  }
}

function checkWeight(w: unknown): PackedWeight {
  if (!(w instanceof PackedWeight)) {
    const received = w === null ? 'null' : typeof w === 'object' ? ((w as object).constructor?.name ?? 'object') : typeof w;
    throw new ArgumentError('weight', `expected a PackedWeight (from packWeight), received ${received}`);
  }
  return w;
}

function checkBias(bias: unknown, n: number): Float32Array {
  if (!(bias instanceof Float32Array) || bias.length !== n) {
    const received = bias instanceof Float32Array ? `a Float32Array of length ${bias.length}` : String(bias);
    throw new ArgumentError('bias', `expected a Float32Array of length ${n} (N of the weight), received ${received}`);
  }
  return bias;
}

/** The output: a new [M, N] tensor, or the caller's, which must not overlap x or bias and rows that do not collide. */
function checkOut(out: TensorLike | undefined, x: TensorLike, xm: Matrix, m: number, n: number, bias: Float32Array | null): { tensor: Tensor; matrix: Matrix } {
  if (out === undefined) {
    const tensor = outputTensor([m, n]);
    return { tensor, matrix: checkMatrix('out', tensor, ['M', 'N']) };
  }
  const matrix = checkMatrix('out', out, ['M', 'N']);
  checkShape('out', matrix, m, n, 'M of x, N of the weight');
  if (m > 1 && matrix.rowStride < n) {
    throw new ArgumentError('out', `expected a row stride >= N = ${n} (rows that do not overlap), received ${matrix.rowStride}`);
  }
  if (spansOverlap(matrix, out.data, xm, x.data)) throw new ArgumentError('out', 'expected memory that does not overlap x');
  if (bias && out.data.buffer === bias.buffer && matrix.begin < bias.byteOffset + bias.byteLength && bias.byteOffset < matrix.end) {
    throw new ArgumentError('out', 'expected memory that does not overlap bias');
  }
  return { tensor: new Tensor(out.data, out.shape, out.strides), matrix };
}

/** The residual: [M, N], either out itself (same rows: an in-place add) or memory apart from out. */
function checkResidual(residual: TensorLike, out: TensorLike, om: Matrix, m: number, n: number): Matrix {
  const matrix = checkMatrix('residual', residual, ['M', 'N']);
  checkShape('residual', matrix, m, n, 'M of x, N of the weight');
  const inPlace = residual.data.buffer === out.data.buffer && matrix.begin === om.begin && (m === 1 || matrix.rowStride === om.rowStride);
  if (!inPlace && spansOverlap(matrix, residual.data, om, out.data)) {
    throw new ArgumentError('residual', 'expected out itself (an in-place add) or memory that does not overlap out');
  }
  return matrix;
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as { op: 'linear', args }).
 */
export function linearArgs(x: TensorLike, w: PackedWeight, rawOptions?: LinearOptions): { args: NativeLinearArgs; out: Tensor } {
  const options = checkOptions<LinearOptions>(rawOptions);
  const weight = checkWeight(w);
  const xm = checkMatrix('x', x, ['M', 'K']);
  if (xm.cols !== weight.k) {
    throw new ArgumentError('x', `expected [M, ${weight.k}] (K = the weight's input features), received ${describeShape(x.shape)}`);
  }
  const m = xm.rows;
  const n = weight.n;
  const alpha = checkFiniteFloat32('alpha', options.alpha ?? 1);
  const bias = options.bias === undefined ? null : checkBias(options.bias, n);
  const activation = checkOneOf('activation', options.activation ?? 'none', ACTIVATIONS);
  const { threads, isa } = checkKernelOptions(options);
  const out = checkOut(options.out, x, xm, m, n, bias);
  const residual = options.residual === undefined ? null : options.residual;
  const rm = residual === null ? null : checkResidual(residual, out.tensor, out.matrix, m, n);
  const args: NativeLinearArgs = {
    a: x.data, m, k: weight.k, aRowStride: xm.rowStride,
    weight: weight.handle, alpha, bias, activation,
    residual: residual?.data ?? null, residualRowStride: rm?.rowStride ?? 0,
    out: out.tensor.data, outRowStride: out.matrix.rowStride,
    isa, threads,
  };
  return { args, out: out.tensor };
}

/** Synchronous linear: blocks the calling thread; use for small inputs. */
export function linearSync(x: TensorLike, w: PackedWeight, options?: LinearOptions): Tensor {
  const { args, out } = linearArgs(x, w, options);
  callSync(native().linearSync, args);
  return out;
}

/** linear off the event loop; x, bias, residual and out stay referenced until the promise settles. */
export async function linear(x: TensorLike, w: PackedWeight, options?: LinearOptions): Promise<Tensor> {
  const { args, out } = linearArgs(x, w, options);
  await callAsync(native().linearAsync, args);
  return out;
}
