/**
 * Linear: y = act(x W^T + b) (+ residual), PyTorch nn.Linear semantics.
 *   x: [M, K] (rows may be strided) -> y: [M, N]; weight packed once at load time.
 */
import type { LinearActivation, PackedWeight } from '../ops/linear';
import { linearArgs, packWeight } from '../ops/linear';
import type { TensorLike } from '../tensor';
import type { Program } from './program';
import type { Weights } from './weights';

export interface LinearEmitOptions {
  /** Multiplies x W before the bias; default 1. */
  alpha?: number;
  activation?: LinearActivation;
  /** [M, N], added after the activation; may be `out` itself (in-place residual add). */
  residual?: TensorLike;
}

export class Linear {
  readonly weight: PackedWeight;
  readonly bias: Float32Array | null;

  /** weight: [N, K] (PyTorch layout) or [K, N] with layout 'in_out' (ONNX MatMul); bias: [N]. */
  constructor(weight: TensorLike, bias: TensorLike | null, layout: 'out_in' | 'in_out' = 'out_in') {
    this.weight = packWeight(weight, layout);
    this.bias = bias ? Float32Array.from(bias.data.subarray(0, this.weight.n)) : null;
  }

  /** `name.weight` [N, K] and, when present (or required), `name.bias` [N]. */
  static load(weights: Weights, name: string, inFeatures: number, outFeatures: number, bias: 'required' | 'optional' | 'none' = 'required'): Linear {
    const w = weights.get(`${name}.weight`, [outFeatures, inFeatures]);
    const b =
      bias === 'required'
        ? weights.get(`${name}.bias`, [outFeatures])
        : bias === 'optional'
          ? weights.optional(`${name}.bias`, [outFeatures])
          : null;
    return new Linear(w, b);
  }

  get inFeatures(): number {
    return this.weight.k;
  }

  get outFeatures(): number {
    return this.weight.n;
  }

  /** Adds x [M, K] -> out [M, N] to the program. */
  emit(program: Program, x: TensorLike, out: TensorLike, options: LinearEmitOptions = {}): void {
    const { args } = linearArgs(x, this.weight, { ...this.options(options), out });
    program.add('linear', args);
  }

  private options(options: LinearEmitOptions): { alpha?: number; bias?: Float32Array; activation?: LinearActivation; residual?: TensorLike } {
    return {
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      ...(this.bias ? { bias: this.bias } : {}),
      ...(options.activation ? { activation: options.activation } : {}),
      ...(options.residual ? { residual: options.residual } : {}),
    };
  }
}
