/**
 * What every tessera model shares: forward passes prepared once per input shape (native steps
 * over preallocated buffers, see lib/nn/program.ts) and reused; forward() runs one off the event
 * loop, forwardSync() on the calling thread. The caller's input is copied into the prepared
 * pass's own buffer, so it may be freed or changed once the call returns or resolves.
 * dispose() frees the packed weights and prepared passes at once instead of at garbage collection.
 */
import { TesseraError } from '../errors';
import { checkTensor } from '../ops/validate';
import { Program } from '../nn/program';
import { ProgramCache } from '../nn/program-cache';
import { releasePackedWeights } from '../nn/packed-weights';
import type { TensorLike } from '../tensor';
import { Tensor, rowMajorData } from '../tensor';

/** A prepared forward pass: its program, its input buffer, and how to read its result. */
export interface PreparedPass<Out> {
  program: Program;
  /** Contiguous input of the prepared shape. */
  input: Float32Array;
  /** Copies the result out of the pass's buffers (after the program ran). */
  read(): Out;
}

export abstract class PixelModel<Out> {
  private readonly passes = new ProgramCache<PreparedPass<Out>>();
  #disposed = false;

  /** The input's dim names, e.g. ['B', 'C', 'H', 'W'] (for validation messages). */
  protected abstract readonly inputLayout: readonly string[];

  /** Checks an input shape beyond its rank (channels, minimum sizes); throws ArgumentError. */
  protected abstract checkShape(shape: readonly number[]): void;

  /** Builds the pass for one input shape. */
  protected abstract prepare(shape: readonly number[]): PreparedPass<Out>;

  /** A new program over a fresh input buffer of `shape` (prepare's starting point). */
  protected newPass(shape: readonly number[]): { program: Program; input: Float32Array; pixels: Tensor } {
    const input = new Float32Array(shape.reduce((a, b) => a * b, 1));
    return { program: new Program(), input, pixels: new Tensor(input, shape) };
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Frees the model's packed weights (most of its memory) and its prepared passes now; a forward
   * pass still running finishes first, with the weights it started with. Calls afterwards throw
   * a TesseraError with code ERR_TESSERA_DISPOSED. Repeating is a no-op.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.passes.clear();
    releasePackedWeights(this);
  }

  /** Throws unless the model is usable (`what` names the call). */
  protected checkLive(what: string): void {
    if (this.#disposed) throw new TesseraError('ERR_TESSERA_DISPOSED', `${what}: the model was disposed`);
  }

  private begin(pixels: TensorLike): { pass: PreparedPass<Out>; key: string } {
    this.checkLive('forward');
    const strides = checkTensor('pixelValues', pixels, this.inputLayout);
    this.checkShape(pixels.shape);
    const key = pixels.shape.join('x');
    const pass = this.passes.acquire(key, () => this.prepare(pixels.shape));
    pass.input.set(rowMajorData({ data: pixels.data, shape: pixels.shape, strides }));
    return { pass, key };
  }

  /** Runs the model off the event loop. */
  async forward(pixels: TensorLike): Promise<Out> {
    const { pass, key } = this.begin(pixels);
    try {
      await pass.program.run();
      return pass.read();
    } finally {
      this.finish(key, pass);
    }
  }

  /** Runs the model on the calling thread (blocks it). */
  forwardSync(pixels: TensorLike): Out {
    const { pass, key } = this.begin(pixels);
    try {
      pass.program.runSync();
      return pass.read();
    } finally {
      this.finish(key, pass);
    }
  }

  /** Keeps a pass for the next call of its shape, unless the model was disposed meanwhile. */
  private finish(key: string, pass: PreparedPass<Out>): void {
    if (!this.#disposed) this.passes.release(key, pass);
  }
}
