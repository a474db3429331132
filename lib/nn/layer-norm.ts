/**
 * LayerNorm over the last axis (PyTorch nn.LayerNorm): x [M, C] -> out [M, C], rows may be
 * strided, out may be x.
 */
import { layerNormArgs } from '../ops/layernorm';
import type { TensorLike } from '../tensor';
import type { Program } from './program';
import type { Weights } from './weights';

export class LayerNorm {
  constructor(
    readonly gamma: Float32Array,
    readonly beta: Float32Array,
    readonly eps: number,
  ) {}

  /** `name.weight` [C] and `name.bias` [C]. */
  static load(weights: Weights, name: string, channels: number, eps: number): LayerNorm {
    const gamma = weights.get(`${name}.weight`, [channels]).data;
    const beta = weights.get(`${name}.bias`, [channels]).data;
    return new LayerNorm(Float32Array.from(gamma), Float32Array.from(beta), eps);
  }

  emit(program: Program, x: TensorLike, out: TensorLike): void {
    const { args } = layerNormArgs(x, { gamma: this.gamma, beta: this.beta, eps: this.eps, out });
    program.add('layerNorm', args);
  }
}
